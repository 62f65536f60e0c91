"""`weighbridge lock|verify|sign|verify-signature|run`: pin, re-check, sign and guard models (issue 5).

Thin: every command parses its options, calls one library function and prints its result. The library
modules (hashing, model_signing, the registry) are imported inside the commands so start-up stays fast.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from ..core.findings import WeighbridgeError
from .common import err, fail, refuse

TargetArg = Annotated[
    str, typer.Argument(help="A file, a folder, hf:org/name[@revision] or ollama:name[:tag].")
]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Registry database URL (default: the local registry under $WEIGHBRIDGE_HOME)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main application."""
    app.command("lock")(lock)
    app.command("verify")(verify)
    app.command("sign")(sign)
    app.command("verify-signature")(verify_signature)
    app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(run)


def lock(
    target: TargetArg,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Where to write the lockfile (default: "
            "./weighbridge.lock in the current folder; the full path is printed).",
        ),
    ] = Path("weighbridge.lock"),
    download: Annotated[
        bool, typer.Option("--download", help="Fetch hf: targets missing from the cache.")
    ] = False,
) -> None:
    """Pin every file of TARGET (size, SHA-256, advisory mtime) in a TOML lockfile."""
    from ..integrity.lockfile import create_lock, write_lock

    try:
        pinned = create_lock(target, download=download, exclude=[str(output)])
        write_lock(pinned, output)
    except WeighbridgeError as exc:
        fail(str(exc))
    where = os.path.abspath(output)
    err.print(
        f"locked {len(pinned.files)} file(s) of {target} in {where} (manifest {pinned.manifest_digest}); "
        f"check it with: weighbridge verify --lock {where}",
        markup=False,
        soft_wrap=True,
    )


def verify(
    target: Annotated[
        str | None, typer.Argument(help="What to check (default: the target named in the lock).")
    ] = None,
    lock_file: Annotated[
        Path | None, typer.Option("--lock", help="Lockfile to compare with (default: ./weighbridge.lock).")
    ] = None,
    registry: Annotated[
        bool, typer.Option("--registry", help="Compare with the admitted registry entry.")
    ] = False,
    db: DbOpt = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model", help="Registry model name (with --registry; default: the version whose files match)."
        ),
    ] = None,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="Trust files whose size and mtime match the lock without "
            "reading them (faster; misses a same-size edit whose mtime was restored).",
        ),
    ] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Hash every file: the default (kept for compatibility).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Re-check TARGET against a lockfile or the registry, hashing every file; name every added, removed or
    changed file. --quick trusts size + mtime instead (lockfiles only). Exit 0 when identical, 1 when anything
    differs (or the registry entry is not admitted), 2 on bad input."""
    from ..integrity.verify import describe_change, result_to_dict, summary, verify_lock

    if registry and lock_file is not None:
        fail("choose one of --lock FILE and --registry")
    if not registry and (db is not None or model is not None):
        fail("--db and --model go with --registry")
    if quick and full:
        fail("choose one of --quick and --full")
    if quick and registry:
        fail("--quick goes with a lockfile: registry entries record no mtimes, so --registry always hashes")
    refusal = None
    try:
        if registry:
            if target is None:
                fail("give the TARGET to check against the registry")
            from ..integrity.admission import check_admission
            from ..registry import open_registry

            admission = check_admission(target, open_registry(db), model=model)
            result, refusal = admission.result, admission.refusal
        else:
            result = verify_lock(lock_file or Path("weighbridge.lock"), target, quick=quick)
    except WeighbridgeError as exc:
        fail(str(exc))
    if as_json:
        doc = result_to_dict(result)
        if registry:
            doc["registry"] = admission.to_dict()
        typer.echo(json.dumps(doc, indent=2))
    else:
        for change in result.changes:
            typer.echo(describe_change(change))
        if refusal is not None:
            word = "TAMPERED" if admission.status == "tampered" else "NOT ADMITTED"
            typer.echo(f"{word}: {refusal}")
        else:
            typer.echo(summary(result))
    raise typer.Exit(0 if result.ok and refusal is None else 1)


def sign(
    target: TargetArg,
    key: Annotated[Path | None, typer.Option("--key", help="EC private key (PEM) to sign with.")] = None,
    certificate: Annotated[
        Path | None, typer.Option("--certificate", help="Signing certificate (PEM) for --key.")
    ] = None,
    cert_chain: Annotated[
        list[Path] | None,
        typer.Option("--cert-chain", help="Intermediate/root certificates (PEM), repeatable."),
    ] = None,
    sigstore: Annotated[
        bool, typer.Option("--sigstore", help="Sigstore keyless signing (OIDC; needs the network).")
    ] = False,
    identity_token: Annotated[
        str | None,
        typer.Option(
            "--identity-token",
            help="OIDC token for --sigstore (otherwise ambient credentials or a browser flow).",
        ),
    ] = None,
    staging: Annotated[bool, typer.Option("--staging", help="Use Sigstore's staging instance.")] = False,
    key_password_env: Annotated[
        str | None,
        typer.Option("--key-password-env", help="Environment variable holding the key's password."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Signature path (default: TARGET/model.sig for a folder, TARGET.sig for a file).",
        ),
    ] = None,
) -> None:
    """Sign TARGET with OpenSSF Model Signing (a Sigstore bundle over every file's SHA-256). The signature lives
    beside the model: like OMS, the manifest leaves it out, so a signed admitted folder stays admitted."""
    from ..integrity.signing import sign_model

    password = None
    if key_password_env is not None:
        password = os.environ.get(key_password_env)
        if password is None:
            fail(f"environment variable {key_password_env} is not set")
    try:
        path = sign_model(
            target,
            signature=output,
            private_key=key,
            key_password=password,
            certificate=certificate,
            cert_chain=cert_chain or [],
            sigstore=sigstore,
            identity_token=identity_token,
            use_staging=staging,
        )
    except WeighbridgeError as exc:
        fail(str(exc))
    err.print(f"signature written to {path}", markup=False, soft_wrap=True)


def verify_signature(
    target: TargetArg,
    signature: Annotated[
        Path | None,
        typer.Option(
            "--signature",
            help="Signature file (default: TARGET/model.sig for a folder, TARGET.sig for a file).",
        ),
    ] = None,
    public_key: Annotated[Path | None, typer.Option("--public-key", help="EC public key (PEM).")] = None,
    cert_chain: Annotated[
        list[Path] | None,
        typer.Option(
            "--cert-chain",
            help="Trusted certificates (PEM) the signing certificate must chain to, repeatable.",
        ),
    ] = None,
    sigstore: Annotated[
        bool, typer.Option("--sigstore", help="Verify a Sigstore keyless signature.")
    ] = False,
    identity: Annotated[
        str | None, typer.Option("--identity", help="Expected signer identity (--sigstore).")
    ] = None,
    issuer: Annotated[str | None, typer.Option("--issuer", help="Expected OIDC issuer (--sigstore).")] = None,
    staging: Annotated[bool, typer.Option("--staging", help="Use Sigstore's staging instance.")] = False,
    as_json: JsonOpt = False,
    record: Annotated[
        str | None,
        typer.Option(
            "--record",
            help="Record the signature status on this registry model (its newest version, or --version).",
        ),
    ] = None,
    version: Annotated[
        str | None,
        typer.Option("--version", help="Registry version for --record (revision or digest prefix)."),
    ] = None,
    db: DbOpt = None,
) -> None:
    """Verify TARGET against its signature. Exit 0 verified, 1 invalid or unsigned, 2 on bad input.
    With --record NAME the status (verified / invalid / unsigned) is stored on the registry entry."""
    from ..integrity.signing import verify_signature as check

    if sigstore and not (identity and issuer):
        fail("--sigstore needs --identity and --issuer")
    if (identity or issuer) and not sigstore:
        fail("--identity and --issuer go with --sigstore")
    try:
        result = check(
            target,
            signature=signature,
            public_key=public_key,
            cert_chain=cert_chain if cert_chain else None,
            sigstore_identity=identity if sigstore else None,
            sigstore_issuer=issuer if sigstore else None,
            use_staging=staging,
        )
    except WeighbridgeError as exc:
        fail(str(exc))
    if record is None and (version is not None or db is not None):
        fail("--version and --db go with --record")
    if record is not None:
        from ..registry import open_registry

        try:
            with open_registry(db) as registry:
                stored = registry.record_signature(record, result.status, version=version)
        except WeighbridgeError as exc:
            fail(str(exc))
        err.print(
            f"signature status {result.status.value} recorded for {stored.model}@"
            f"{stored.manifest_digest[:12]}",
            markup=False,
            soft_wrap=True,
        )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "schema": "weighbridge.signature/1",
                    "target": target,
                    "status": result.status.value,
                    "signature": result.signature,
                    "detail": result.detail,
                    "files": list(result.files),
                },
                indent=2,
            )
        )
    else:
        typer.echo(f"{result.status.value.upper()}: {result.detail}")
    raise typer.Exit(0 if result.ok else 1)


def run(
    ctx: typer.Context,
    db: DbOpt = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            help="A model the command loads, when it cannot "
            "be found among its arguments: a path, hf:org/name[@revision] "
            "or ollama:name[:tag] (repeatable).",
        ),
    ] = None,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Let hub ids (org/name) that are not local paths through.")
    ] = False,
) -> None:
    """Run `-- COMMAND ARGS…` only if every model it names is admitted in the registry; forward its exit code
    and signals. Models: existing *.gguf, *.safetensors, *.bin, *.pt(h) files, folders with config.json,
    and --model/-m values. Exit 1 when a model is refused (as `verify` does), 2 on bad input."""
    from ..guard.core import NotAdmittedError
    from ..guard.run import guarded_run

    command = list(ctx.args)
    if not command:
        fail("give the command to run after --, e.g. weighbridge run -- python serve.py --model ./model")
    try:
        code = guarded_run(command, db=db, extra_models=list(model or []), allow_remote=allow_remote)
    except NotAdmittedError as exc:
        refuse(str(exc))
    except WeighbridgeError as exc:
        fail(str(exc))
    raise typer.Exit(code)
