"""CSRF protection of the dashboard's forms: a signed double submit.

A random browser id lives in an HttpOnly, SameSite=Strict cookie; every form carries
HMAC-SHA256(server secret, browser id) in a hidden field. A post is accepted only when the field matches the
cookie it arrived with, so another site can neither read nor forge it. The server secret is random per
process: restarting the server invalidates open forms, nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

COOKIE = "wb_csrf"
FIELD = "csrf_token"


def new_browser_id() -> str:
    return secrets.token_urlsafe(24)


def form_token(secret: bytes, browser_id: str) -> str:
    return hmac.new(secret, browser_id.encode("utf-8"), hashlib.sha256).hexdigest()


def valid(secret: bytes, browser_id: str | None, submitted: str | None) -> bool:
    """True when ``submitted`` is the form token of the browser id the cookie carries."""
    if not browser_id or not submitted:
        return False
    return hmac.compare_digest(form_token(secret, browser_id), submitted)
