"""The Hugging Face face of the mirror: the endpoints ``huggingface_hub`` and ``transformers`` call when
``HF_ENDPOINT`` points here, answered from the gate (the registry's decisions) and the blob store.

    GET       /api/models/{repo}[/revision/{rev}]      repo info: id, sha (the commit), siblings
    GET       /api/models/{repo}/tree/{rev}[/{path}]   file listing (``recursive=true`` for all levels)
    HEAD/GET  /{repo}/resolve/{rev}/{path}             the file, with X-Repo-Commit, ETag/X-Linked-Etag
                                                       (its SHA-256), X-Linked-Size, Content-Length, ranges

Every file is presented as a Git LFS file: its ``oid`` is the git blob hash of the LFS pointer, its ``lfs``
entry and ETag carry the SHA-256 the registry recorded, which is also the blob's address in the store. No Xet
headers are sent, so clients use plain HTTP downloads.

Refusals reach the client as errors it turns into readable exceptions (``huggingface_hub.utils._http``
``hf_raise_for_status``): 404 with ``X-Error-Code: RepoNotFound`` / ``RevisionNotFound`` / ``EntryNotFound``
for what the registry does not hold, 403 with ``X-Error-Code: GatedRepo`` for what it holds but does not serve
(rejected, revoked, quarantined, awaiting review, blob withheld), 400 for malformed requests, 401 when a token
is needed. The one-line reason is in ``X-Error-Message`` and in the JSON body ``{"error": …}``.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ..core.mirror import Refusal, RefusalKind, ServedVersion
from .response import blob_response
from .state import Caller, MirrorState, caller, log_pull, mirror_state

router = APIRouter(include_in_schema=False)
PROTOCOL = "hf"


class BadRequest(Exception):
    """A request path the face cannot parse (bad percent-encoding, missing parts)."""


# --- responses ---


def _ascii(text: str) -> str:
    """Header-safe: HTTP header values are latin-1; keep them plain ASCII and on one line."""
    return (
        text.encode("ascii", "backslashreplace").decode("ascii").replace("\r", " ").replace("\n", " ")[:1000]
    )


def refusal_response(refusal: Refusal, *, commit: str | None = None) -> Response:
    status, code = _status(refusal)
    line = f"weighbridge mirror: {refusal.line}"
    headers = {"X-Error-Message": _ascii(line)}
    if code is not None:
        headers["X-Error-Code"] = code
    if commit is not None:
        headers["X-Repo-Commit"] = commit
    return JSONResponse({"error": line, "refusal": refusal.to_dict()}, status_code=status, headers=headers)


def _status(refusal: Refusal) -> tuple[int, str | None]:
    kind = refusal.kind
    if kind is RefusalKind.MALFORMED:
        return 400, None
    if kind is RefusalKind.NOT_FOUND:
        return 404, "EntryNotFound"
    if kind is RefusalKind.NOT_ADMITTED:
        return 404, "RevisionNotFound" if refusal.scope == "revision" else "RepoNotFound"
    return 403, "GatedRepo"


def _auth_refusal(state: MirrorState, who: Caller, repo: str, revision: str | None) -> Response | None:
    if state.allow_anonymous_pull or who.user is not None:
        return None
    why = (
        "unknown or revoked token"
        if who.token_sent
        else "this mirror needs a token: send Authorization: Bearer"
    )
    line = f"weighbridge mirror: {repo}@{revision or 'main'}: {why}"
    return JSONResponse({"error": line}, status_code=401, headers={"X-Error-Message": _ascii(line)})


# --- path parsing (from the raw path, so %2F inside a revision stays inside it) ---


def _segments(request: Request) -> list[str]:
    raw = request.scope.get("raw_path") or request.url.path.encode()
    path = raw.decode("latin-1").split("?", 1)[0]
    try:
        return [unquote(part, errors="strict") for part in path.split("/")[1:]]
    except UnicodeDecodeError:
        raise BadRequest("the path is not valid percent-encoded UTF-8") from None


def _split_repo(parts: list[str], marker: str) -> tuple[str, list[str]]:
    """``repo`` (one or two parts) before ``marker``, and what follows the marker."""
    for size in (1, 2):
        if len(parts) > size and parts[size] == marker:
            return "/".join(parts[:size]), parts[size + 1 :]
    raise BadRequest(f"expected /{{repo}}/{marker}/…")


# --- views of a served version ---


def _pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


def _git_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data, usedforsecurity=False).hexdigest()


def _lfs(sha256: str, size: int) -> dict[str, Any]:
    return {"oid": sha256, "size": size, "pointerSize": len(_pointer(sha256, size))}


def repo_info(served: ServedVersion) -> dict[str, Any]:
    author = served.repo_id.split("/", 1)[0] if "/" in served.repo_id else None
    siblings = [
        {
            "rfilename": f.path,
            "size": f.size,
            "blobId": _git_oid(_pointer(f.sha256, f.size)),
            "lfs": {"sha256": f.sha256, "size": f.size, "pointerSize": len(_pointer(f.sha256, f.size))},
        }
        for f in served.files
    ]
    return {
        "_id": served.commit,
        "id": served.repo_id,
        "modelId": served.repo_id,
        "author": author,
        "sha": served.commit,
        "private": False,
        "gated": False,
        "disabled": False,
        "tags": [],
        "siblings": siblings,
        "weighbridge": {
            "model": served.model,
            "manifest_digest": served.manifest_digest,
            "source": served.source,
        },
    }


def tree(served: ServedVersion, folder: str, recursive: bool) -> list[dict[str, Any]] | None:
    """Entries under ``folder`` ("" for the root), folders before files like the Hub; ``None`` when the folder
    does not exist."""
    prefix = f"{folder}/" if folder else ""
    files: list[dict[str, Any]] = []
    dirs: set[str] = set()
    for item in served.files:
        if not item.path.startswith(prefix):
            continue
        rest = item.path[len(prefix) :]
        parts = rest.split("/")
        for depth in range(1, len(parts)):
            if recursive or depth == 1:
                dirs.add(prefix + "/".join(parts[:depth]))
        if recursive or len(parts) == 1:
            files.append(
                {
                    "type": "file",
                    "oid": _git_oid(_pointer(item.sha256, item.size)),
                    "size": item.size,
                    "path": item.path,
                    "lfs": _lfs(item.sha256, item.size),
                }
            )
    if folder and not files and not dirs:
        return None
    folders = [
        {"type": "directory", "oid": hashlib.sha1(d.encode(), usedforsecurity=False).hexdigest(), "path": d}
        for d in sorted(dirs)
    ]
    return folders + sorted(files, key=lambda e: str(e["path"]))


# --- routes ---


@router.api_route("/api/models/{rest:path}", methods=["GET"])
def api_models(request: Request) -> Response:
    state = mirror_state(request)
    who = caller(state, request)
    try:
        parts = _segments(request)[2:]  # after "api", "models"
        if len(parts) in (1, 2) and "revision" not in parts and "tree" not in parts:
            repo, kind, rest = "/".join(parts), "revision", ["main"]
        else:
            for marker in ("revision", "tree"):
                try:
                    repo, rest = _split_repo(parts, marker)
                    kind = marker
                    break
                except BadRequest:
                    continue
            else:
                raise BadRequest(
                    "expected /api/models/{repo}/revision/{rev} or /api/models/{repo}/tree/{rev}"
                )
        if not rest or not rest[0]:
            raise BadRequest("missing revision")
    except BadRequest as exc:
        return _malformed(str(exc))
    revision = rest[0]
    denied = _auth_refusal(state, who, repo, revision)
    if denied is not None:
        return denied
    result = _resolve(state, repo, revision)
    if isinstance(result, Refusal):
        log_pull(state, who, protocol=PROTOCOL, repo=repo, revision=revision, path=None, result=result)
        return refusal_response(result)
    if kind == "revision":
        if len(rest) != 1:
            return _malformed("expected /api/models/{repo}/revision/{rev}")
        return JSONResponse(repo_info(result))
    folder = "/".join(rest[1:]).strip("/")
    if folder:
        from .gate import check_path

        problem = check_path(folder)
        if problem is not None:
            return refusal_response(
                Refusal(RefusalKind.MALFORMED, repo, revision, problem, path=folder[:200])
            )
    recursive = request.query_params.get("recursive", "").lower() in ("1", "true", "yes")
    entries = tree(result, folder, recursive)
    if entries is None:
        return refusal_response(
            Refusal(RefusalKind.NOT_FOUND, repo, revision, "no such folder in this version", path=folder),
            commit=result.commit,
        )
    return JSONResponse(entries, headers={"X-Repo-Commit": result.commit})


@router.api_route("/{first}/resolve/{rest:path}", methods=["GET", "HEAD"])
@router.api_route("/{first}/{second}/resolve/{rest:path}", methods=["GET", "HEAD"])
def resolve(request: Request) -> Response:
    state = mirror_state(request)
    who = caller(state, request)
    try:
        repo, rest = _split_repo(_segments(request), "resolve")
        if len(rest) < 2 or not rest[0]:
            raise BadRequest("expected /{repo}/resolve/{revision}/{path}")
    except BadRequest as exc:
        return _malformed(str(exc))
    revision, path = rest[0], "/".join(rest[1:])
    denied = _auth_refusal(state, who, repo, revision)
    if denied is not None:
        return denied
    head = request.method == "HEAD"
    result = _resolve(state, repo, revision)
    if isinstance(result, Refusal):
        log_pull(state, who, protocol=PROTOCOL, repo=repo, revision=revision, path=path, result=result)
        return refusal_response(result)
    blob = state.gate.open(result, path, revision=revision)
    if isinstance(blob, Refusal):
        if blob.kind is not RefusalKind.NOT_FOUND:
            log_pull(state, who, protocol=PROTOCOL, repo=repo, revision=revision, path=path, result=blob)
        return refusal_response(blob, commit=result.commit)
    headers = {
        "X-Repo-Commit": result.commit,
        "ETag": f'"{blob.file.sha256}"',
        "X-Linked-Etag": f'"{blob.file.sha256}"',
        "X-Linked-Size": str(blob.file.size),
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, max-age=0, must-revalidate",
    }
    if head:
        headers["Content-Length"] = str(blob.file.size)
        return Response(status_code=200, headers=headers, media_type="application/octet-stream")
    if _counts_as_pull(request.headers.get("range")):
        log_pull(state, who, protocol=PROTOCOL, repo=repo, revision=revision, path=path, result=result)
    return blob_response(blob.path, headers)


def _resolve(state: MirrorState, repo: str, revision: str) -> ServedVersion | Refusal:
    """The gate's answer; with ``--intake-on-request``, a model the registry does not hold starts its intake
    and the refusal says so (the client retries later)."""
    result = state.gate.resolve(repo, revision)
    if (
        state.auto_intake is not None
        and isinstance(result, Refusal)
        and result.kind is RefusalKind.NOT_ADMITTED
        and result.scope == "repo"
        and "no such model" in result.reason
    ):
        from .background import intake_on_request

        if intake_on_request(state.registry, state.store, state.auto_intake, repo, revision) is not None:
            return Refusal(
                RefusalKind.NOT_ADMITTED,
                repo,
                revision,
                "not in the registry; intake from the upstream has started: retry once it is admitted",
            )
    return result


def _counts_as_pull(range_header: str | None) -> bool:
    """A download is counted once: a plain GET, or a range request from byte 0 (not a resume)."""
    if not range_header:
        return True
    spec = range_header.strip().lower().removeprefix("bytes=")
    return spec.startswith("0-")


def _malformed(message: str) -> Response:
    line = f"weighbridge mirror: malformed request: {message}"
    return JSONResponse({"error": line}, status_code=400, headers={"X-Error-Message": _ascii(line)})
