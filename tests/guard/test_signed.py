"""Signing an admitted model never undoes the admission (issue 15 item 6): the signature lives beside the model,
left out of every manifest as OpenSSF Model Signing leaves it out, and its status is recorded on the version."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from guard.conftest import Admitted, flip_byte
from integrity_lock.keys import write_key_pair
from weighbridge.guard import require_admitted
from weighbridge.integrity.lockfile import create_lock
from weighbridge.integrity.manifest import is_signature, manifest_digest
from weighbridge.integrity.verify import verify_lock
from weighbridge.scanning.inspection import inspect


def wb(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "weighbridge", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, COLUMNS="200"),
        timeout=120,
    )


def test_signature_names() -> None:
    names = {"model.safetensors", "model.safetensors.sig", "config.json", "model.sig", "notes.sig"}
    assert is_signature("model.sig", names) and is_signature("model.safetensors.sig", names)
    assert not is_signature("notes.sig", names) and not is_signature("sub/model.sig", names)
    assert manifest_digest([("a", "00" * 32), ("model.sig", "11" * 32)]) == manifest_digest(
        [("a", "00" * 32)]
    )


def test_sign_then_verify_registry_and_run_still_admit(admitted: Admitted, tmp_path: Path) -> None:
    lock = create_lock(str(admitted.folder))
    private, public = write_key_pair(tmp_path)
    signed = wb("sign", str(admitted.folder), "--key", str(private))
    assert signed.returncode == 0, signed.stderr
    assert (admitted.folder / "model.sig").is_file()

    verified = wb("verify", str(admitted.folder), "--registry", "--db", admitted.url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith(f"OK: {admitted.folder}: 2 file(s) identical")
    ran = wb(
        "run",
        "--db",
        admitted.url,
        "--",
        sys.executable,
        "-c",
        "import sys; sys.exit(7)",
        str(admitted.folder),
    )
    assert ran.returncode == 7, ran.stderr  # the command ran: its own exit code is forwarded
    assert require_admitted(admitted.folder, registry=admitted.registry).id == admitted.version.id
    assert verify_lock(lock, str(admitted.folder)).ok  # a lock taken before signing still holds

    # the signature is part of the version's record: its status is stored on it
    recorded = wb(
        "verify-signature",
        str(admitted.folder),
        "--public-key",
        str(public),
        "--record",
        admitted.version.model,
        "--db",
        admitted.url,
    )
    assert recorded.returncode == 0, recorded.stderr
    version = admitted.registry.get_version(admitted.version.model)
    assert version.signature.value == "verified" and version.decision.value == "admitted"

    # the signed folder scans to the same manifest (same version); the signature is still inspected as a file
    report = inspect(str(admitted.folder))
    assert report.manifest_digest == admitted.version.manifest_digest
    assert "model.sig" in {f.path for f in report.files}

    # and a changed weight is still refused, signature or not
    flip_byte(admitted.folder / "model.safetensors", 9, keep_mtime=True)
    refused = wb("verify", str(admitted.folder), "--registry", "--db", admitted.url)
    assert refused.returncode == 1 and "changed: model.safetensors" in refused.stdout
