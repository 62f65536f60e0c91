"""verify-signature --record: the registry keeps the signature status of an admitted version."""

from __future__ import annotations

from pathlib import Path

from guard.conftest import Admitted, flip_byte
from integrity_lock.conftest import wb
from integrity_lock.keys import write_key_pair
from weighbridge.core.registry import SignatureStatus


def test_signature_status_is_recorded_and_follows_tampering(admitted: Admitted, tmp_path: Path) -> None:
    private, public = write_key_pair(tmp_path)
    name = admitted.version.model
    assert admitted.registry.get_version(name).signature is SignatureStatus.UNSIGNED
    assert wb("sign", str(admitted.folder), "--key", str(private)).returncode == 0

    ok = wb(
        "verify-signature",
        str(admitted.folder),
        "--public-key",
        str(public),
        "--record",
        name,
        "--db",
        admitted.url,
    )
    assert ok.returncode == 0, ok.stderr
    assert "signature status verified recorded" in ok.stderr
    assert admitted.registry.get_version(name).signature is SignatureStatus.VERIFIED

    flip_byte(admitted.folder / "model.safetensors")
    bad = wb(
        "verify-signature",
        str(admitted.folder),
        "--public-key",
        str(public),
        "--record",
        name,
        "--db",
        admitted.url,
    )
    assert bad.returncode == 1
    assert admitted.registry.get_version(name).signature is SignatureStatus.INVALID


def test_record_needs_a_known_model_and_db_needs_record(admitted: Admitted, tmp_path: Path) -> None:
    private, public = write_key_pair(tmp_path)
    assert wb("sign", str(admitted.folder), "--key", str(private)).returncode == 0
    unknown = wb(
        "verify-signature",
        str(admitted.folder),
        "--public-key",
        str(public),
        "--record",
        "nope/none",
        "--db",
        admitted.url,
    )
    assert unknown.returncode == 2 and "nope/none" in unknown.stderr and "Traceback" not in unknown.stderr
    stray = wb("verify-signature", str(admitted.folder), "--public-key", str(public), "--db", admitted.url)
    assert stray.returncode == 2 and "--record" in stray.stderr
