"""What every request handler of the web layer shares: the registry, the read rule and the CSRF secret."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from fastapi import Request

if TYPE_CHECKING:
    from ..registry import Registry


@dataclass(frozen=True)
class WebState:
    registry: Registry
    allow_anonymous_read: bool
    secret: bytes  # signs the dashboard's CSRF tokens; random per process


def web_state(request: Request) -> WebState:
    """FastAPI dependency: the state ``create_app`` stored on the application."""
    return cast(WebState, request.app.state.web)
