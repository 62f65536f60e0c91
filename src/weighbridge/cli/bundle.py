"""`weighbridge bundle export|import`: air-gap bundles (issue 10). Thin: open the registry and the mirror's store,
call ``weighbridge.bundle``, print one line per model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..core.findings import WeighbridgeError
from .common import err, fail
from .registry import ActorOpt, DbOpt, JsonOpt, _actor, _opened

if TYPE_CHECKING:
    from ..mirror import BlobStore

bundle_app = typer.Typer(
    help="Air-gap bundles: export admitted models with their records; import them with a "
    "fresh scan and the local policy.",
    no_args_is_help=True,
)

StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="The mirror's blob store (default: $WEIGHBRIDGE_MIRROR_STORE or $WEIGHBRIDGE_HOME/mirror).",
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(bundle_app, name="bundle")


def _store(path: Path | None, *, create: bool) -> BlobStore | None:
    from ..mirror import BlobStore
    from ..mirror.store import default_root

    root = path if path is not None else default_root()
    if not create and not root.is_dir():
        if path is not None:
            fail(f"no mirror store at {path}")
        return None
    try:
        return BlobStore(root)
    except WeighbridgeError as exc:
        fail(str(exc))


@bundle_app.command("export")
def export_command(
    models: Annotated[
        list[str],
        typer.Argument(
            help="Registry names, each optionally NAME@VERSION (a revision or "
            "manifest digest prefix; default: the newest version)."
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="The bundle to write (a tar archive).")],
    store: StoreOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write admitted versions — files, registry records (reports, decisions, policy hash), lockfiles and
    signatures — into one archive. Exit 1 when a named version is not admitted (nothing is written)."""
    from ..bundle.export import ExportRefused, export_bundle

    blobs = _store(store, create=False)
    with _opened(db) as reg:
        try:
            result = export_bundle(reg, models, output, store=blobs)
        except ExportRefused as exc:
            err.print(f"weighbridge: refused: {exc}", markup=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except WeighbridgeError as exc:
            fail(str(exc))
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "path": result.path,
                    "sha256": result.sha256,
                    "size": result.size,
                    "models": list(result.models),
                    "files": result.files,
                    "file_bytes": result.file_bytes,
                },
                indent=2,
            )
        )
        return
    for model in result.models:
        name, _, digest = model.rpartition("@")
        typer.echo(f"exported {name} @ {digest[:12]}")
    typer.echo(f"{result.path}: {result.size} bytes, {result.files} files, sha256:{result.sha256}")


@bundle_app.command("import")
def import_command(
    bundle: Annotated[Path, typer.Argument(help="A bundle written by `weighbridge bundle export`.")],
    policy: Annotated[
        Path, typer.Option("--policy", help="THIS organization's policy (YAML): it alone decides.")
    ],
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            help="Verify the models' signatures with this "
            "public key (PEM); a signature that fails rejects the "
            "model.",
        ),
    ] = None,
    store: StoreOpt = None,
    no_publish: Annotated[
        bool,
        typer.Option("--no-publish", help="Record the decisions only; put no file into the mirror's store."),
    ] = False,
    actor: ActorOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify every member's hash, every lockfile and (with --public-key) signature, scan every model again,
    decide under --policy, and publish only what it admits. Exit 0 when every model was admitted, 1 when any
    was not, 2 when the bundle is malformed or was changed (nothing is recorded then)."""
    from ..bundle.importer import import_bundle

    who = _actor(actor)
    blobs = None if no_publish else _store(store, create=True)
    with _opened(db) as reg:
        try:
            result = import_bundle(reg, bundle, policy=policy, actor=who, store=blobs, public_key=public_key)
        except WeighbridgeError as exc:
            fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        for outcome in result.outcomes:
            where = " (published to the mirror)" if outcome.published else ""
            typer.echo(
                f"{outcome.decision.value.upper()}: {outcome.model} @ {outcome.version[:12]}{where}: "
                f"{outcome.reason}"
            )
            for line in outcome.reasons:
                if not line.startswith("pass:"):
                    typer.echo(f"  {line}")
    raise typer.Exit(0 if result.all_admitted else 1)
