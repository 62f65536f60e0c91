"""Fetching a model from an upstream that speaks the Hugging Face Hub API (the public hub, another Weighbridge
mirror, an Artifactory-style remote): repo info by revision, then each file from ``/resolve/{commit}/…``.

Downloads are bounded: a cap on the whole model and on each file, a connect/read timeout, an overall
deadline, and a file that grows past its announced size is cut off. They resume: a ``.part`` file left by an
interrupted run continues with a ``Range`` request. A finished file is checked against the digest the
upstream announced (the LFS SHA-256, or the git blob SHA-1 of a small file) before it is renamed to its name.
Nothing here writes outside the folder it is given, and every file name from the upstream is checked first.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from ..core.findings import WeighbridgeError
from ..sources.ollama import DEFAULT_HOST, OllamaName, parse_ollama_spec
from .gate import check_path, check_revision

CHUNK = 1024 * 1024
_REPO = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?")
_SHA1 = re.compile(r"[0-9a-f]{40}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class UpstreamError(WeighbridgeError):
    """The upstream refused, timed out, sent too much or sent bytes that do not match: one line."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 200 * 1024**3  # the whole model
    max_file_bytes: int = 100 * 1024**3
    max_files: int = 10_000
    connect_timeout: float = 10.0
    read_timeout: float = 60.0  # the longest silence tolerated while reading
    deadline: float | None = None  # seconds for the whole fetch


@dataclass(frozen=True)
class UpstreamFile:
    path: str
    size: int | None
    sha256: str | None  # LFS files
    git_sha1: str | None  # plain git files


@dataclass(frozen=True)
class UpstreamRepo:
    repo: str
    commit: str
    files: tuple[UpstreamFile, ...]


def parse_source(source: str) -> tuple[str, str]:
    """``hf:org/name[@rev]`` → (repo, revision; ``main`` when none)."""
    if not source.startswith("hf:"):
        raise UpstreamError(
            f"intake takes hf:org/name[@revision] or ollama:[namespace/]name:tag, not {source[:100]!r}"
        )
    repo, _, revision = source[3:].partition("@")
    revision = revision or "main"
    if not _REPO.fullmatch(repo) or ".." in repo:
        raise UpstreamError(f"{source[:100]!r}: not a valid Hugging Face repo id")
    if check_revision(revision) is not None:
        raise UpstreamError(f"{source[:100]!r}: not a valid revision")
    return repo, revision


def parse_ollama_source(source: str) -> OllamaName:
    """``ollama:[ns/]name[:tag]`` → the name (``library`` and ``latest`` by default); the host is the upstream's,
    so a host in the source is refused."""
    try:
        name = parse_ollama_spec(source)
    except WeighbridgeError as exc:
        raise UpstreamError(str(exc)) from None
    if name.host != DEFAULT_HOST:
        raise UpstreamError(
            f"{source[:100]!r}: name the model as ollama:[namespace/]name:tag; the registry it "
            "comes from is --upstream"
        )
    return name


def check_source(source: str) -> None:
    """``UpstreamError`` unless ``source`` is an intake source: ``hf:org/name[@rev]`` or ``ollama:[ns/]name:tag``."""
    if source.startswith("ollama:"):
        parse_ollama_source(source)
    else:
        parse_source(source)


class Upstream:
    def __init__(
        self,
        endpoint: str,
        *,
        token: str | None = None,
        limits: Limits | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not re.match(r"https?://", endpoint):
            raise UpstreamError(f"upstream {endpoint!r} must be an http:// or https:// URL")
        self.endpoint = endpoint.rstrip("/")
        self.limits = limits or Limits()
        headers = {"User-Agent": "weighbridge-mirror", "Accept-Encoding": "identity"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        timeout = httpx.Timeout(self.limits.read_timeout, connect=self.limits.connect_timeout)
        self.client = httpx.Client(
            headers=headers, timeout=timeout, follow_redirects=True, transport=transport
        )
        self._started = time.monotonic()

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Upstream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_deadline(self) -> None:
        limit = self.limits.deadline
        if limit is not None and time.monotonic() - self._started > limit:
            raise UpstreamError(f"upstream fetch exceeded its deadline of {limit:g} s")

    def repo_info(self, repo: str, revision: str) -> UpstreamRepo:
        """The commit ``revision`` names upstream and its files (with sizes and digests)."""
        url = f"{self.endpoint}/api/models/{repo}/revision/{quote(revision, safe='')}"
        try:
            response = self.client.get(url, params={"blobs": "true"})
        except httpx.HTTPError as exc:
            raise UpstreamError(f"upstream {self.endpoint}: {type(exc).__name__}: {exc}") from None
        if response.status_code != 200:
            raise UpstreamError(
                f"upstream {self.endpoint}: {repo}@{revision}: HTTP {response.status_code}"
                f"{_message(response)}"
            )
        if len(response.content) > 64 * 1024 * 1024:
            raise UpstreamError(f"upstream {self.endpoint}: repo info of {repo} is implausibly large")
        try:
            doc = response.json()
        except ValueError:
            raise UpstreamError(f"upstream {self.endpoint}: repo info of {repo} is not JSON") from None
        return _repo(doc, repo, revision, self.endpoint, self.limits)

    def download(
        self,
        repo: str,
        commit: str,
        item: UpstreamFile,
        folder: Path,
        heartbeat: Callable[[int], None] | None = None,
        *,
        url: str | None = None,
    ) -> Path:
        """Fetch one file into ``folder`` (resuming a ``.part`` left before), check it, rename it into place.
        From ``{repo}/resolve/{commit}/{path}``, or from ``url`` (an OCI blob)."""
        if check_path(item.path) is not None:
            raise UpstreamError(f"upstream file name {item.path[:200]!r} is not a safe relative path")
        final = folder / item.path
        if final.is_file() and _matches(final, item):
            return final
        final.parent.mkdir(parents=True, exist_ok=True)
        part = final.with_name(final.name + ".part")
        have = part.stat().st_size if part.is_file() else 0
        cap = item.size if item.size is not None else self.limits.max_file_bytes
        if have > cap:
            part.unlink()
            have = 0
        url = url or f"{self.endpoint}/{repo}/resolve/{commit}/{quote(item.path)}"
        headers = {"Range": f"bytes={have}-"} if have else {}
        if item.size is not None and have == item.size:
            return self._finish(part, final, item)
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                if response.status_code == 200 and have:
                    have = 0  # the upstream ignored the range: start over
                elif response.status_code not in (200, 206):
                    response.read()
                    raise UpstreamError(
                        f"upstream {self.endpoint}: {repo}/{item.path}: HTTP "
                        f"{response.status_code}{_message(response)}"
                    )
                announced = response.headers.get("content-length")
                if announced is not None and announced.isdigit() and have + int(announced) > cap:
                    raise UpstreamError(
                        f"upstream {self.endpoint}: {repo}/{item.path} is "
                        f"{have + int(announced)} bytes, more than the {cap} allowed"
                    )
                written = have
                last_beat = time.monotonic()
                with open(part, "ab" if have else "wb", buffering=0) as out:  # on disk as it arrives
                    for chunk in response.iter_bytes():  # as it arrives (a chunk size would buffer)
                        written += len(chunk)
                        if written > cap:
                            raise UpstreamError(
                                f"upstream {self.endpoint}: {repo}/{item.path} sent more than "
                                f"the {cap} bytes allowed"
                            )
                        out.write(chunk)
                        self._check_deadline()
                        if heartbeat is not None and time.monotonic() - last_beat > 2:
                            heartbeat(written)
                            last_beat = time.monotonic()
                    out.flush()
                    os.fsync(out.fileno())
        except httpx.TimeoutException:
            raise UpstreamError(f"upstream {self.endpoint}: {repo}/{item.path}: timed out") from None
        except httpx.HTTPError as exc:
            raise UpstreamError(
                f"upstream {self.endpoint}: {repo}/{item.path}: {type(exc).__name__}: {exc}"
            ) from None
        return self._finish(part, final, item)

    def _finish(self, part: Path, final: Path, item: UpstreamFile) -> Path:
        size = part.stat().st_size
        if item.size is not None and size != item.size:
            raise UpstreamError(f"{item.path}: got {size} bytes, the upstream announced {item.size}")
        if not _matches(part, item):
            part.unlink()
            raise UpstreamError(
                f"{item.path}: the downloaded bytes do not match the digest the upstream announced"
            )
        os.replace(part, final)
        return final


def _matches(path: Path, item: UpstreamFile) -> bool:
    if item.size is not None and path.stat().st_size != item.size:
        return False
    if item.sha256 is not None:
        return _hash(path, hashlib.sha256(), b"") == item.sha256
    if item.git_sha1 is not None:
        prefix = b"blob %d\x00" % path.stat().st_size
        return _hash(path, hashlib.sha1(usedforsecurity=False), prefix) == item.git_sha1
    return True


def _hash(path: Path, hasher: Any, prefix: bytes) -> str:
    hasher.update(prefix)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            hasher.update(chunk)
    return str(hasher.hexdigest())


def _repo(doc: Any, repo: str, revision: str, endpoint: str, limits: Limits) -> UpstreamRepo:
    if not isinstance(doc, dict):
        raise UpstreamError(f"upstream {endpoint}: repo info of {repo} is not an object")
    commit = str(doc.get("sha") or "").lower()
    if not _SHA1.fullmatch(commit):
        raise UpstreamError(f"upstream {endpoint}: {repo}@{revision} has no commit sha")
    siblings = doc.get("siblings")
    if not isinstance(siblings, list):
        raise UpstreamError(f"upstream {endpoint}: repo info of {repo} lists no files")
    if len(siblings) > limits.max_files:
        raise UpstreamError(
            f"upstream {endpoint}: {repo} has {len(siblings)} files, more than {limits.max_files}"
        )
    files: list[UpstreamFile] = []
    total = 0
    for entry in siblings:
        if not isinstance(entry, dict) or not isinstance(entry.get("rfilename"), str):
            raise UpstreamError(f"upstream {endpoint}: a file entry of {repo} is malformed")
        path = entry["rfilename"]
        if check_path(path) is not None:
            raise UpstreamError(f"upstream {endpoint}: {repo} lists an unsafe file name {path[:200]!r}")
        lfs = entry.get("lfs") if isinstance(entry.get("lfs"), dict) else None
        size = entry.get("size")
        size = size if isinstance(size, int) and size >= 0 else None
        sha256 = str(lfs.get("sha256") or "").lower() if lfs else ""
        blob = str(entry.get("blobId") or "").lower()
        if lfs and isinstance(lfs.get("size"), int):
            size = lfs["size"]
        item = UpstreamFile(
            path=path,
            size=size,
            sha256=sha256 if _SHA256.fullmatch(sha256) else None,
            git_sha1=blob if not lfs and _SHA1.fullmatch(blob) else None,
        )
        if item.size is not None:
            if item.size > limits.max_file_bytes:
                raise UpstreamError(
                    f"upstream {endpoint}: {repo}/{path} is {item.size} bytes, more than the "
                    f"{limits.max_file_bytes} allowed per file"
                )
            total += item.size
        files.append(item)
    if total > limits.max_bytes:
        raise UpstreamError(
            f"upstream {endpoint}: {repo}@{revision} is {total} bytes, more than the "
            f"{limits.max_bytes} allowed"
        )
    return UpstreamRepo(repo=repo, commit=commit, files=tuple(files))


def _message(response: httpx.Response) -> str:
    text = response.headers.get("x-error-message")
    if not text:
        try:
            body = response.json()
            text = body.get("error") if isinstance(body, dict) else None
        except ValueError:
            text = None
    return f": {str(text).splitlines()[0][:300]}" if text else ""
