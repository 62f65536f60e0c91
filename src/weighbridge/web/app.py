"""The application factory: the registry, the API and page routers, static files, error rendering."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..core.findings import WeighbridgeError, plain_message
from .actions import router as action_routes
from .api import make_router
from .limits import BodyGate, BodyLimits
from .pages import router as page_routes
from .render import environment, render
from .state import WebState

STATIC = Path(__file__).parent / "static"

DESCRIPTION = """The organization's record of admitted models: inventory, versions with their reports, decision
history, policies, fleet summary.

Reads are open on localhost unless the server was started with `--no-anonymous-read`. Every write needs
`Authorization: Bearer <token>` with the matching scope (`admit`, `decide`, `policy`); create tokens with
`weighbridge token create NAME --scope …`. No token or an unknown one → 401; a token without the scope → 403.
"""

TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    422: "Invalid input",
}


def create_app(
    registry_url: str | None = None,
    *,
    allow_anonymous_read: bool = True,
    body_limits: BodyLimits | None = None,
) -> FastAPI:
    """The dashboard and REST API over the registry at ``registry_url`` (default: the configured one).

    ``body_limits`` caps request bodies per route (default: ``BodyLimits.from_environment()``, the policy cap
    from ``WEIGHBRIDGE_MAX_POLICY_BYTES``); writes are authenticated before their body is read.
    """
    from ..registry import NotFound, open_registry

    registry = open_registry(registry_url)
    app = _api_app(allow_anonymous_read)
    app.state.web = WebState(
        registry=registry, allow_anonymous_read=allow_anonymous_read, secret=secrets.token_bytes(32)
    )
    env = environment()
    app.state.templates = env
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(page_routes)
    app.include_router(action_routes)
    app.add_middleware(BodyGate, limits=body_limits or BodyLimits.from_environment())

    def is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if is_api(request):
            return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code, headers=headers)
        return render(
            request,
            "error.html",
            {
                "status": exc.status_code,
                "title": TITLES.get(exc.status_code, "Error"),
                "message": str(exc.detail),
            },
            status=exc.status_code,
        )

    @app.exception_handler(WeighbridgeError)
    async def registry_error(request: Request, exc: WeighbridgeError) -> Response:
        """The registry and library refuse with one line: 404 for what it does not hold, 400 otherwise."""
        status = 404 if isinstance(exc, NotFound) else 400
        if is_api(request):
            return JSONResponse({"detail": str(exc)}, status_code=status)
        return render(
            request,
            "error.html",
            {"status": status, "title": TITLES[status], "message": str(exc)},
            status=status,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if is_api(request):
            return JSONResponse({"detail": jsonable_errors(exc)}, status_code=422)
        message = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:])}: {plain_message(str(e['msg']))}" for e in exc.errors()
        )
        return render(
            request, "error.html", {"status": 422, "title": TITLES[422], "message": message}, status=422
        )

    return app


def _api_app(anonymous_read: bool) -> FastAPI:
    # No Swagger UI / ReDoc: both load their scripts from a CDN, and the dashboard works offline.
    app = FastAPI(
        title="Weighbridge registry API",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_tags=[
            {"name": "models", "description": "Inventory, versions, history, decisions"},
            {"name": "policies", "description": "Stored admission policies (YAML)"},
            {"name": "fleet", "description": "Summary across the registry"},
            {"name": "mirror", "description": "What the mirror serves, intake, refused pulls"},
            {"name": "service", "description": "Liveness"},
        ],
    )
    app.include_router(make_router(anonymous_read=anonymous_read))
    return app


def openapi_document(*, allow_anonymous_read: bool = True) -> dict[str, Any]:
    """The REST API's OpenAPI document, without opening a registry (for tooling and schema tests)."""
    return _api_app(allow_anonymous_read).openapi()


def jsonable_errors(exc: RequestValidationError) -> list[dict[str, object]]:
    """FastAPI's validation error list without the raw input (which may not be JSON-serialisable)."""
    return [
        {
            "loc": list(e.get("loc", ())),
            "msg": plain_message(str(e.get("msg", ""))),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()
    ]
