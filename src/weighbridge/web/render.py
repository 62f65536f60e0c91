"""Server-rendered pages: one autoescaping Jinja2 environment, the CSRF cookie, and security headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from . import csrf
from .auth import COOKIE as TOKEN_COOKIE
from .auth import token_holder
from .format import FILTERS
from .state import WebState

TEMPLATES = Path(__file__).parent / "templates"

# Pages load nothing but the stylesheet: no script at all, inline SVG only, forms post to this origin.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
    env.filters.update(FILTERS)
    return env


def set_cookie(response: Response, request: Request, name: str, value: str) -> None:
    response.set_cookie(
        name, value, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/"
    )


def render(request: Request, template: str, context: dict[str, Any], *, status: int = 200) -> HTMLResponse:
    """Render ``template`` with the common context (signed-in user, CSRF token, fleet link) and headers."""
    state: WebState = request.app.state.web
    env: jinja2.Environment = request.app.state.templates
    browser_id = request.cookies.get(csrf.COOKIE)
    fresh = not browser_id
    if not browser_id:
        browser_id = csrf.new_browser_id()
    common = {
        "request": request,
        "url_for": request.url_for,
        "csrf_token": csrf.form_token(state.secret, browser_id),
        "user": token_holder(state.registry, request.cookies.get(TOKEN_COOKIE)),
        "flash": None,
        "nav": "",
    }
    html = env.get_template(template).render({**common, **context})
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    if fresh:
        set_cookie(response, request, csrf.COOKIE, browser_id)
    return response
