"""A registry pre-filled once per session by admitting small generated folders (a model under an ``org/``
name admitted by a policy, a tampered one, a derivative, one with a hostile card), with a token per scope.
Each test gets its own copy of the database file, so writes never leak between tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.audit_stats.synthetic import synthetic_run
from tests.web import models

from weighbridge.core.registry import DecisionAction
from weighbridge.registry import open_registry
from weighbridge.web import create_app

REPO = Path(__file__).resolve().parents[2]
POLICY = REPO / "examples" / "policies" / "research-lab.yaml"
CLEAN = "acme-ai/clean-chat"
SCOPES = ("admit", "decide", "policy", "admin")


@dataclass
class Filled:
    """A registry database file and what is in it."""

    db: Path
    models_root: Path
    tokens: dict[str, str] = field(default_factory=dict)  # scope → secret
    digests: dict[str, str] = field(default_factory=dict)  # model → manifest digest

    def url(self) -> str:
        return f"sqlite:///{self.db}"

    def copy_to(self, folder: Path) -> Filled:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.db, folder / "registry.db")
        return Filled(
            db=folder / "registry.db",
            models_root=self.models_root,
            tokens=dict(self.tokens),
            digests=dict(self.digests),
        )

    def bearer(self, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[scope]}"}


@pytest.fixture(scope="session")
def filled_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Filled]:
    base = tmp_path_factory.mktemp("web-registry")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WEIGHBRIDGE_HOME", str(base / "home"))
        mp.delenv("WEIGHBRIDGE_DATABASE_URL", raising=False)
        root = base / "models"
        filled = Filled(db=base / "registry.db", models_root=root)
        with open_registry(filled.url()) as reg:
            reg.save_policy("research-lab", POLICY.read_text(encoding="utf-8"))
            version, _ = reg.admit(str(models.clean(root)), policy_path=POLICY, actor="setup", name=CLEAN)
            filled.digests[CLEAN] = version.manifest_digest
            for make in (models.tampered, models.hostile):
                version, _ = reg.admit(str(make(root)), policy_path=None, actor="setup")
                filled.digests[version.model] = version.manifest_digest
            version, _ = reg.admit(
                str(models.derivative(root, CLEAN)), policy_path=None, actor="setup", derived_from=CLEAN
            )
            filled.digests[version.model] = version.manifest_digest
            reg.decide("hostile-card", DecisionAction.QUARANTINE, actor="setup", reason="card under review")
            run = synthetic_run(samples=2)  # an audit of these weights carries their manifest digest
            run = replace(run, model=replace(run.model, digest="sha256:" + filled.digests["hostile-card"]))
            reg.record_audit("hostile-card", run)
            for scope in SCOPES:
                filled.tokens[scope] = reg.create_token(f"{scope}-token", [scope])
        yield filled


@pytest.fixture
def filled(filled_template: Filled, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Filled:
    monkeypatch.setenv("WEIGHBRIDGE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("WEIGHBRIDGE_DATABASE_URL", raising=False)
    return filled_template.copy_to(tmp_path / "registry")


@pytest.fixture
def app(filled: Filled) -> FastAPI:
    return create_app(filled.url())


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c
