"""Fleet fixtures: one generated mirror for the whole session (read-only: tests that change files build
their own), WEIGHBRIDGE_HOME in tmp_path, and one Ray instance per module that needs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.fleet.mirror import Mirror, build_mirror


@pytest.fixture(scope="session")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Mirror:
    """A few hundred targets: 75 HF revisions, 20 Ollama models, 60 folders, 30 loose files."""
    return build_mirror(tmp_path_factory.mktemp("mirror"))


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WEIGHBRIDGE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("WEIGHBRIDGE_DATABASE_URL", raising=False)
    return tmp_path / "home"


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield ray
    finally:
        ray.shutdown()
