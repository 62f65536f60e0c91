"""`weighbridge admit`, `weighbridge registry …` and `weighbridge token …`: the organization's system of
record (issue 5). Thin: each command opens the registry, calls one ``Registry`` method and prints the result;
the registry (SQLAlchemy, Alembic, the inspection) is imported inside the commands so start-up stays fast."""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from ..core.audit import AuditRun
from ..core.findings import WeighbridgeError
from ..core.registry import Decision, DecisionAction, DecisionRecord
from .common import err, fail

if TYPE_CHECKING:
    from ..registry import Registry

T = TypeVar("T")

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Registry database URL (default: "
        "$WEIGHBRIDGE_DATABASE_URL, else $WEIGHBRIDGE_HOME/registry.db).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
ActorOpt = Annotated[str | None, typer.Option("--actor", help="Who decides (default: $USER).")]
NameArg = Annotated[str, typer.Argument(help="The model's registry name.")]
VersionOpt = Annotated[
    str | None,
    typer.Option("--version", help="A revision or manifest digest (prefix); default: the newest version."),
]

registry_app = typer.Typer(
    help="The registry: inventory, model pages, history, diffs and decisions.", no_args_is_help=True
)
token_app = typer.Typer(
    help="API tokens for the REST API (the secret is shown once, only its hash is kept).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main application."""
    app.command("admit")(admit)
    app.add_typer(registry_app, name="registry")
    app.add_typer(token_app, name="token")


@contextmanager
def _opened(db: str | None) -> Iterator[Registry]:
    from sqlalchemy.exc import SQLAlchemyError

    from ..registry import open_registry

    try:
        with open_registry(db) as reg:
            yield reg
    except WeighbridgeError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        fail(f"registry database error: {str(orig or exc).strip().splitlines()[0]}")


def _call(db: str | None, work: Callable[[Registry], T]) -> T:
    with _opened(db) as reg:
        return work(reg)
    raise AssertionError("unreachable")  # _opened either yields or fails


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        fail("cannot tell who you are: pass --actor NAME")


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _decision_lines(entry: DecisionRecord) -> list[str]:
    head = f"{entry.decision.value.upper()}: {entry.reason}"
    return [head] + [f"  {line}" for line in entry.reasons if not line.startswith("pass:")]


def admit(
    target: Annotated[
        str, typer.Argument(help="A file, a folder, hf:org/name[@revision] or ollama:name[:tag].")
    ],
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Organization policy (YAML) that decides.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="A note kept with the decision.")] = None,
    derived_from: Annotated[
        str | None,
        typer.Option(
            "--derived-from",
            help="The admitted registry model this one derives from; its obligations carry over.",
        ),
    ] = None,
    relation: Annotated[
        str, typer.Option("--relation", help="finetune, merge, quantization, adapter or base.")
    ] = "finetune",
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="Registry name (default: what the model calls itself: "
            "hf: repo id, GGUF general.name, the card's or config's Hugging "
            "Face id; the folder or file name only when it names nothing).",
        ),
    ] = None,
    audit: Annotated[
        Path | None,
        typer.Option(
            "--audit",
            help="A behaviour audit of these weights (run.json of "
            "`weighbridge audit run`): recorded, and checked against the "
            "policy's audit: rules.",
        ),
    ] = None,
    actor: ActorOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Inspect TARGET statically, decide under --policy and record the decision. Exit 0 when admitted, 1 when
    rejected or needing review. Without a policy a finding at or above high rejects, anything else needs
    review."""
    who = _actor(actor)
    run = _load_audit(audit) if audit is not None else None
    version, entry = _call(
        db,
        lambda reg: reg.admit(
            target,
            policy_path=policy,
            actor=who,
            note=note,
            derived_from=derived_from,
            relation=relation,
            name=name,
            audit=run,
        ),
    )
    warning = version.extra.get("warning")
    if warning:
        err.print(
            f"warning: {warning}; pass --name to record this admission under one of those names",
            markup=False,
            soft_wrap=True,
        )
    if as_json:
        from ..registry.views import version_dict

        _print_json({"version": version_dict(version), "decision": entry.to_dict()})
    else:
        typer.echo(f"{version.model} @ {version.manifest_digest[:12]}")
        for line in _decision_lines(entry):
            typer.echo(line)
    raise typer.Exit(0 if entry.decision is Decision.ADMITTED else 1)


def _load_audit(path: Path) -> AuditRun:
    from ..audit.runfile import load_run

    try:
        return load_run(path)
    except WeighbridgeError as exc:
        fail(str(exc))


def _choice(value: str | None, parse: Callable[[str], T], what: str) -> T | None:
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError as exc:
        fail(f"invalid {what}: {exc}")


def _decision(value: str) -> Decision:
    try:
        return Decision(value.lower())
    except ValueError:
        raise ValueError(f"{value!r} (expected one of: {', '.join(d.value for d in Decision)})") from None


@registry_app.command("list")
def list_command(
    decision: Annotated[
        str | None,
        typer.Option("--decision", help="admitted, rejected, needs-review, quarantined or revoked."),
    ] = None,
    license_family: Annotated[
        str | None, typer.Option("--license-family", help="e.g. llama, qwen, apache.")
    ] = None,
    jurisdiction: Annotated[
        str | None, typer.Option("--jurisdiction", help="Publisher country (ISO code).")
    ] = None,
    min_severity: Annotated[
        str | None, typer.Option("--min-severity", help="Worst finding at least this.")
    ] = None,
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="Part of a name, source or digest.")
    ] = None,
    all_versions: Annotated[
        bool, typer.Option("--all-versions", help="Every version, not only the newest.")
    ] = False,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The inventory: the newest version of every model with its decision and summary."""
    from ..core.findings import Severity

    chosen = _choice(decision, _decision, "--decision")
    severity = _choice(min_severity, Severity.parse, "--min-severity")
    from ..registry.views import version_dict

    rows = [
        version_dict(r)
        for r in _call(
            db,
            lambda reg: reg.list_versions(
                query=query,
                decision=chosen,
                license_family=license_family,
                jurisdiction=jurisdiction,
                min_severity=severity,
                all_versions=all_versions,
            ),
        )
    ]
    if as_json:
        _print_json(rows)
        return
    if not rows:
        typer.echo("no model versions match")
        return
    header = ("MODEL", "DECISION", "SEVERITY", "VERDICT", "LICENCE", "COUNTRY", "VERSION")
    table = [header] + [
        (
            r["model"],
            r["decision"],
            r["max_severity"],
            r["verdict"] or "-",
            r["license_id"] or "-",
            r["jurisdiction"] or "-",
            r["manifest_digest"][:12],
        )
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for row in table:
        typer.echo(
            "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


@registry_app.command("show")
def show(name: NameArg, version: VersionOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """A model page: files and hashes, findings, licence terms with quotes, lineage, obligations, audits and
    the decision history."""
    detail = _call(db, lambda reg: reg.version_detail(name, version))
    if as_json:
        _print_json(detail)
        return
    v = detail["version"]
    typer.echo(f"{detail['model']} @ {v['manifest_digest']}")
    typer.echo(f"  decision: {v['decision']}   source: {v['source']}   recorded: {v['recorded_at']}")
    licence = detail.get("license") or {}
    publisher = (detail.get("provenance") or {}).get("publisher") or {}
    openness = detail.get("openness") or {}
    mof, osaid = openness.get("mof") or {}, openness.get("osaid") or {}
    typer.echo(
        f"  licence: {licence.get('id') or '-'}   worst finding: {v['max_severity']}   "
        f"publisher: {publisher.get('name') or 'unknown'}   country: {v['jurisdiction'] or '-'}"
    )
    typer.echo(
        f"  openness: MOF {mof.get('label') or 'not assessed'}"
        + (f" (class {v['openness_class']})" if v.get("openness_class") else "")
        + f"; OSI OSAID: {osaid.get('verdict') or 'not assessed'}"
    )
    typer.echo(f"files ({len(detail['files'])}):")
    for f in detail["files"]:
        typer.echo(f"  {f['sha256'] or '-':64}  {f['size']:>12}  {f['path']}")
    if detail["findings"]:
        typer.echo(f"findings ({len(detail['findings'])}):")
        for f in detail["findings"]:
            typer.echo(f"  {f['severity']:8} {f['rule']:12} {f['path']}: {f['title']}")
    for e in licence.get("evidence") or ():
        typer.echo(f'  licence {e["term"]}: "{e["quote"]}" ({e["file"]}:{e["line"]})')
    lineage = detail["lineage"]
    for p in lineage["parents"]:
        typer.echo(f"derived from: {p['model']} ({p['relation']})")
    for c in lineage["children"]:
        typer.echo(f"parent of: {c['model']} ({c['relation']})")
    if detail["obligations"]:
        typer.echo("carried obligations:")
        for ob in detail["obligations"]:
            typer.echo(f"  {ob['kind']:12} {ob['text']} (from {' → '.join(ob['via'])}, {ob['license']})")
    for a in detail["audits"]:
        typer.echo(f"audit #{a['id']} {a['recorded_at']}: {a['summary'].get('labels')}")
    typer.echo("history:")
    for h in detail["history"]:
        typer.echo(f"  {h['at']}  {h['decision']:12} {h['action']:10} {h['actor']}: {h['reason']}")


@registry_app.command("history")
def history(name: NameArg, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Every decision on every version of a model, oldest first."""
    entries = _call(db, lambda reg: reg.history(name))
    if as_json:
        _print_json([e.to_dict() for e in entries])
        return
    if not entries:
        typer.echo(f"{name}: no decisions yet")
    for e in entries:
        policy = f" [policy {e.policy}]" if e.policy else ""
        typer.echo(
            f"{e.at}  {(e.version or '')[:12]}  {e.decision.value:12} {e.action.value:10} "
            f"{e.actor}: {e.reason}{policy}"
        )


@registry_app.command("record-audit")
def record_audit(
    name: NameArg,
    run_file: Annotated[Path, typer.Argument(help="run.json of `weighbridge audit run` on these weights.")],
    version: Annotated[
        str | None, typer.Option("--version", help="Revision or digest prefix (default: newest).")
    ] = None,
    db: DbOpt = None,
) -> None:
    """Store a behaviour audit on a model version; `registry reevaluate` then checks it against the policy's
    audit: rules. Refused when the run's recorded digest names other weights."""
    run = _load_audit(run_file)
    audit_id = _call(db, lambda reg: reg.record_audit(name, run, version=version))
    typer.echo(
        f"audit #{audit_id} recorded for {name}: {len(run.samples)} samples of "
        f"{', '.join(sorted(run.suites))}"
    )


@registry_app.command("diff")
def diff(
    a: Annotated[str, typer.Argument(help="A model.")],
    b: Annotated[str, typer.Argument(help="Another model, or a version of the first.")],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What changed between two models or two versions: files, findings, licence, summary."""
    change = _call(db, lambda reg: reg.diff(a, b))
    if as_json:
        _print_json(change)
        return
    typer.echo(
        f"{change['a']['model']} @ {change['a']['version'][:12]} → "
        f"{change['b']['model']} @ {change['b']['version'][:12]}"
    )
    files = change["files"]
    for path in files["added"]:
        typer.echo(f"  + {path}")
    for path in files["removed"]:
        typer.echo(f"  - {path}")
    for c in files["changed"]:
        typer.echo(f"  ~ {c['path']}")
    typer.echo(f"  {files['unchanged']} file(s) unchanged")
    for f in change["findings"]["added"]:
        typer.echo(f"  new finding: {f['severity']} {f['rule']} {f['path']}")
    for f in change["findings"]["removed"]:
        typer.echo(f"  gone finding: {f['severity']} {f['rule']} {f['path']}")
    if change["license"]["changed"]:
        typer.echo(f"  licence: {change['license']['a']} → {change['license']['b']}")
    for key, pair in change["summary"].items():
        typer.echo(f"  {key}: {pair['a']} → {pair['b']}")


def _decider(action: DecisionAction) -> Callable[..., None]:
    def command(
        name: NameArg,
        reason: Annotated[str, typer.Option("--reason", help="Why (kept in the history).")],
        version: VersionOpt = None,
        actor: ActorOpt = None,
        db: DbOpt = None,
    ) -> None:
        who = _actor(actor)
        entry = _call(db, lambda reg: reg.decide(name, action, actor=who, reason=reason, version=version))
        typer.echo(f"{name} @ {(entry.version or '')[:12]}: {entry.decision.value} by {entry.actor}")

    command.__doc__ = f"Record a person's decision to {action.value} the newest version (or --version)."
    return command


for _action in (
    DecisionAction.APPROVE,
    DecisionAction.REJECT,
    DecisionAction.REVOKE,
    DecisionAction.QUARANTINE,
):
    registry_app.command(_action.value)(_decider(_action))


@registry_app.command("reevaluate")
def reevaluate(
    policy: Annotated[Path, typer.Option("--policy", help="The new policy (YAML).")],
    actor: ActorOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Decide every model's newest version again under a new policy, from the stored reports (no model file is
    read), and list the decisions that flip."""
    who = _actor(actor)
    flips = _call(db, lambda reg: reg.reevaluate(policy, actor=who))
    if as_json:
        _print_json([f.to_dict() for f in flips])
        return
    if not flips:
        typer.echo("no decision changes")
    for f in flips:
        typer.echo(f"{f.model} @ {f.version[:12]}: {f.before} → {f.after}")
        for line in f.reasons:
            if not line.startswith("pass:"):
                typer.echo(f"  {line}")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="A name for the token.")],
    scope: Annotated[
        list[str],
        typer.Option(
            "--scope", help="admit, decide, policy, pull (the mirror) or admin (repeat for several)."
        ),
    ],
    db: DbOpt = None,
) -> None:
    """Create a token and print its secret (shown this once)."""
    secret = _call(db, lambda reg: reg.create_token(name, scope))
    typer.echo(secret)


@token_app.command("list")
def token_list(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Tokens with their scopes and last use (never the secrets)."""
    rows = _call(db, lambda reg: reg.list_tokens())
    if as_json:
        _print_json([r.to_dict() for r in rows])
        return
    if not rows:
        typer.echo("no tokens")
    for r in rows:
        state = "revoked" if r.revoked else "active"
        typer.echo(
            f"{r.name:24} {state:8} {','.join(r.scopes):28} created {r.created_at}  "
            f"last used {r.last_used_at or 'never'}"
        )


@token_app.command("revoke")
def token_revoke(name: Annotated[str, typer.Argument(help="The token's name.")], db: DbOpt = None) -> None:
    """Revoke a token: it is refused from now on."""
    _call(db, lambda reg: reg.revoke_token(name))
    typer.echo(f"token {name} revoked")
