from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.registry.backends import BACKENDS, database

from weighbridge.mirror import BlobStore
from weighbridge.registry import Registry, open_registry


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep ~/.weighbridge untouched and ignore a database URL from the environment."""
    home = tmp_path / "wb-home"
    monkeypatch.setenv("WEIGHBRIDGE_HOME", str(home))
    monkeypatch.delenv("WEIGHBRIDGE_DATABASE_URL", raising=False)
    monkeypatch.delenv("WEIGHBRIDGE_MIRROR_STORE", raising=False)
    return home


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def reg(db_url: str) -> Iterator[Registry]:
    with open_registry(db_url) as registry:
        yield registry


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "store")
