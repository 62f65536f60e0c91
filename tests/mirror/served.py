"""A mirror with the real MiniLM folder admitted (as the hf: source with a pinned commit) and published,
served by uvicorn on a free loopback port, for the client tests."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.artifacts import minilm_folder
from tests.web.server import serve_in_thread

from weighbridge.core.registry import DecisionAction, VersionRecord
from weighbridge.mirror import BlobStore, publish_folder
from weighbridge.mirror.app import create_mirror_app
from weighbridge.registry import Registry, open_registry

REPO = "sentence-transformers/all-MiniLM-L6-v2"
COMMIT = "c9745ed1d9f207416be6d2e6f8de32d1f16199bf"


@dataclass
class Mirror:
    url: str
    registry: Registry
    store: BlobStore
    folder: Path
    version: VersionRecord
    db: str
    root: Path


def admit_folder(reg: Registry, folder: Path, repo: str, commit: str | None = None) -> VersionRecord:
    from weighbridge.scanning.inspection import inspect

    source = f"hf:{repo}@{commit}" if commit else str(folder)
    version, _ = reg.admit(source, policy_path=None, actor="tester", report=inspect(str(folder)), name=repo)
    reg.decide(
        repo,
        DecisionAction.APPROVE,
        actor="alice",
        reason="reviewed for the test",
        version=version.manifest_digest,
    )
    return reg.get_version(repo, version.manifest_digest)


@contextmanager
def running_mirror(root: Path, *, allow_anonymous_pull: bool = True) -> Iterator[Mirror]:
    db = str(root / "registry.db")
    registry = open_registry(db)
    store = BlobStore(root / "store")
    folder = minilm_folder()
    version = admit_folder(registry, folder, REPO, COMMIT)
    publish_folder(registry, store, REPO, folder)
    app = create_mirror_app(db, store_root=root / "store", allow_anonymous_pull=allow_anonymous_pull)
    try:
        with serve_in_thread(app) as url:
            yield Mirror(
                url=url, registry=registry, store=store, folder=folder, version=version, db=db, root=root
            )
    finally:
        app.state.mirror.registry.close()
        registry.close()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
