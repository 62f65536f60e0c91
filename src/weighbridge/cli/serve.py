"""`weighbridge serve`: the dashboard and the REST API over the registry (issue 5)."""

from __future__ import annotations

import errno
import ipaddress
import socket
from typing import TYPE_CHECKING, Annotated

import typer

from ..core.findings import WeighbridgeError
from .common import err, fail

if TYPE_CHECKING:
    from fastapi import FastAPI

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Registry database URL or SQLite file "
        "(default: $WEIGHBRIDGE_DATABASE_URL or $WEIGHBRIDGE_HOME/registry.db).",
    ),
]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind. Anything but loopback needs --allow-remote.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8470,
    db: DbOpt = None,
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote",
            help="Allow binding a non-loopback address "
            "(put TLS in front of it: tokens travel in headers and cookies).",
        ),
    ] = False,
    anonymous_read: Annotated[
        bool | None,
        typer.Option(
            "--anonymous-read/--no-anonymous-read",
            help="Let anyone who reaches the server read without a token (default: on for loopback, off otherwise).",
        ),
    ] = None,
) -> None:
    """Serve the dashboard and the REST API (/api/v1, its OpenAPI schema at /openapi.json) over the registry.
    Exit 2 when the port cannot be bound (in use, not allowed) or the registry cannot be opened."""
    loopback = _is_loopback(host)
    if not loopback and not allow_remote:
        fail(f"refusing to bind {host}: only loopback addresses are served unless --allow-remote is given")
    if not loopback:
        err.print(
            f"weighbridge: warning: serving on {host} — anyone who can reach this address can "
            "connect; use TLS in front of it and tokens with the narrowest scopes",
            markup=False,
        )
    from ..web import create_app

    try:
        app = create_app(db, allow_anonymous_read=loopback if anonymous_read is None else anonymous_read)
    except WeighbridgeError as exc:
        fail(str(exc))
    listener = bind(host, port)
    base = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    err.print(
        f"weighbridge: dashboard on {base}/ · REST API {base}/api/v1/models · OpenAPI schema {base}/openapi.json",
        markup=False,
        soft_wrap=True,
    )
    run_server(app, listener)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or one line and exit 2 (before anything says the server is up)."""
    try:
        family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:  # a name such as localhost
        family = socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        why = (
            "the port is already in use (another server? choose one with --port)"
            if exc.errno == errno.EADDRINUSE
            else exc.strerror or str(exc)
        )
        fail(f"cannot listen on {host}:{port}: {why}")


def run_server(app: FastAPI, listener: socket.socket) -> None:
    """Serve ``app`` on the already-bound ``listener`` until interrupted."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", server_header=False)
    uvicorn.Server(config).run(sockets=[listener])


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main application."""
    app.command()(serve)
