"""Source URLs: where the model lives (its Hub repo, GGUF ``general.url``/``general.repo_url``), what it was
converted from (GGUF ``general.source.*``) and where its ancestors live. Only http(s) URLs are reported."""

from __future__ import annotations

from collections.abc import Sequence

from ..core.provenance import Ancestor, Citation, GGUFGeneral, SourceURL
from .identity import Identity
from .names import hub_url, repo_id

_GGUF_KEYS = (
    ("general.url", "artifact"),
    ("general.repo_url", "artifact"),
    ("general.source.url", "source"),
    ("general.source.repo_url", "source"),
    ("general.source.huggingface.repository", "source"),
)


def collect_urls(
    identity: Identity, ggufs: Sequence[GGUFGeneral], lineage: Sequence[Ancestor]
) -> tuple[SourceURL, ...]:
    found: dict[str, tuple[str, str, list[Citation]]] = {}

    def add(url: str, role: str, cites: Sequence[Citation]) -> None:
        key = url.rstrip("/").lower()
        if key not in found:
            found[key] = (url.rstrip("/"), role, [])
        found[key][2].extend(c for c in cites if c not in found[key][2])

    if identity.repo_id is not None:
        add(hub_url(identity.repo_id), "artifact", identity.citations)
    for gguf in ggufs:
        for key, role in _GGUF_KEYS:
            value = gguf.text(key)
            url = _as_url(value) if value else None
            if url is not None:
                add(url, role, [gguf.cite(key)])
    for ancestor in lineage:
        if ancestor.url is not None:
            add(ancestor.url, "base-model", ancestor.citations)
    return tuple(SourceURL(url, role, tuple(cites)) for url, role, cites in found.values())


def _as_url(value: str) -> str | None:
    text = value.strip()
    if text.startswith(("https://", "http://")) and " " not in text:
        return text
    rid = repo_id(text)
    return hub_url(rid) if rid is not None else None
