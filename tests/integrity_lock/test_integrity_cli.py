"""The lock / verify / sign / verify-signature commands end to end: output lines, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

from integrity_lock.conftest import wb
from integrity_lock.keys import write_chain, write_key_pair


def test_lock_then_verify(model: Path, tmp_path: Path) -> None:
    lock = tmp_path / "model.lock"
    done = wb("lock", str(model), "-o", str(lock))
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(f"locked 3 file(s) of {model} in {lock}")
    ok = wb("verify", "--lock", str(lock))
    assert (ok.returncode, ok.stdout) == (0, f"OK: {model}: 3 file(s) identical (3 hashed)\n")
    quick = wb("verify", "--lock", str(lock), "--quick")
    assert (quick.returncode, quick.stdout) == (
        0,
        f"OK: {model}: 3 file(s) identical (0 hashed, 3 matched on size and mtime)\n",
    )
    full = wb("verify", str(model), "--lock", str(lock), "--full", "--json")  # the default, kept as an alias
    doc = json.loads(full.stdout)
    assert full.returncode == 0 and doc["ok"] is True and doc["hashed_files"] == 3


def test_mtime_preserving_one_byte_change_fails_verify_by_default(model: Path, tmp_path: Path) -> None:
    lock = tmp_path / "model.lock"
    assert wb("lock", str(model), "-o", str(lock)).returncode == 0
    weights = model / "model.safetensors"
    st = os.stat(weights)
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns))  # what `touch -r` does
    assert os.stat(weights).st_size == st.st_size
    default = wb("verify", "--lock", str(lock))
    assert default.returncode == 1, default.stdout
    assert default.stdout.startswith("changed: model.safetensors (sha256 ")
    quick = wb("verify", "--lock", str(lock), "--quick")  # the documented limit of the opt-in
    assert quick.returncode == 0 and "matched on size and mtime" in quick.stdout
    both = wb("verify", "--lock", str(lock), "--quick", "--full")
    assert both.returncode == 2 and "choose one of --quick and --full" in both.stderr


def test_verify_names_every_difference(model: Path, tmp_path: Path) -> None:
    assert wb("lock", str(model), cwd=tmp_path).returncode == 0  # default ./weighbridge.lock
    weights = model / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[5] ^= 0x10
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(1, 2_000_000_000))
    (model / "sub" / "tokenizer.json").unlink()
    (model / "payload.pkl").write_bytes(b"\x80\x04N.")
    result = wb("verify", cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert lines[0].startswith("changed: model.safetensors (sha256 ")
    assert lines[1:3] == ["added: payload.pkl", "removed: sub/tokenizer.json"]
    assert lines[3].startswith(f"FAILED: {model}: 3 difference(s) in 3 file(s)")
    doc = json.loads(wb("verify", "--json", cwd=tmp_path).stdout)
    assert [(c["path"], c["change"]) for c in doc["changes"]] == [
        ("model.safetensors", "changed"),
        ("payload.pkl", "added"),
        ("sub/tokenizer.json", "removed"),
    ]


def test_bad_input_is_one_line_exit_2(model: Path, tmp_path: Path) -> None:
    for args in (
        ("verify", "--lock", str(tmp_path / "missing.lock")),
        ("lock", str(tmp_path / "no-such-model")),
        ("verify", "--lock", "x.lock", "--registry"),
        ("verify-signature", str(model)),
        ("sign", str(model), "--key", str(tmp_path / "missing.pem")),
    ):
        result = wb(*args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert result.stderr.startswith("weighbridge: error: ") and result.stderr.count("\n") == 1, (
            result.stderr
        )
        assert "Traceback" not in result.stderr


def test_sign_and_verify_signature_with_key(model: Path, tmp_path: Path) -> None:
    private, public = write_key_pair(tmp_path)
    signed = wb("sign", str(model), "--key", str(private))
    assert signed.returncode == 0 and signed.stderr.strip() == f"signature written to {model / 'model.sig'}"
    ok = wb("verify-signature", str(model), "--public-key", str(public))
    assert (ok.returncode, ok.stdout) == (
        0,
        f"VERIFIED: signature {model / 'model.sig'} verified for {model}\n",
    )
    (model / "config.json").write_text("{}\n")
    bad = wb("verify-signature", str(model), "--public-key", str(public), "--json")
    doc = json.loads(bad.stdout)
    assert bad.returncode == 1 and doc["status"] == "invalid" and doc["files"] == ["config.json"]


def test_sign_with_certificate_chain(model: Path, tmp_path: Path) -> None:
    chain = write_chain(tmp_path)
    sig = tmp_path / "out.sig"
    signed = wb(
        "sign",
        str(model),
        "--key",
        str(chain.leaf_key),
        "--certificate",
        str(chain.leaf_cert),
        "--cert-chain",
        str(chain.intermediate),
        "-o",
        str(sig),
    )
    assert signed.returncode == 0, signed.stderr
    ok = wb("verify-signature", str(model), "--signature", str(sig), "--cert-chain", str(chain.root))
    assert ok.returncode == 0 and ok.stdout.startswith("VERIFIED")


def test_unsigned_is_exit_1(model: Path, tmp_path: Path) -> None:
    _, public = write_key_pair(tmp_path)
    result = wb("verify-signature", str(model), "--public-key", str(public))
    assert (result.returncode, result.stdout) == (1, f"UNSIGNED: no signature at {model / 'model.sig'}\n")
