"""The OCI distribution / Ollama registry face of the mirror: ``/v2/`` for ``ollama pull host:port/ns/model:tag
--insecure`` and OCI clients (skopeo, oras).

Read-only: ``GET``/``HEAD`` of ``/v2/``, ``/v2/<name>/manifests/<tag|digest>``, ``/v2/<name>/blobs/<digest>``
(``Range`` supported), ``/v2/<name>/tags/list`` and ``/v2/_catalog``. Manifests come in the form the client
accepts: OCI image manifest when it lists ``application/vnd.oci.image.manifest.v1+json``, else Docker v2
schema 2 (what Ollama asks for); ``Docker-Content-Digest`` is the digest of the bytes sent.

Refusals use the OCI error body, ``{"errors": [{"code": …, "message": …}]}``, with one line naming the model,
the tag and why: ``403 DENIED`` for a model that is not admitted, rejected, revoked, quarantined, awaiting
review, or whose stored bytes no longer match (Ollama prints the body of a 403, but turns a 404 into "file does
not exist"); ``404`` for a tag or blob that is not there; ``400`` for a malformed name, tag or digest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from ..core.mirror import PullOutcome, PullRecord, Refusal, RefusalKind
from .gate import Gate
from .oci_catalog import (
    OciCatalog,
    OciName,
    OciRequestError,
    Resolved,
    parse_digest,
    parse_name,
    parse_reference,
)
from .ollama_layout import DOCKER_MANIFEST, OCI_MANIFEST

API_VERSION = {"Docker-Distribution-API-Version": "registry/2.0"}
_STATUS = {RefusalKind.MALFORMED: (400, "NAME_INVALID"), RefusalKind.NOT_FOUND: (404, "MANIFEST_UNKNOWN"),
           RefusalKind.BLOB_MISSING: (404, "BLOB_UNKNOWN")}

GateFor = Callable[[Request], Gate]


def oci_router(gate_for: GateFor) -> APIRouter:
    """The ``/v2/`` routes over the gate ``gate_for(request)`` returns."""
    router = APIRouter(tags=["oci"])

    @router.api_route("/v2/", methods=["GET", "HEAD"], include_in_schema=False)
    @router.api_route("/v2", methods=["GET", "HEAD"], include_in_schema=False)
    def version_check(request: Request) -> Response:
        return _json(request, 200, {})

    @router.get("/v2/_catalog", include_in_schema=False)
    def catalog(request: Request) -> Response:
        return _json(request, 200, {"repositories": OciCatalog(gate_for(request)).catalog()})

    @router.api_route("/v2/{name:path}/manifests/{reference}", methods=["GET", "HEAD"], include_in_schema=False)
    def manifest(request: Request, name: str, reference: str) -> Response:
        gate = gate_for(request)
        try:
            oci_name = parse_name(name)
            tag, digest = parse_reference(reference)
        except OciRequestError as exc:
            return _error(request, 400, exc.code, str(exc))
        catalog = OciCatalog(gate)
        result = catalog.resolve(oci_name, tag) if tag is not None else catalog.resolve_digest(oci_name, digest or "")
        if isinstance(result, Refusal):
            _record(request, gate, oci_name, reference, None, result)
            return _refused(request, result, manifest=True)
        media_type = _negotiate(request, result, digest)
        body = result.manifest(media_type)
        _record(request, gate, oci_name, reference, None, result)
        headers = {"Docker-Content-Digest": f"sha256:{hashlib.sha256(body).hexdigest()}",
                   "Content-Length": str(len(body)), **API_VERSION}
        return Response(b"" if request.method == "HEAD" else body, 200, headers=headers, media_type=media_type)

    @router.api_route("/v2/{name:path}/blobs/{digest}", methods=["GET", "HEAD"], include_in_schema=False)
    def blob(request: Request, name: str, digest: str) -> Response:
        gate = gate_for(request)
        try:
            oci_name = parse_name(name)
            sha = parse_digest(digest)
        except OciRequestError as exc:
            return _error(request, 400, exc.code, str(exc))
        found = OciCatalog(gate).blob(oci_name, sha)
        if isinstance(found, Refusal):
            _record(request, gate, oci_name, None, digest, found)
            return _refused(request, found, manifest=False)
        resolved, layer = found
        headers = {"Docker-Content-Digest": f"sha256:{sha}", **API_VERSION}
        if layer.path is None:  # a generated blob (the config of a packaged GGUF)
            data = resolved.layout.generated[sha]
            headers["Content-Length"] = str(len(data))
            return Response(b"" if request.method == "HEAD" else data, 200, headers=headers,
                            media_type="application/octet-stream")
        cleared = gate.open(resolved.served, layer.path)
        if isinstance(cleared, Refusal):
            refused = Refusal(cleared.kind, oci_name.repo, f"sha256:{sha}", f"{layer.path}: {cleared.reason}")
            _record(request, gate, oci_name, None, digest, refused)
            return _refused(request, refused, manifest=False)
        # Starlette's FileResponse answers HEAD and single or multiple byte ranges (206, 416) from the checked
        # blob, streaming it in chunks.
        return FileResponse(cleared.path, headers=headers, media_type="application/octet-stream",
                            content_disposition_type="attachment", filename=f"sha256-{sha}")

    @router.get("/v2/{name:path}/tags/list", include_in_schema=False)
    def tags(request: Request, name: str) -> Response:
        try:
            oci_name = parse_name(name)
        except OciRequestError as exc:
            return _error(request, 400, exc.code, str(exc))
        found = OciCatalog(gate_for(request)).tags(oci_name)
        if not found:
            return _error(request, 404, "NAME_UNKNOWN", f"{oci_name.repo}: no admitted model of this name is served")
        return _json(request, 200, {"name": oci_name.repo, "tags": found})

    return router


def _negotiate(request: Request, resolved: Resolved, digest: str | None) -> str:
    """The manifest form to send: the one a digest names, else OCI when the client accepts it, else Docker v2."""
    if digest is not None:
        for media_type in (DOCKER_MANIFEST, OCI_MANIFEST):
            if hashlib.sha256(resolved.manifest(media_type)).hexdigest() == digest:
                return media_type
    accepted = {part.split(";", 1)[0].strip().lower()
                for value in request.headers.getlist("accept") for part in value.split(",")}
    return OCI_MANIFEST if OCI_MANIFEST in accepted else DOCKER_MANIFEST


def _refused(request: Request, refusal: Refusal, *, manifest: bool) -> Response:
    status, code = _STATUS.get(refusal.kind, (403, "DENIED"))
    if status == 404 and not manifest:
        code = "BLOB_UNKNOWN"
    return _error(request, status, code, refusal_line(refusal))


def refusal_line(refusal: Refusal) -> str:
    """``ns/name:tag: rejected: reason`` (``@sha256:…`` for a digest)."""
    sep = "@" if refusal.revision.startswith("sha256:") else ":"
    return f"{refusal.model}{sep}{refusal.revision}: {refusal.kind.value}: {refusal.reason}"


def _error(request: Request, status: int, code: str, message: str) -> Response:
    return _json(request, status, {"errors": [{"code": code, "message": message, "detail": None}]})


def _json(request: Request, status: int, doc: object) -> Response:
    body = json.dumps(doc).encode("utf-8")
    headers = {"Content-Length": str(len(body)), **API_VERSION}
    return Response(b"" if request.method == "HEAD" else body, status, headers=headers,
                    media_type="application/json")


def _record(request: Request, gate: Gate, name: OciName, reference: str | None, digest: str | None,
            result: Resolved | Refusal) -> None:
    """A pull for the audit trail: every refusal, and every manifest GET that was served (one per model pull;
    blob requests are not counted)."""
    if request.method == "HEAD" or (isinstance(result, Resolved) and digest is not None):
        return
    client = request.client.host if request.client is not None else None
    if isinstance(result, Refusal):
        pull = PullRecord(protocol="oci", repo=name.repo, revision=reference, path=digest and f"blobs/{digest}",
                          outcome=PullOutcome.REFUSED, client=client, refusal=result.kind,
                          reason=refusal_line(result))
    else:
        pull = PullRecord(protocol="oci", repo=name.repo, revision=reference, path=None,
                          outcome=PullOutcome.SERVED, client=client, model=result.served.model,
                          version=result.served.manifest_digest)
    gate.registry.mirror.record_pull(pull)
