"""The OCI distribution / Ollama registry face of the mirror: ``/v2/`` for ``ollama pull host:port/ns/model:tag
--insecure`` and OCI clients (skopeo, oras).

Read-only: ``GET``/``HEAD`` of ``/v2/``, ``/v2/<name>/manifests/<tag|digest>``, ``/v2/<name>/blobs/<digest>``
(``Range`` supported), ``/v2/<name>/tags/list``, ``/v2/_catalog`` and Ollama's ``/v2/<name>/chunksums/<digest>``. Manifests come in the form the client
accepts: OCI image manifest when it lists ``application/vnd.oci.image.manifest.v1+json``, else Docker v2
schema 2 (what Ollama asks for); ``Docker-Content-Digest`` is the digest of the bytes sent.

Refusals use the OCI error body, ``{"errors": [{"code": …, "message": …}]}``, with one line naming the model,
the tag and why: ``403 DENIED`` for a model that is not admitted, rejected, revoked, quarantined, awaiting
review, or whose stored bytes no longer match (Ollama prints the body of a 403, but turns a 404 into "file does
not exist"); ``404`` for a tag or blob that is not there; ``400`` for a malformed name, tag or digest.

With anonymous pulls off (``mirror serve`` option), requests need a registry token: ``401`` with a ``Bearer``
challenge whose realm, ``/v2/token``, turns a token sent as a Basic password into the bearer token — so
``skopeo --src-registry-token TOKEN``, ``--src-creds any:TOKEN`` and ``docker login`` work. Ollama cannot send
such tokens: serve Ollama clients from a mirror that allows anonymous pulls.
"""

from __future__ import annotations

import hashlib
import json
import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..core.mirror import Refusal, RefusalKind
from ..registry import SCOPES
from .gate import check_repo
from .hf import _auth_refusal as hf_auth_refusal
from .hf import _resolve as hf_resolve
from .hf import _status as hf_status
from .llama_cpp import is_llama_cpp, llama_cpp_manifest
from .oci_catalog import (
    OciCatalog,
    OciName,
    OciRequestError,
    Resolved,
    parse_digest,
    parse_name,
    parse_reference,
)
from .ollama_layout import DOCKER_MANIFEST, OCI_MANIFEST, Layer
from .response import blob_response
from .state import Caller, MirrorState, caller, log_pull, mirror_state

API_VERSION = {"Docker-Distribution-API-Version": "registry/2.0"}
PROTOCOL = "oci"
LLAMA_CPP = "hf"  # llama.cpp's manifest request is part of its Hugging Face download
_LLAMA_TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_STATUS = {
    RefusalKind.MALFORMED: (400, "NAME_INVALID"),
    RefusalKind.NOT_FOUND: (404, "MANIFEST_UNKNOWN"),
    RefusalKind.BLOB_MISSING: (404, "BLOB_UNKNOWN"),
}

router = APIRouter(include_in_schema=False)


@router.api_route("/v2/", methods=["GET", "HEAD"])
@router.api_route("/v2", methods=["GET", "HEAD"])
def version_check(request: Request) -> Response:
    state = mirror_state(request)
    return _auth_refusal(request, state, caller(state, request), "this mirror") or _json(request, 200, {})


@router.get("/v2/token")
def token(request: Request) -> Response:
    """The token endpoint the ``Bearer`` challenge names: a client that holds a Weighbridge token sends it as the
    password of HTTP Basic (``skopeo --src-creds any:TOKEN``, ``docker login``) and gets it back as the bearer
    token. Nothing new is issued: the registry's own tokens are the credentials."""
    import base64
    import binascii

    state = mirror_state(request)
    header = request.headers.get("authorization", "")
    secret = ""
    if header[:6].lower() == "basic ":
        try:
            secret = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            secret = ""
    elif header[:7].lower() == "bearer ":
        secret = header[7:].strip()
    if secret and any(state.registry.check_token(secret, scope) is not None for scope in SCOPES):
        return _json(request, 200, {"token": secret, "access_token": secret, "expires_in": 3600})
    why = "unknown or revoked token" if secret else "send a Weighbridge token as the password (HTTP Basic)"
    return _error(request, 401, "UNAUTHORIZED", f"this mirror's token endpoint: {why}")


@router.get("/v2/_catalog")
def catalog(request: Request) -> Response:
    state = mirror_state(request)
    denied = _auth_refusal(request, state, caller(state, request), "_catalog")
    return denied or _json(request, 200, {"repositories": OciCatalog(state.gate).catalog()})


@router.api_route("/v2/{name:path}/manifests/{reference}", methods=["GET", "HEAD"])
def manifest(request: Request, name: str, reference: str) -> Response:
    state = mirror_state(request)
    who = caller(state, request)
    if is_llama_cpp(request.headers.get("user-agent"), request.headers.get("accept")):
        return _llama_cpp(request, state, who, name, reference)
    try:
        oci_name = parse_name(name)
        tag, digest = parse_reference(reference)
    except OciRequestError as exc:
        return _error(request, 400, exc.code, str(exc))
    denied = _auth_refusal(request, state, who, f"{oci_name.repo}:{reference}")
    if denied is not None:
        return denied
    catalog = OciCatalog(state.gate)
    result = (
        catalog.resolve(oci_name, tag) if tag is not None else catalog.resolve_digest(oci_name, digest or "")
    )
    if isinstance(result, Refusal):
        _log(request, state, who, oci_name, reference, None, result)
        return _refused(request, result, manifest=True)
    media_type = _negotiate(request, result, digest)
    body = result.manifest(media_type)
    if digest is None:  # one pull per model: the manifest fetched by tag (a digest fetch follows a tag fetch)
        _log(request, state, who, oci_name, reference, None, result)
    headers = {
        "Docker-Content-Digest": f"sha256:{hashlib.sha256(body).hexdigest()}",
        "Content-Length": str(len(body)),
        **API_VERSION,
    }
    return Response(b"" if request.method == "HEAD" else body, 200, headers=headers, media_type=media_type)


def _find_blob(
    request: Request, name: str, digest: str
) -> Response | tuple[MirrorState, Caller, tuple[Resolved, Layer], OciName, str]:
    """The blob a ``/v2/<name>/…/<digest>`` request names, once the name, the digest, the caller and the gate
    allow it: ``(state, caller, (version, layer), name, sha)``; otherwise the error response to send."""
    state = mirror_state(request)
    who = caller(state, request)
    try:
        oci_name = parse_name(name)
        sha = parse_digest(digest)
    except OciRequestError as exc:
        return _error(request, 400, exc.code, str(exc))
    denied = _auth_refusal(request, state, who, f"{oci_name.repo}@{digest}")
    if denied is not None:
        return denied
    found = OciCatalog(state.gate).blob(oci_name, sha)
    if isinstance(found, Refusal):
        _log(request, state, who, oci_name, None, digest, found)
        return _refused(request, found, manifest=False)
    return state, who, found, oci_name, sha


@router.api_route("/v2/{name:path}/blobs/{digest}", methods=["GET", "HEAD"])
def blob(request: Request, name: str, digest: str) -> Response:
    looked_up = _find_blob(request, name, digest)
    if isinstance(looked_up, Response):
        return looked_up
    state, who, found, oci_name, sha = looked_up
    resolved, layer = found
    headers = {"Docker-Content-Digest": f"sha256:{sha}", **API_VERSION}
    if layer.path is None:  # a generated blob (the config of a packaged GGUF)
        data = resolved.layout.generated[sha]
        headers["Content-Length"] = str(len(data))
        return Response(
            b"" if request.method == "HEAD" else data,
            200,
            headers=headers,
            media_type="application/octet-stream",
        )
    cleared = state.gate.open(resolved.served, layer.path)
    if isinstance(cleared, Refusal):
        refused = Refusal(cleared.kind, oci_name.repo, f"sha256:{sha}", f"{layer.path}: {cleared.reason}")
        _log(request, state, who, oci_name, None, digest, refused)
        return _refused(request, refused, manifest=False)
    return blob_response(cleared.path, headers)  # HEAD, ranges (206/416), 1 MiB reads


@router.get("/v2/{name:path}/chunksums/{digest}")
def chunksums(request: Request, name: str, digest: str) -> Response:
    """Ollama's newer registry client asks how a large blob is split into independently verified chunks
    (``<digest> <start>-<end>`` lines, the blob's URL in ``Content-Location``). One chunk, the whole blob, whose
    digest is the blob's own: nothing to compute, and the client checks the bytes it receives against it."""
    looked_up = _find_blob(request, name, digest)
    if isinstance(looked_up, Response):
        return looked_up
    _state, _who, found, oci_name, sha = looked_up
    _, layer = found
    body = f"sha256:{sha} 0-{layer.size - 1}\n".encode() if layer.size else b""
    location = str(request.url_for("blob", name=oci_name.repo, digest=f"sha256:{sha}"))
    return Response(body, 200, headers={"Content-Location": location, **API_VERSION}, media_type="text/plain")


@router.get("/v2/{name:path}/tags/list")
def tags(request: Request, name: str) -> Response:
    state = mirror_state(request)
    try:
        oci_name = parse_name(name)
    except OciRequestError as exc:
        return _error(request, 400, exc.code, str(exc))
    denied = _auth_refusal(request, state, caller(state, request), oci_name.repo)
    if denied is not None:
        return denied
    found = OciCatalog(state.gate).tags(oci_name)
    if not found:
        return _error(
            request, 404, "NAME_UNKNOWN", f"{oci_name.repo}: no admitted model of this name is served"
        )
    return _json(request, 200, {"name": oci_name.repo, "tags": found})


def _llama_cpp(request: Request, state: MirrorState, who: Caller, repo: str, tag: str) -> Response:
    """``llama-cli/llama-server -hf user/model[:quant]`` against ``HF_ENDPOINT``/``MODEL_ENDPOINT`` = this mirror.

    Matched against llama.cpp's ``common_get_hf_file`` (common/arg.cpp; common/download.cpp in newer trees): it
    sends ``GET {endpoint}v2/{user}/{model}/manifests/{tag}`` (tag "latest" when none) with ``Accept:
    application/json`` and ``User-Agent: llama-cpp``; on 200 it takes ``ggufFile.rfilename`` (and
    ``mmprojFile.rfilename``) with a regex over the body, then downloads ``{endpoint}{repo}/resolve/main/{file}``
    (the HF face, where the gate checks every byte again). On 401 it prints its own fixed "model is private or
    does not exist" text, so refusals never use 401; on any other status it prints "error from HF API, response
    code: N, data: <body>", so the body is one short JSON line: ``{"error": "weighbridge mirror: …"}``."""

    def answer(status: int, line: str) -> Response:
        return _json(request, status, {"error": f"weighbridge mirror: {line}"})

    if repo.count("/") != 1 or check_repo(repo) is not None:
        return answer(400, f"{repo[:200]!r}: expected <user>/<model>[:quant]")
    if not _LLAMA_TAG.fullmatch(tag):
        return answer(400, f"{repo}: {tag[:100]!r} is not a quantization tag")
    denied = hf_auth_refusal(state, who, repo, "main")
    if denied is not None:  # 401: llama.cpp asks for a token (-hf with HF_TOKEN) in its own words
        return denied
    result = hf_resolve(state, repo, "main")  # llama.cpp downloads from resolve/main
    if isinstance(result, Refusal):
        log_pull(state, who, protocol=LLAMA_CPP, repo=repo, revision=tag, path=None, result=result)
        status, _ = hf_status(result)
        return answer(status, result.line)
    doc = llama_cpp_manifest(result, tag)
    if doc is None:
        return answer(
            404, f"{repo}@{result.commit[:12]}: no GGUF file for the tag {tag!r} among the admitted files"
        )
    return _json(request, 200, doc)  # not counted: the download through resolve/ is the pull


def _auth_refusal(request: Request, state: MirrorState, who: Caller, what: str) -> Response | None:
    """401 when the mirror refuses anonymous pulls and no valid token came. The ``Bearer`` challenge names
    ``/v2/token``, which hands a token sent as a Basic password back as the bearer token (``skopeo
    --src-registry-token TOKEN`` uses it directly). Ollama cannot send such tokens: serve it anonymously."""
    if state.allow_anonymous_pull or who.user is not None:
        return None
    why = (
        "unknown or revoked token"
        if who.token_sent
        else "this mirror needs a token: send Authorization: Bearer"
    )
    realm = str(request.url_for("token"))
    response = _error(request, 401, "UNAUTHORIZED", f"{what}: {why}")
    response.headers["WWW-Authenticate"] = f'Bearer realm="{realm}",service="weighbridge-mirror"'
    return response


def _negotiate(request: Request, resolved: Resolved, digest: str | None) -> str:
    """The manifest form to send: the one a digest names, else OCI when the client accepts it, else Docker v2."""
    if digest is not None:
        for media_type in (DOCKER_MANIFEST, OCI_MANIFEST):
            if hashlib.sha256(resolved.manifest(media_type)).hexdigest() == digest:
                return media_type
    accepted = {
        part.split(";", 1)[0].strip().lower()
        for value in request.headers.getlist("accept")
        for part in value.split(",")
    }
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
    return Response(
        b"" if request.method == "HEAD" else body, status, headers=headers, media_type="application/json"
    )


def _log(
    request: Request,
    state: MirrorState,
    who: Caller,
    name: OciName,
    reference: str | None,
    digest: str | None,
    result: Resolved | Refusal,
) -> None:
    """The audit trail: every refusal, and each manifest fetched by tag (one per pull; HEADs and blobs are not
    counted)."""
    if request.method == "HEAD" and not isinstance(result, Refusal):
        return
    served = result if isinstance(result, Refusal) else result.served
    log_pull(
        state,
        who,
        protocol=PROTOCOL,
        repo=name.repo,
        revision=reference,
        path=f"blobs/{digest}" if digest else None,
        result=served,
    )
