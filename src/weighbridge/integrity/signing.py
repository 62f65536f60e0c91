"""Sign a model and verify its signature with OpenSSF Model Signing (the ``model_signing`` library).

A signature is a Sigstore bundle over an in-toto statement that lists every file of the model with its
SHA-256, so it proves who vouched for exactly these bytes. Three ways to sign:

* an EC private key (PEM, e.g. P-256) — verified with the matching public key, fully offline;
* a private key plus its signing certificate and chain — verified against the chain's root, offline;
* Sigstore keyless (``sigstore=True``): an OIDC identity, Fulcio and Rekor — needs the network, and is
  verified with the expected identity and issuer.

Hashing ignores the signature file itself and git's files (``.git/``, ``.gitattributes``, ``.gitignore``,
``.github/``). The default signature is ``TARGET/model.sig`` for a folder and ``TARGET.sig`` next to a file.
Every error ``model_signing`` raises becomes a one-line message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.findings import WeighbridgeError
from ..core.registry import SignatureStatus
from ..core.report import TargetKind

DEFAULT_SIGNATURE_NAME = "model.sig"


@dataclass(frozen=True)
class SignatureCheck:
    """What ``verify_signature`` found: the status the registry records, and why, in one line."""

    status: SignatureStatus
    signature: str
    detail: str
    files: tuple[str, ...] = ()  # the files named by a mismatch (changed, added or missing)

    @property
    def ok(self) -> bool:
        return self.status is SignatureStatus.VERIFIED


@dataclass(frozen=True)
class ModelPath:
    """A target as ``model_signing`` needs it: a local path, and whether links may be followed (the Hugging
    Face cache is made of links to its blob store)."""

    path: Path
    allow_symlinks: bool


def model_path(target: str) -> ModelPath:
    """A local file or folder, or an ``hf:`` snapshot in the local cache. Ollama models live in a shared blob
    store, not in one folder, so they cannot be signed as a unit."""
    from ..sources import resolve

    if target.startswith("ollama:"):
        raise WeighbridgeError(
            "ollama: models cannot be signed: their blobs live in a shared store, not one "
            "folder; sign the GGUF file instead"
        )
    snapshot = resolve(target)
    if snapshot.target.kind is TargetKind.HF:
        return ModelPath(Path(snapshot.root), allow_symlinks=True)
    return ModelPath(Path(snapshot.target.path), allow_symlinks=False)


def default_signature_path(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    return p / DEFAULT_SIGNATURE_NAME if p.is_dir() else p.with_name(p.name + ".sig")


def sign_model(
    target: str,
    *,
    signature: str | os.PathLike[str] | None = None,
    private_key: str | os.PathLike[str] | None = None,
    key_password: str | None = None,
    certificate: str | os.PathLike[str] | None = None,
    cert_chain: Sequence[str | os.PathLike[str]] = (),
    sigstore: bool = False,
    identity_token: str | None = None,
    use_staging: bool = False,
) -> Path:
    """Sign ``target`` and write the signature; returns its path. Exactly one method: ``private_key`` alone
    (EC key), ``certificate`` + ``private_key`` (+ ``cert_chain``), or ``sigstore``."""
    where = model_path(target)
    sig = Path(signature) if signature is not None else default_signature_path(where.path)
    if sigstore and (private_key is not None or certificate is not None):
        raise WeighbridgeError("choose one signing method: --sigstore, or --key (with --certificate for PKI)")
    if not sigstore and private_key is None:
        raise WeighbridgeError(
            "no signing method: give --key PEM (with --certificate and --cert-chain for "
            "certificate signing) or --sigstore"
        )
    if cert_chain and certificate is None:
        raise WeighbridgeError("--cert-chain needs --certificate")
    for label, path in (
        ("key", private_key),
        ("certificate", certificate),
        *(("certificate chain", c) for c in cert_chain),
    ):
        if path is not None and not Path(path).is_file():
            raise WeighbridgeError(f"no such {label} file: {os.fspath(path)}")
    if not sig.parent.is_dir():
        raise WeighbridgeError(f"cannot write the signature: no such folder {sig.parent}")

    from model_signing import signing

    config: Any = signing.Config()  # type: ignore[no-untyped-call]
    config.set_hashing_config(_hashing(where, sig))
    try:
        if sigstore:
            # Without a token: ambient workload credentials (CI), else the interactive OIDC flow.
            config.use_sigstore_signer(
                identity_token=identity_token,
                use_ambient_credentials=identity_token is None,
                use_staging=use_staging,
            )
        elif certificate is not None:
            config.use_certificate_signer(
                private_key=private_key, signing_certificate=certificate, certificate_chain=list(cert_chain)
            )
        else:
            config.use_elliptic_key_signer(private_key=private_key, password=key_password)
    except Exception as exc:  # key parsing, unsupported curves, bad certificates: one line for the user
        raise WeighbridgeError(f"cannot load the signing material: {one_line(exc)}") from None
    try:
        config.sign(where.path, sig)
    except Exception as exc:
        raise WeighbridgeError(f"signing {target} failed: {one_line(exc)}") from None
    return sig


def verify_signature(
    target: str,
    *,
    signature: str | os.PathLike[str] | None = None,
    public_key: str | os.PathLike[str] | None = None,
    cert_chain: Sequence[str | os.PathLike[str]] | None = None,
    sigstore_identity: str | None = None,
    sigstore_issuer: str | None = None,
    use_staging: bool = False,
) -> SignatureCheck:
    """Check ``target`` against its signature. Exactly one method: ``public_key``, ``cert_chain`` (a list,
    possibly empty for the system roots) or ``sigstore_identity`` + ``sigstore_issuer``.

    Returns UNSIGNED when the signature file does not exist, INVALID (with the reason and the files named by
    a mismatch) when it does not verify, VERIFIED otherwise. Bad verification material (an unreadable key or
    chain) is a usage error, raised as WeighbridgeError."""
    where = model_path(target)
    sig = Path(signature) if signature is not None else default_signature_path(where.path)
    methods = [
        public_key is not None,
        cert_chain is not None,
        sigstore_identity is not None or sigstore_issuer is not None,
    ]
    if sum(methods) != 1:
        raise WeighbridgeError(
            "choose one verification method: --public-key, --cert-chain, or --sigstore with "
            "--identity and --issuer"
        )
    if methods[2] and not (sigstore_identity and sigstore_issuer):
        raise WeighbridgeError("Sigstore verification needs both --identity and --issuer")
    for label, path in (("public key", public_key), *(("certificate chain", c) for c in cert_chain or ())):
        if path is not None and not Path(path).is_file():
            raise WeighbridgeError(f"no such {label} file: {os.fspath(path)}")
    if not sig.is_file():
        return SignatureCheck(SignatureStatus.UNSIGNED, str(sig), f"no signature at {sig}")

    from model_signing import verifying

    config: Any = verifying.Config()  # type: ignore[no-untyped-call]
    try:
        if public_key is not None:
            config.use_elliptic_key_verifier(public_key=public_key)
        elif cert_chain is not None:
            config.use_certificate_verifier(certificate_chain=list(cert_chain))
        else:
            config.use_sigstore_verifier(
                identity=sigstore_identity, oidc_issuer=sigstore_issuer, use_staging=use_staging
            )
    except Exception as exc:
        raise WeighbridgeError(f"cannot load the verification material: {one_line(exc)}") from None
    if where.allow_symlinks:
        config.set_hashing_config(_hashing(where, sig))
    try:
        config.verify(where.path, sig)
    except Exception as exc:  # a bad signature, a changed file, a broken bundle: the model is not verified
        detail, files = _mismatch(exc, None if where.path.is_dir() else where.path.name)
        return SignatureCheck(SignatureStatus.INVALID, str(sig), detail, files)
    return SignatureCheck(SignatureStatus.VERIFIED, str(sig), f"signature {sig} verified for {target}")


def signature_status(target: str, **options: Any) -> SignatureStatus:
    """Only the status, for the registry to record. Same options as :func:`verify_signature`."""
    return verify_signature(target, **options).status


def _hashing(where: ModelPath, sig: Path) -> Any:
    from model_signing import hashing

    config: Any = hashing.Config()  # type: ignore[no-untyped-call]
    config.use_file_serialization(allow_symlinks=where.allow_symlinks)
    config.set_ignored_paths(paths=[sig.resolve()], ignore_git_paths=True)
    config.set_allow_symlinks(where.allow_symlinks)
    return config


_HASH_MISMATCH = re.compile(r"Hash mismatch for \\*'(.*?)\\*': Expected")
_LISTED = re.compile(r"(Extra|Missing) files (?:found )?in model '[^']*': ([^\"\]]*)")


def _mismatch(exc: BaseException, single_file: str | None) -> tuple[str, tuple[str, ...]]:
    """A one-line reason; for a manifest mismatch, the files it names (``model_signing`` reports them in its
    message: hash mismatches, extra files, missing files; a single-file model is named ``.`` there)."""
    text = str(exc)
    if not text.startswith("Signature mismatch"):
        return f"signature does not verify: {one_line(exc)}", ()
    changed = [single_file if name == "." and single_file else name for name in _HASH_MISMATCH.findall(text)]
    parts = [f"changed: {', '.join(changed)}"] if changed else []
    files = list(changed)
    for kind, names in _LISTED.findall(text):
        listed = [n.strip() for n in names.split(",") if n.strip()]
        files.extend(listed)
        parts.append(f"{'added' if kind == 'Extra' else 'missing'}: {', '.join(listed)}")
    if not parts:
        return f"signature does not match the files: {one_line(exc)}", ()
    return "signature does not match the files — " + "; ".join(parts), tuple(files)


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if not text or isinstance(exc, KeyError) else text
