"""Which admitted versions the OCI/Ollama face serves, under which ``namespace/name:tag``, and why not.

A request names ``[namespace/]name`` and a tag or digest; the registry is asked on every request (through the
``Gate``), so a revocation holds from the next request on:

* an Ollama model (source ``ollama:[host/][ns/]name:tag``) is served as ``ns/name:tag`` (``library`` when the
  source names no namespace), its manifest rebuilt from the recorded layers;
* a version with GGUF files is served under its repo id (``org/name`` of an ``hf:`` source, else its registry
  name; a name without ``/`` is in ``library``) with the tags ``gguf_tags`` lists.

Names compare case-insensitively (OCI clients such as skopeo only send lower-case repository names).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ..core.findings import WeighbridgeError
from ..core.mirror import Refusal, RefusalKind, ServedFile, ServedVersion
from ..core.registry import VersionRecord
from ..sources.ollama import DEFAULT_NAMESPACE, parse_ollama_spec
from .gate import Gate
from .ollama_layout import (
    CONFIG_LIMIT,
    CONFIG_NAME,
    DOCKER_MANIFEST,
    OCI_MANIFEST,
    Layer,
    Layout,
    LayoutError,
    gguf_layout,
    gguf_tags,
    ollama_layout,
)

_COMPONENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
_DIGEST = re.compile(r"sha256:([0-9a-f]{64})")
_ANY_DIGEST = re.compile(r"[A-Za-z0-9][A-Za-z0-9+._-]*:.*")


class OciRequestError(ValueError):
    """A malformed name, tag or digest: the OCI error code and one line."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class OciName:
    namespace: str
    name: str

    @property
    def repo(self) -> str:
        return f"{self.namespace}/{self.name}"

    def matches(self, namespace: str, name: str) -> bool:
        return (self.namespace.lower(), self.name.lower()) == (namespace.lower(), name.lower())


def parse_name(raw: str) -> OciName:
    parts = raw.split("/")
    if len(parts) > 2 or not all(_COMPONENT.fullmatch(p) and ".." not in p for p in parts):
        raise OciRequestError(
            "NAME_INVALID",
            f"invalid repository name {_printable(raw)!r}: expected "
            "[namespace/]name of letters, digits, '.', '_' and '-'",
        )
    return OciName(parts[0], parts[1]) if len(parts) == 2 else OciName(DEFAULT_NAMESPACE, parts[0])


def parse_digest(raw: str) -> str:
    """The hex of a ``sha256:<64 hex>`` digest; ``OciRequestError`` (DIGEST_INVALID) otherwise."""
    match = _DIGEST.fullmatch(raw)
    if match is None:
        raise OciRequestError(
            "DIGEST_INVALID", f"invalid digest {_printable(raw)!r}: only sha256:<64 lower-case hex> is served"
        )
    return match.group(1)


def parse_reference(raw: str) -> tuple[str | None, str | None]:
    """``(tag, None)`` or ``(None, digest hex)``."""
    if _ANY_DIGEST.fullmatch(raw):
        return None, parse_digest(raw)
    if not _TAG.fullmatch(raw):
        raise OciRequestError("MANIFEST_INVALID", f"invalid tag {_printable(raw)!r}")
    return raw, None


@dataclass(frozen=True)
class Resolved:
    """A served version as one Ollama model: its tag, layout, and the manifest in the form asked for."""

    name: OciName
    tag: str
    served: ServedVersion
    layout: Layout

    def manifest(self, media_type: str) -> bytes:
        return self.layout.manifest(media_type)


@dataclass(frozen=True)
class _Candidate:
    repo: str  # what the gate resolves: the registry name (Ollama) or the repo id (GGUF)
    model: str
    ollama_tag: str | None  # an Ollama model's own tag; None for GGUF versions (tags from their files)


def refusal(name: OciName, ref: str, kind: RefusalKind, reason: str) -> Refusal:
    return Refusal(kind, name.repo, ref, reason)


class OciCatalog:
    def __init__(self, gate: Gate) -> None:
        self.gate = gate

    # --- lookup ---

    def _candidates(self, name: OciName) -> list[_Candidate]:
        rows = self.gate.registry.list_versions(query=name.name)
        found: dict[str, _Candidate] = {}
        for row in rows:
            source, model = row.source or "", row.model
            if source.startswith("ollama:"):
                try:
                    spec = parse_ollama_spec(source)
                except WeighbridgeError:
                    continue
                if name.matches(spec.namespace, spec.name):
                    found.setdefault(model, _Candidate(model, model, spec.tag))
                continue
            repo = source[3:].split("@", 1)[0] if source.startswith("hf:") else model
            namespace, _, short = repo.rpartition("/")
            if "/" in namespace:
                continue
            if name.matches(namespace or DEFAULT_NAMESPACE, short):
                found.setdefault(repo, _Candidate(repo, model, None))
        return list(found.values())

    def resolve(self, name: OciName, tag: str, *, check_blobs: bool = True) -> Resolved | Refusal:
        """The admitted version ``name:tag`` names, laid out as an Ollama model, with every blob cleared by the
        gate (``check_blobs``); else the refusal that explains why not."""
        refusals: list[Refusal] = []
        for cand in self._candidates(name):
            if cand.ollama_tag is not None and cand.ollama_tag.lower() != tag.lower():
                continue
            result = self._resolve(name, cand, tag, check_blobs)
            if isinstance(result, Resolved):
                return result
            refusals.append(result)
        if refusals:
            return _first(refusals)
        return refusal(name, tag, RefusalKind.NOT_ADMITTED, "the registry holds no such model")

    def resolve_digest(self, name: OciName, digest: str) -> Resolved | Refusal:
        """The served manifest (in either form) whose SHA-256 is ``digest``."""
        refusals: list[Refusal] = []
        for resolved in self._every_tag(name, refusals):
            for media_type in (DOCKER_MANIFEST, OCI_MANIFEST):
                if hashlib.sha256(resolved.manifest(media_type)).hexdigest() == digest:
                    return resolved
        if refusals:
            return _first(refusals)
        return refusal(
            name, f"sha256:{digest}", RefusalKind.NOT_ADMITTED, "no admitted manifest has this digest"
        )

    def blob(self, name: OciName, digest: str) -> tuple[Resolved, Layer] | Refusal:
        """The served blob ``digest`` of any tag of ``name``; a refusal naming why when it belongs to a version
        that is not served (or to none: NOT_FOUND)."""
        refusals: list[Refusal] = []
        for resolved in self._every_tag(name, refusals, check_blobs=False):
            layer = resolved.layout.blob(digest)
            if layer is not None:
                return resolved, layer
        ref = f"sha256:{digest}"
        for cand in self._candidates(name):  # a blob of a version that is refused: say why
            try:
                files = self.gate.registry.get_version(cand.model).files
            except WeighbridgeError:
                continue
            if any(f.sha256 == digest for f in files):
                result = self.gate.resolve(cand.repo, None)
                if isinstance(result, Refusal):
                    return refusal(name, ref, result.kind, result.reason)
        return refusal(name, ref, RefusalKind.NOT_FOUND, "no served model of this name has this blob")

    def tags(self, name: OciName) -> list[str]:
        return sorted({r.tag for r in self._every_tag(name, [], check_blobs=False)})

    def catalog(self) -> list[str]:
        """Every ``namespace/name`` with at least one admitted version served over ``/v2/``."""
        names = {
            ref.rpartition(":")[0]
            for version in self.gate.registry.mirror.admitted()
            for ref in oci_references(version)
        }
        return sorted(names, key=str.lower)

    # --- internals ---

    def _every_tag(
        self, name: OciName, refusals: list[Refusal], *, check_blobs: bool = True
    ) -> list[Resolved]:
        out: list[Resolved] = []
        for cand in self._candidates(name):
            if cand.ollama_tag is not None:
                tags = [cand.ollama_tag]
            else:
                served = self.gate.resolve(cand.repo, None)
                if isinstance(served, Refusal):
                    refusals.append(refusal(name, "latest", served.kind, served.reason))
                    continue
                tags = gguf_tags(served.files)
            for tag in tags:
                result = self._resolve(name, cand, tag, check_blobs)
                if isinstance(result, Resolved):
                    out.append(result)
                else:
                    refusals.append(result)
        return out

    def _resolve(self, name: OciName, cand: _Candidate, tag: str, check_blobs: bool) -> Resolved | Refusal:
        served = self.gate.resolve(cand.repo, None)
        if isinstance(served, Refusal):
            return refusal(name, tag, served.kind, served.reason)
        if cand.ollama_tag is not None:
            config = self._config(served, tag, name)
            if isinstance(config, Refusal):
                return config
            try:
                layout = ollama_layout(served.files, config)
            except LayoutError as exc:
                return refusal(
                    name, tag, RefusalKind.NOT_FOUND, f"cannot be served as an Ollama model: {exc}"
                )
        else:
            found = gguf_layout(served.files, tag)
            if found is None:
                tags = gguf_tags(served.files)
                listed = f" (tags: {', '.join(tags)})" if tags else " (it has no GGUF file to serve)"
                return refusal(
                    name,
                    tag,
                    RefusalKind.NOT_FOUND,
                    f"no GGUF file of {served.model} matches this tag{listed}",
                )
            layout = found
        if check_blobs:
            for layer in layout.blobs():
                if layer.path is None:
                    continue
                cleared = self.gate.open(served, layer.path)
                if isinstance(cleared, Refusal):
                    return refusal(name, tag, cleared.kind, f"{layer.path}: {cleared.reason}")
        return Resolved(name=name, tag=tag, served=served, layout=layout)

    def _config(self, served: ServedVersion, tag: str, name: OciName) -> bytes | None | Refusal:
        if served.file(CONFIG_NAME) is None:
            return None
        cleared = self.gate.open(served, CONFIG_NAME)
        if isinstance(cleared, Refusal):
            return refusal(name, tag, cleared.kind, f"{CONFIG_NAME}: {cleared.reason}")
        try:
            with open(cleared.path, "rb") as handle:
                return handle.read(CONFIG_LIMIT + 1)
        except OSError as exc:
            return refusal(name, tag, RefusalKind.BLOB_MISSING, f"{CONFIG_NAME}: unreadable ({exc.strerror})")


def oci_references(version: VersionRecord) -> list[str]:
    """The ``namespace/name:tag`` references under which ``version`` is served over ``/v2/`` when admitted
    (none when it is neither an Ollama model nor a version with a GGUF to package). From the record alone.
    Repository names are given in lower case, the only spelling OCI clients send (names match either way)."""
    files = [ServedFile(f.path, f.size, f.sha256) for f in version.files]
    if version.source.startswith("ollama:"):
        try:
            spec = parse_ollama_spec(version.source)
            ollama_layout(files, None)
        except (WeighbridgeError, LayoutError):
            return []
        return [f"{spec.namespace}/{spec.name}:{spec.tag}".lower()]
    repo = version.source[3:].split("@", 1)[0] if version.source.startswith("hf:") else version.model
    if repo.count("/") > 1:
        return []
    base = (repo if "/" in repo else f"{DEFAULT_NAMESPACE}/{repo}").lower()
    return [f"{base}:{tag}" for tag in gguf_tags(files)]


_SEVERITY = {
    RefusalKind.BLOB_CORRUPT: 0,
    RefusalKind.REVOKED: 1,
    RefusalKind.QUARANTINED: 2,
    RefusalKind.REJECTED: 3,
    RefusalKind.AWAITING_REVIEW: 4,
    RefusalKind.BLOB_MISSING: 5,
    RefusalKind.NOT_FOUND: 6,
    RefusalKind.NOT_ADMITTED: 7,
    RefusalKind.MALFORMED: 8,
}


def _first(refusals: list[Refusal]) -> Refusal:
    """The most telling refusal when several versions could have answered."""
    return min(refusals, key=lambda r: _SEVERITY.get(r.kind, 9))


def _printable(value: str) -> str:
    return value.encode("unicode_escape", "backslashreplace").decode("ascii", "replace")[:200]
