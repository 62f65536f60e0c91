"""`weighbridge serve`: the dashboard and the REST API over the registry (issue 5)."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from ..core.types import WeighbridgeError
from .common import err, fail

DbOpt = Annotated[str | None, typer.Option("--db", help="Registry database URL or SQLite file "
                                          "(default: $WEIGHBRIDGE_DATABASE_URL or $WEIGHBRIDGE_HOME/registry.db).")]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: Annotated[str, typer.Option(help="Address to bind. Anything but loopback needs --allow-remote.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8470,
    db: DbOpt = None,
    allow_remote: Annotated[bool, typer.Option("--allow-remote", help="Allow binding a non-loopback address "
                                               "(put TLS in front of it: tokens travel in headers and cookies).")]
    = False,
    anonymous_read: Annotated[bool | None, typer.Option(
        "--anonymous-read/--no-anonymous-read",
        help="Let anyone who reaches the server read without a token (default: on for loopback, off otherwise).")]
    = None,
) -> None:
    """Serve the dashboard and the REST API (/api/v1, documented at /docs) over the registry."""
    loopback = _is_loopback(host)
    if not loopback and not allow_remote:
        fail(f"refusing to bind {host}: only loopback addresses are served unless --allow-remote is given")
    if not loopback:
        err.print(f"weighbridge: warning: serving on {host} — anyone who can reach this address can "
                  "connect; use TLS in front of it and tokens with the narrowest scopes", markup=False)
    from ..web import create_app

    try:
        app = create_app(db, allow_anonymous_read=loopback if anonymous_read is None else anonymous_read)
    except WeighbridgeError as exc:
        fail(str(exc))
    import uvicorn

    err.print(f"weighbridge: dashboard on http://{host}:{port}/  (API docs: /docs)", markup=False)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main application."""
    app.command()(serve)
