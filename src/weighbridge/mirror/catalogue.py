"""What the mirror serves and what it refused, for the dashboard, the API and ``mirror status``: read from
the registry (decisions, pulls, intake) and, when given, the store (is every blob there)."""

from __future__ import annotations

from typing import Any

from ..core.mirror import IntakeState, PullOutcome
from ..registry import Registry
from .gate import commit_of, repo_id_of
from .oci_catalog import oci_references
from .store import BlobStore


def catalogue(registry: Registry, store: BlobStore | None = None) -> list[dict[str, Any]]:
    """Every admitted version with its repo id, commit, size, served-pull count, and whether its blobs are
    all in the store (``None`` when no store was given)."""
    counts = registry.mirror.pull_counts()
    flagged = registry.mirror.flagged([f.sha256 for v in registry.mirror.admitted() for f in v.files])
    rows = []
    for version in registry.mirror.admitted():
        published = None if store is None else all(store.has(f.sha256) for f in version.files)
        rows.append(
            {
                "model": version.model,
                "repo_id": repo_id_of(version),
                "commit": commit_of(version),
                "manifest_digest": version.manifest_digest,
                "source": version.source,
                "files": len(version.files),
                "bytes": sum(f.size for f in version.files),
                "pulls": counts.get((version.model, version.manifest_digest), 0),
                "published": published,
                "protocols": ["hf", *(["oci"] if oci_references(version) else [])],
                "oci": oci_references(version),
                "withheld": sorted(f.path for f in version.files if f.sha256 in flagged),
                "decided_at": version.extra.get("decided_at"),
            }
        )
    return rows


def mirror_overview(registry: Registry, store: BlobStore | None = None, *, limit: int = 50) -> dict[str, Any]:
    refused = registry.mirror.pulls(outcome=PullOutcome.REFUSED, limit=limit)
    queue = registry.mirror.intake_queue(limit=limit)
    return {
        "schema": "weighbridge.mirror-overview/1",
        "catalogue": catalogue(registry, store),
        "intake": [r.to_dict() for r in queue],
        "waiting": sum(1 for r in queue if r.state is IntakeState.WAITING),
        "refused": [p.to_dict() for p in refused],
    }
