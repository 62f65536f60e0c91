"""Request bodies: authentication before the body is read, and a size cap per route.

FastAPI reads and parses a request's whole body before any dependency runs, so a token check written as a
dependency comes after the server has buffered whatever the client sent. This pure ASGI middleware sits in
front of the application: for a write it asks the registry whether the bearer token (API) or the sign-in
cookie (dashboard) is a valid token *before* the first body byte is received, refuses a declared
``Content-Length`` above the route's cap with 413, and counts the bytes of bodies sent without one, so no
route ever holds more than its cap in memory. Scopes are still checked by the routes themselves (403).
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request

from .auth import COOKIE as TOKEN_COOKIE
from .auth import token_holder

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

POLICY_BYTES_ENV = "WEIGHBRIDGE_MAX_POLICY_BYTES"
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_OPEN_POSTS = frozenset({"/login", "/logout"})  # the sign-in form itself; both small and CSRF-checked


@dataclass(frozen=True)
class BodyLimits:
    """Largest request body each kind of route accepts, in bytes."""

    json_bytes: int = 64 * 1024  # API bodies (admit, decisions) and requests that carry none
    form_bytes: int = 64 * 1024  # dashboard forms (sign in, admit, decide)
    policy_bytes: int = 1024 * 1024  # PUT /api/v1/policies/{name} and the dashboard's policy upload

    @classmethod
    def from_environment(cls) -> BodyLimits:
        raw = os.environ.get(POLICY_BYTES_ENV, "").strip()
        return cls(policy_bytes=int(raw)) if raw.isdigit() and int(raw) > 0 else cls()


def route_rule(method: str, path: str, limits: BodyLimits) -> tuple[int, str | None]:
    """(body cap, how the request must be authenticated: "bearer", "cookie" or None) for a request."""
    if method in _READS:
        return limits.json_bytes, None
    if path.startswith("/api/"):
        policy = method == "PUT" and path.startswith("/api/v1/policies/")
        return (limits.policy_bytes if policy else limits.json_bytes), "bearer"
    if path in _OPEN_POSTS:
        return limits.form_bytes, None
    return (limits.policy_bytes if path == "/policies" else limits.form_bytes), "cookie"


class BodyGate:
    """ASGI middleware: 401 before reading the body of an unauthenticated write, 413 past the route's cap."""

    def __init__(self, app: ASGIApp, limits: BodyLimits | None = None) -> None:
        self.app = app
        self.limits = limits or BodyLimits.from_environment()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap, auth = route_rule(
            str(scope.get("method", "GET")).upper(), str(scope.get("path", "")), self.limits
        )
        request = Request(scope)
        if auth is not None and not await self._authenticated(request, auth):
            await self._refuse(
                request, send, 401, "this needs a token: send Authorization: Bearer <token>, or sign in", auth
            )
            return
        declared = request.headers.get("content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await self._refuse(request, send, 400, "invalid Content-Length", auth)
                return
            if size > cap:
                await self._refuse(
                    request,
                    send,
                    413,
                    f"request body of {size} bytes exceeds this route's limit of {cap} bytes",
                    auth,
                )
                return
        received = 0

        async def counted() -> Message:
            # a body sent without Content-Length (chunked) is counted as it arrives; past the cap the read
            # fails with 413, which FastAPI passes through its body parsing to the app's error handlers
            nonlocal received
            message = await receive()
            if message.get("type") == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise HTTPException(413, f"request body exceeds this route's limit of {cap} bytes")
            return message

        await self.app(scope, counted, send)

    async def _authenticated(self, request: Request, how: str) -> bool:
        if how == "bearer":
            scheme, _, secret = request.headers.get("authorization", "").partition(" ")
            secret = secret.strip() if scheme.lower() == "bearer" else ""
        else:
            secret = request.cookies.get(TOKEN_COOKIE, "")
        if not secret:
            return False
        registry = request.app.state.web.registry
        return await run_in_threadpool(token_holder, registry, secret) is not None

    async def _refuse(
        self, request: Request, send: Send, status: int, message: str, auth: str | None
    ) -> None:
        """Answer without reading the body; the server drops the connection's unread input."""
        headers: list[tuple[bytes, bytes]] = [(b"connection", b"close")]
        if request.url.path.startswith("/api/") or auth == "bearer":
            body = json.dumps({"detail": message}).encode()
            headers.append((b"content-type", b"application/json"))
            if status == 401:
                headers.append((b"www-authenticate", b"Bearer"))
        else:
            body, page_headers = await run_in_threadpool(_error_page, request, status, message)
            headers.extend(page_headers)
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _error_page(request: Request, status: int, message: str) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    from .app import TITLES
    from .render import render

    titles = {**TITLES, 413: "Request too large"}
    response = render(
        request,
        "error.html",
        {"status": status, "title": titles.get(status, "Error"), "message": message},
        status=status,
    )
    headers = [(k, v) for k, v in response.raw_headers if k.lower() != b"content-length"]
    return bytes(response.body), headers
