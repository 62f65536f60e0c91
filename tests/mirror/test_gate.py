from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.mirror.helpers import FILES, recorded

from weighbridge.core.mirror import Refusal, RefusalKind, ServedVersion
from weighbridge.core.registry import DecisionAction
from weighbridge.mirror import BlobStore, Gate, PublishError, publish_folder
from weighbridge.registry import Registry

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _served(result: ServedVersion | Refusal) -> ServedVersion:
    assert isinstance(result, ServedVersion), result
    return result


def _refused(result: object, kind: RefusalKind) -> Refusal:
    assert isinstance(result, Refusal), result
    assert result.kind is kind, result.line
    return result


def test_admitted_version_is_served_by_name_commit_and_digest(
    reg: Registry, store: BlobStore, tmp_path: Path
) -> None:
    version = recorded(reg, tmp_path / "m", "acme-bert")
    publish_folder(reg, store, "acme-bert", tmp_path / "m")
    gate = Gate(reg, store)
    served = _served(gate.resolve("acme-bert"))
    assert served.repo_id == "acme-bert" and served.commit == version.manifest_digest[:40]
    assert {f.path for f in served.files} == set(FILES)
    for rev in ("main", served.commit, served.commit[:7], version.manifest_digest):
        assert _served(gate.resolve("acme-bert", rev)).version_id == version.id
    blob = gate.open(served, "weights/model.bin")
    assert not isinstance(blob, Refusal) and blob.path.read_bytes() == FILES["weights/model.bin"]
    _refused(gate.open(served, "absent.txt"), RefusalKind.NOT_FOUND)


def test_hf_source_gives_repo_id_and_commit(reg: Registry, store: BlobStore, tmp_path: Path) -> None:
    recorded(reg, tmp_path / "m", "org/tiny", source=f"hf:org/tiny@{COMMIT}", revision=COMMIT)
    publish_folder(reg, store, "org/tiny", tmp_path / "m")
    gate = Gate(reg, store)
    served = _served(gate.resolve("org/tiny", "main"))
    assert (served.repo_id, served.commit) == ("org/tiny", COMMIT)
    assert _served(gate.resolve("org/tiny", COMMIT)).commit == COMMIT


@pytest.mark.parametrize(
    ("action", "kind", "words"),
    [
        (None, RefusalKind.AWAITING_REVIEW, "a person must review"),
        (DecisionAction.REJECT, RefusalKind.REJECTED, "reject by test"),
        (DecisionAction.REVOKE, RefusalKind.REVOKED, "revoke by test"),
        (DecisionAction.QUARANTINE, RefusalKind.QUARANTINED, "quarantine by test"),
    ],
)
def test_every_other_decision_is_refused_with_its_reason(
    reg: Registry,
    store: BlobStore,
    tmp_path: Path,
    action: DecisionAction | None,
    kind: RefusalKind,
    words: str,
) -> None:
    recorded(reg, tmp_path / "m", "held", action=action)
    refusal = _refused(Gate(reg, store).resolve("held", "main"), kind)
    assert refusal.line.startswith(f"held@main: {kind.value}: ") and words in refusal.line
    assert "\n" not in refusal.line


def test_revocation_holds_from_the_next_request(reg: Registry, store: BlobStore, tmp_path: Path) -> None:
    recorded(reg, tmp_path / "m", "flips")
    publish_folder(reg, store, "flips", tmp_path / "m")
    gate = Gate(reg, store)
    served = _served(gate.resolve("flips"))
    reg.decide("flips", DecisionAction.REVOKE, actor="bob", reason="licence withdrawn")
    refusal = _refused(gate.resolve("flips"), RefusalKind.REVOKED)
    assert "licence withdrawn (by bob," in refusal.line
    reg.decide("flips", DecisionAction.APPROVE, actor="bob", reason="licence restored")
    assert _served(gate.resolve("flips")).version_id == served.version_id


def test_main_floats_over_admitted_versions_only(reg: Registry, store: BlobStore, tmp_path: Path) -> None:
    old = recorded(reg, tmp_path / "v1", "floaty", {"a.txt": b"one"})
    publish_folder(reg, store, "floaty", tmp_path / "v1")
    new = recorded(reg, tmp_path / "v2", "floaty", {"a.txt": b"two"}, action=None)
    gate = Gate(reg, store)
    assert _served(gate.resolve("floaty", "main")).version_id == old.id
    _refused(gate.resolve("floaty", new.manifest_digest[:40]), RefusalKind.AWAITING_REVIEW)


def test_unknown_and_malformed_requests(reg: Registry, store: BlobStore, tmp_path: Path) -> None:
    recorded(reg, tmp_path / "m", "known")
    publish_folder(reg, store, "known", tmp_path / "m")
    gate = Gate(reg, store)
    assert "no such model" in _refused(gate.resolve("nobody/here"), RefusalKind.NOT_ADMITTED).line
    assert "no such version" in _refused(gate.resolve("known", "v9"), RefusalKind.NOT_ADMITTED).line
    for repo in ("../etc", "a/../b", "/abs", "a//b", "x\x00y", "", "a" * 400):
        _refused(gate.resolve(repo), RefusalKind.MALFORMED)
    for rev in ("../main", "a/../b", "-x", "main\n", "a//b", "x" * 300):
        _refused(gate.resolve("known", rev), RefusalKind.MALFORMED)
    served = _served(gate.resolve("known"))
    for path in (
        "../config.json",
        "/etc/passwd",
        "weights/../config.json",
        "a\\b",
        "",
        "x\x00",
        "./config.json",
    ):
        _refused(gate.open(served, path), RefusalKind.MALFORMED)


def test_corrupted_blob_is_withheld_and_flagged(reg: Registry, store: BlobStore, tmp_path: Path) -> None:
    recorded(reg, tmp_path / "m", "rotting")
    publish_folder(reg, store, "rotting", tmp_path / "m")
    gate = Gate(reg, store)
    served = _served(gate.resolve("rotting"))
    sha = served.file("weights/model.bin").sha256  # type: ignore[union-attr]
    path = store.path(sha)
    os.chmod(path, 0o644)
    path.write_bytes(b"\xff" + FILES["weights/model.bin"][1:])
    refusal = _refused(gate.open(served, "weights/model.bin"), RefusalKind.BLOB_CORRUPT)
    assert "no longer match" in refusal.line
    assert reg.mirror.flagged([sha])  # flagged in the registry
    # the whole version is withheld from now on, for every file
    _refused(gate.resolve("rotting"), RefusalKind.BLOB_CORRUPT)
    # publishing the right bytes again heals it
    publish_folder(reg, store, "rotting", tmp_path / "m")
    assert not reg.mirror.flagged([sha])
    healed = _served(gate.resolve("rotting"))
    assert not isinstance(gate.open(healed, "weights/model.bin"), Refusal)


def test_unpublished_blob_and_publish_rules(reg: Registry, store: BlobStore, tmp_path: Path) -> None:
    recorded(reg, tmp_path / "m", "bare")
    gate = Gate(reg, store)
    refusal = _refused(gate.resolve("bare"), RefusalKind.BLOB_MISSING)
    assert "2 of its 2 files are not in the mirror's store" in refusal.line
    publish_folder(reg, store, "bare", tmp_path / "m")
    served = _served(gate.resolve("bare"))
    store.path(served.files[0].sha256).unlink()  # a blob removed behind the mirror's back
    _refused(gate.open(served, served.files[0].path), RefusalKind.BLOB_MISSING)
    _refused(gate.resolve("bare"), RefusalKind.BLOB_MISSING)
    recorded(reg, tmp_path / "r", "pending", action=None)
    with pytest.raises(PublishError, match="not admitted"):
        publish_folder(reg, store, "pending", tmp_path / "r")
    gone = served.files[0]
    (tmp_path / "m" / gone.path).write_bytes(b"{}")  # the folder no longer matches the registry
    with pytest.raises(Exception, match="expected sha256"):
        publish_folder(reg, store, "bare", tmp_path / "m")
    assert not store.has(gone.sha256)
