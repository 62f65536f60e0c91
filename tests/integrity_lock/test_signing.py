"""OpenSSF Model Signing, offline: an EC key pair and a self-made certificate chain, both generated here."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrity_lock.keys import write_chain, write_key_pair
from weighbridge.core.findings import WeighbridgeError
from weighbridge.core.registry import SignatureStatus
from weighbridge.integrity.signing import (
    default_signature_path,
    sign_model,
    signature_status,
    verify_signature,
)


def test_key_sign_and_verify(model: Path, tmp_path: Path) -> None:
    private, public = write_key_pair(tmp_path)
    sig = sign_model(str(model), private_key=private)
    assert sig == model / "model.sig" == default_signature_path(model)
    check = verify_signature(str(model), public_key=public)
    assert check.status is SignatureStatus.VERIFIED and check.ok
    assert signature_status(str(model), public_key=public) is SignatureStatus.VERIFIED


def test_tampered_file_after_signing_is_named(model: Path, tmp_path: Path) -> None:
    private, public = write_key_pair(tmp_path)
    sign_model(str(model), private_key=private)
    data = bytearray((model / "model.safetensors").read_bytes())
    data[7] ^= 0x01
    (model / "model.safetensors").write_bytes(bytes(data))
    (model / "added.py").write_text("print('hi')\n")
    (model / "config.json").unlink()
    check = verify_signature(str(model), public_key=public)
    assert check.status is SignatureStatus.INVALID
    assert check.files == ("model.safetensors", "added.py", "config.json")
    assert check.detail == (
        "signature does not match the files — changed: model.safetensors; added: added.py; "
        "missing: config.json"
    )


def test_git_files_and_the_signature_are_not_signed(model: Path, tmp_path: Path) -> None:
    private, public = write_key_pair(tmp_path)
    sign_model(str(model), private_key=private)
    (model / ".git" / "HEAD").write_text("changed\n")
    (model / ".gitattributes").write_text("*.bin filter=lfs\n")
    assert verify_signature(str(model), public_key=public).ok


def test_wrong_key_is_invalid(model: Path, tmp_path: Path) -> None:
    private, _ = write_key_pair(tmp_path, "alice")
    _, other = write_key_pair(tmp_path, "mallory")
    sign_model(str(model), private_key=private)
    check = verify_signature(str(model), public_key=other)
    assert check.status is SignatureStatus.INVALID and "Key mismatch" in check.detail


def test_certificate_chain_sign_and_verify(model: Path, tmp_path: Path) -> None:
    chain = write_chain(tmp_path)
    out = tmp_path / "model.sig"
    sign_model(
        str(model),
        signature=out,
        private_key=chain.leaf_key,
        certificate=chain.leaf_cert,
        cert_chain=[chain.intermediate],
    )
    assert verify_signature(str(model), signature=out, cert_chain=[chain.root]).ok
    # Another root does not vouch for this signer.
    (tmp_path / "other").mkdir()
    other = write_chain(tmp_path / "other")
    check = verify_signature(str(model), signature=out, cert_chain=[other.root])
    assert check.status is SignatureStatus.INVALID and check.detail.startswith("signature does not verify")


def test_single_file(tmp_path: Path) -> None:
    weights = tmp_path / "model.gguf"
    weights.write_bytes(b"GGUF" + bytes(64))
    private, public = write_key_pair(tmp_path)
    assert sign_model(str(weights), private_key=private) == tmp_path / "model.gguf.sig"
    assert verify_signature(str(weights), public_key=public).ok
    weights.write_bytes(b"GGUF" + bytes(65))
    check = verify_signature(str(weights), public_key=public)
    assert check.status is SignatureStatus.INVALID and check.files == ("model.gguf",)


def test_unsigned_and_bad_input(model: Path, tmp_path: Path) -> None:
    private, public = write_key_pair(tmp_path)
    assert verify_signature(str(model), public_key=public).status is SignatureStatus.UNSIGNED
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    with pytest.raises(WeighbridgeError, match="cannot load the signing material"):
        sign_model(str(model), private_key=garbage)
    with pytest.raises(WeighbridgeError, match="no signing method"):
        sign_model(str(model))
    with pytest.raises(WeighbridgeError, match="no such key file"):
        sign_model(str(model), private_key=tmp_path / "missing.pem")
    with pytest.raises(WeighbridgeError, match="choose one verification method"):
        verify_signature(str(model))
    sign_model(str(model), private_key=private)
    with pytest.raises(WeighbridgeError, match="cannot load the verification material"):
        verify_signature(str(model), public_key=garbage)
    (model / "model.sig").write_text("{not json")
    check = verify_signature(str(model), public_key=public)
    assert check.status is SignatureStatus.INVALID and "\n" not in check.detail


def test_ollama_targets_are_refused() -> None:
    with pytest.raises(WeighbridgeError, match="ollama: models cannot be signed"):
        sign_model("ollama:llama3", private_key="k.pem")


def test_sigstore_options_are_validated_before_any_network(model: Path, tmp_path: Path) -> None:
    private, _ = write_key_pair(tmp_path)
    with pytest.raises(WeighbridgeError, match="choose one signing method"):
        sign_model(str(model), private_key=private, sigstore=True)
    with pytest.raises(WeighbridgeError, match="needs both --identity and --issuer"):
        verify_signature(str(model), sigstore_identity="someone@example.org")
    with pytest.raises(WeighbridgeError, match="--cert-chain needs --certificate"):
        sign_model(str(model), private_key=private, cert_chain=[private])
