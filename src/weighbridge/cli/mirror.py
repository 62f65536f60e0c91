"""`weighbridge mirror …`: serve admitted models to Hugging Face (and OCI/Ollama) clients, take models in
from an upstream, publish admitted folders, verify the store (issue 10). Thin over ``weighbridge.mirror``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from ..core.findings import WeighbridgeError
from .common import err, fail
from .registry import ActorOpt, DbOpt, JsonOpt, _actor, _opened
from .serve import _is_loopback

StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="The mirror's blob store folder (default: "
        "$WEIGHBRIDGE_MIRROR_STORE, else $WEIGHBRIDGE_HOME/mirror).",
    ),
]

mirror_app = typer.Typer(
    help="The mirror: serve only admitted models to Hugging Face and OCI/Ollama clients.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main application."""
    app.add_typer(mirror_app, name="mirror")


def _store(path: Path | None) -> Any:
    from ..mirror import BlobStore

    try:
        return BlobStore(path)
    except WeighbridgeError as exc:
        fail(str(exc))


@mirror_app.command("serve")
def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind. Anything but loopback needs --allow-remote.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8471,
    db: DbOpt = None,
    store: StoreOpt = None,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow binding a non-loopback address.")
    ] = False,
    anonymous_pull: Annotated[
        bool | None,
        typer.Option(
            "--anonymous-pull/--no-anonymous-pull",
            help="Let anyone who reaches the mirror pull admitted models without a token (default: on for loopback, "
            "off otherwise; tokens: `weighbridge token create NAME --scope pull`).",
        ),
    ] = None,
    verify_every: Annotated[
        float | None,
        typer.Option(
            "--verify-every", min=60, help="Re-hash every blob in the background every this many seconds."
        ),
    ] = None,
    intake_on_request: Annotated[
        bool,
        typer.Option(
            "--intake-on-request",
            help="A pull of a model the registry does not hold starts its intake from "
            "--upstream (decided by --policy; served only once admitted).",
        ),
    ] = False,
    upstream: Annotated[
        str | None,
        typer.Option(
            "--upstream",
            help="Hub-API upstream for --intake-on-request (default: $WEIGHBRIDGE_MIRROR_UPSTREAM).",
        ),
    ] = None,
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy for --intake-on-request.")] = None,
) -> None:
    """Serve admitted models: point HF_ENDPOINT=http://HOST:PORT at it."""
    loopback = _is_loopback(host)
    if not loopback and not allow_remote:
        fail(f"refusing to bind {host}: only loopback addresses are served unless --allow-remote is given")
    from ..mirror.app import create_mirror_app
    from ..mirror.background import AutoIntake
    from ..mirror.intake import QuarantinePublisher
    from ..mirror.verify import start_verifier

    blobs = _store(store)
    auto = None
    if intake_on_request:
        endpoint = upstream or os.environ.get("WEIGHBRIDGE_MIRROR_UPSTREAM")
        if not endpoint:
            fail("--intake-on-request needs --upstream URL (or WEIGHBRIDGE_MIRROR_UPSTREAM)")
        if policy is not None and not policy.is_file():
            fail(f"{policy}: no such policy file")
        auto = AutoIntake(endpoint=endpoint, policy_path=policy)
    try:
        app = create_mirror_app(
            db,
            store_root=blobs.root,
            allow_anonymous_pull=loopback if anonymous_pull is None else anonymous_pull,
            auto_intake=auto,
        )
    except WeighbridgeError as exc:
        fail(str(exc))
    state = app.state.mirror
    state.gate.on_missing = QuarantinePublisher(state.registry, state.store)
    if verify_every:
        start_verifier(state.registry, state.store, verify_every)
    import uvicorn

    err.print(
        f"weighbridge: mirror on http://{host}:{port}/  (HF_ENDPOINT=http://{host}:{port}; store "
        f"{blobs.root})",
        markup=False,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)


@mirror_app.command("publish")
def publish(
    name: Annotated[str, typer.Argument(help="The model's registry name.")],
    source: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="The folder holding the admitted files (not needed "
            "for an ollama: model: its local Ollama store is read).",
        ),
    ] = None,
    version: Annotated[
        str | None,
        typer.Option(
            "--version", help="A revision or manifest digest (prefix); default: the newest version."
        ),
    ] = None,
    db: DbOpt = None,
    store: StoreOpt = None,
) -> None:
    """Copy an admitted version's files into the store (each must hash to what the registry recorded)."""
    from ..mirror import publish_folder
    from ..mirror.gate import commit_of, repo_id_of

    blobs = _store(store)
    with _opened(db) as reg:
        try:
            if source is None:
                from ..mirror.ollama_publish import publish_ollama

                done = publish_ollama(reg, blobs, name, version=version)
            else:
                done = publish_folder(reg, blobs, name, source, version=version)
        except WeighbridgeError as exc:
            fail(str(exc))
    typer.echo(
        f"published {name} as {repo_id_of(done.version)}@{commit_of(done.version)}: "
        f"{len(done.blobs)} file(s) stored, {done.reused} already there"
    )


@mirror_app.command("intake")
def intake(
    source: Annotated[
        str,
        typer.Argument(
            help="hf:org/name[@revision] or ollama:[namespace/]name:tag to fetch from the upstream."
        ),
    ],
    upstream: Annotated[
        str | None,
        typer.Option(
            "--upstream",
            help="Hub-API upstream for hf: (the public hub, another Weighbridge mirror, an Artifactory "
            "remote), OCI/Ollama registry for ollama: (another Weighbridge mirror's /v2/); "
            "default: $WEIGHBRIDGE_MIRROR_UPSTREAM, else $HF_ENDPOINT.",
        ),
    ] = None,
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy deciding admission (YAML).")] = None,
    pin: Annotated[
        bool,
        typer.Option(
            "--pin/--float",
            help="--pin takes exact commits only; --float (default) resolves a branch or tag upstream now.",
        ),
    ] = False,
    max_bytes: Annotated[int, typer.Option("--max-bytes", min=1, help="Cap on the whole model.")] = 200
    * 1024**3,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds of upstream silence tolerated.")
    ] = 60.0,
    deadline: Annotated[
        float | None, typer.Option("--deadline", min=1, help="Seconds for the whole fetch.")
    ] = None,
    stale_after: Annotated[
        float,
        typer.Option(
            "--stale-after",
            min=0.5,
            help="Seconds without a heartbeat after which another intake of the same model takes over.",
        ),
    ] = 60.0,
    actor: ActorOpt = None,
    db: DbOpt = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fetch a model into quarantine, inspect it, decide with the policy; publish it only when admitted."""
    from ..mirror.intake import intake as run_intake
    from ..mirror.upstream import Limits, Upstream

    endpoint = upstream or os.environ.get("WEIGHBRIDGE_MIRROR_UPSTREAM") or os.environ.get("HF_ENDPOINT")
    if not endpoint:
        fail("no upstream: pass --upstream URL (or set WEIGHBRIDGE_MIRROR_UPSTREAM)")
    who = _actor(actor)
    blobs = _store(store)
    limits = Limits(max_bytes=max_bytes, max_file_bytes=max_bytes, read_timeout=timeout, deadline=deadline)
    token = os.environ.get("WEIGHBRIDGE_MIRROR_UPSTREAM_TOKEN") or os.environ.get("HF_TOKEN")
    with _opened(db) as reg:
        try:
            with Upstream(endpoint, token=token, limits=limits) as remote:
                result = run_intake(
                    reg,
                    blobs,
                    source,
                    upstream=remote,
                    actor=who,
                    policy_path=policy,
                    pin=pin,
                    stale_after=stale_after,
                    log=None if as_json else lambda m: err.print(f"weighbridge: {m}", markup=False),
                )
        except WeighbridgeError as exc:
            fail(str(exc))
    record = result.record
    if as_json:
        typer.echo(json.dumps({**record.to_dict(), "fetched": result.fetched}, indent=2))
        return
    typer.echo(f"{record.key}: {record.state.value}" + (f" ({record.detail})" if record.detail else ""))


@mirror_app.command("verify")
def verify(db: DbOpt = None, store: StoreOpt = None) -> None:
    """Re-hash every blob of the store; flag (and so withhold) the ones that no longer match. Exit 1 if any."""
    from ..mirror.verify import verify_store

    blobs = _store(store)
    with _opened(db) as reg:
        outcome = verify_store(
            reg, blobs, log=lambda m: err.print(f"weighbridge: corrupt: {m}", markup=False)
        )
    typer.echo(
        f"{outcome.checked} blob(s) checked, {len(outcome.corrupt)} corrupt (withheld), "
        f"{len(outcome.missing)} missing"
    )
    if outcome.corrupt:
        raise typer.Exit(1)


@mirror_app.command("status")
def status(
    db: DbOpt = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="Rows per list.")] = 20,
) -> None:
    """The catalogue (what is served, pull counts), the intake queue and the latest refused pulls."""
    from ..mirror.catalogue import mirror_overview

    blobs = _store(store)
    with _opened(db) as reg:
        overview = mirror_overview(reg, blobs, limit=limit)
    if as_json:
        typer.echo(json.dumps(overview, indent=2, ensure_ascii=False))
        return
    typer.echo("served:")
    for row in overview["catalogue"]:
        typer.echo(
            f"  {row['repo_id']}@{row['commit'][:12]}  {row['files']} files  {row['pulls']} pulls"
            + ("" if row["published"] else "  (not published)")
        )
    typer.echo("intake:")
    for row in overview["intake"]:
        typer.echo(f"  {row['key']}  {row['state']}  {row['detail'] or ''}")
    typer.echo("refused pulls:")
    for row in overview["refused"]:
        typer.echo(f"  {row['at']}  {row['client'] or '-'}  {row['user'] or '-'}  {row['reason']}")
