"""Who may write: API tokens checked by the registry (only their SHA-256 is stored there).

The API reads ``Authorization: Bearer <token>``; the dashboard reads the same secret from an HttpOnly,
SameSite=Strict cookie set by its login form. Either way every write asks the registry again whether the
secret holds the scope the action needs: no token → 401, a token without that scope → 403.
"""

from __future__ import annotations

import enum
from typing import Protocol

COOKIE = "wb_token"


class Scope(enum.StrEnum):
    """What a token lets its holder do (the registry's "admin" scope holds them all). Any valid token may read
    when anonymous reads are off."""

    ADMIT = "admit"
    DECIDE = "decide"
    POLICY = "policy"


class TokenChecker(Protocol):
    def check_token(self, secret: str, scope: str) -> str | None: ...


class AuthError(Exception):
    """A request without the right token: ``status`` is 401 (none or unknown) or 403 (wrong scope)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def token_holder(tokens: TokenChecker, secret: str | None) -> str | None:
    """The name of the token ``secret`` is, whatever its scopes; None when it is no valid token."""
    if not secret:
        return None
    for scope in Scope:
        name = tokens.check_token(secret, scope.value)
        if name is not None:
            return name
    return None


def authorize(tokens: TokenChecker, secret: str | None, scope: Scope) -> str:
    """The actor (the token's name) when ``secret`` holds ``scope``; raises ``AuthError`` otherwise."""
    if not secret:
        raise AuthError(401, "this needs a token: send Authorization: Bearer <token>, or sign in")
    actor = tokens.check_token(secret, scope.value)
    if actor is not None:
        return actor
    if token_holder(tokens, secret) is not None:
        raise AuthError(403, f"this token does not have the {scope.value!r} scope")
    raise AuthError(401, "unknown or revoked token")


def authorize_read(tokens: TokenChecker, secret: str | None) -> str:
    """The token's name when ``secret`` is any valid token; raises ``AuthError`` (401) otherwise."""
    holder = token_holder(tokens, secret)
    if holder is None:
        raise AuthError(
            401,
            "reading needs a token on this server: send Authorization: Bearer <token>"
            if not secret
            else "unknown or revoked token",
        )
    return holder
