"""The mirror's application factory: the registry, the blob store, the gate, and the protocol faces.

Faces are routers over the same ``MirrorState``: the Hugging Face face (``hf``) here; the OCI/Ollama registry
face adds its router to ``FACES``. Each is served on the mirror's own port (``weighbridge mirror serve``).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse

from .. import __version__
from .background import AutoIntake
from .gate import Gate, MissingBlobHook
from .hf import router as hf_router
from .oci import router as oci_router
from .state import MirrorState

FACES: list[APIRouter] = [hf_router, oci_router]


def create_mirror_app(
    registry_url: str | None = None,
    *,
    store_root: Path | str | None = None,
    allow_anonymous_pull: bool = True,
    on_missing: MissingBlobHook | None = None,
    auto_intake: AutoIntake | None = None,
) -> FastAPI:
    """The mirror over the registry at ``registry_url`` and the blob store at ``store_root`` (defaults: the
    configured registry, ``$WEIGHBRIDGE_HOME/mirror``)."""
    from ..registry import open_registry
    from .store import BlobStore

    registry = open_registry(registry_url)
    store = BlobStore(store_root)
    app = FastAPI(
        title="Weighbridge mirror", version=__version__, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.mirror = MirrorState(
        registry=registry,
        store=store,
        gate=Gate(registry, store, on_missing=on_missing),
        allow_anonymous_pull=allow_anonymous_pull,
        auto_intake=auto_intake,
    )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__})

    for face in FACES:
        app.include_router(face)
    return app
