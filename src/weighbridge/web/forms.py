"""What every dashboard form post goes through: the CSRF check, then the token in the cookie for the scope."""

from __future__ import annotations

from fastapi import HTTPException, Request

from . import csrf
from .auth import COOKIE as TOKEN_COOKIE
from .auth import AuthError, Scope, authorize
from .state import WebState


def require_csrf(request: Request, submitted: str | None) -> None:
    """403 unless the form carries the token of the browser's CSRF cookie."""
    state: WebState = request.app.state.web
    if not csrf.valid(state.secret, request.cookies.get(csrf.COOKIE), submitted):
        raise HTTPException(
            403, "the form's CSRF token is missing or stale: reload the page and submit again"
        )


def form_actor(request: Request, submitted_csrf: str | None, scope: Scope) -> str:
    """CSRF first, then the signed-in token must hold ``scope``: the token's name is the actor."""
    require_csrf(request, submitted_csrf)
    state: WebState = request.app.state.web
    try:
        return authorize(state.registry, request.cookies.get(TOKEN_COOKIE), scope)
    except AuthError as exc:
        raise HTTPException(exc.status, exc.message) from None
