"""`weighbridge fleet scan|audit|summary`: many targets at once, local process pool or Ray (issue 6).

Thin: parse options, call ``weighbridge.fleet``, render. The library (and Ray) load only when a command runs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..core.findings import WeighbridgeError
from .common import console_for, err, fail
from .scanning import byte_progress

if TYPE_CHECKING:
    from ..core.findings import Severity
    from ..core.registry import FleetSummary
    from ..fleet.run import FleetScanResult

fleet_app = typer.Typer(
    name="fleet",
    help="Scan, audit and summarise a whole model mirror (local processes or Ray).",
    no_args_is_help=True,
)

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Registry database URL or SQLite file "
        "(default: $WEIGHBRIDGE_DATABASE_URL or $WEIGHBRIDGE_HOME/registry.db).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def register(app: typer.Typer) -> None:
    """Add the ``fleet`` command group to the main application."""
    app.add_typer(fleet_app, name="fleet")


@fleet_app.command("scan")
def scan_command(
    roots: Annotated[
        list[str],
        typer.Argument(help="Mirror folders (HF caches, Ollama stores, model folders) or model files."),
    ],
    engine: Annotated[str, typer.Option("--engine", help="local (process pool) or ray.")] = "local",
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            help="Ray cluster to join (ray://host:10001 or host:6379); without it Ray starts locally.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-j", min=1, max=4096, help="Worker processes (default: CPU count)."),
    ] = None,
    db: DbOpt = None,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Organization policy (YAML) for the verdicts.")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Ignore the scan cache: read and re-evaluate everything.")
    ] = False,
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on",
            help="Exit 1 when a target has a finding at or above this "
            "severity (critical, high, medium, low, info).",
        ),
    ] = "high",
    as_json: JsonOpt = False,
) -> None:
    """Discover every model under ROOT…, read only files that changed since the last run, and record each
    target's report in the registry; models already decided keep their name, policy and decision. Exit 1 when
    a target could not be evaluated, has a finding at or above --fail-on or fails its policy; 2 on bad input."""
    from ..core.findings import Severity
    from ..fleet import scan_mirror

    if engine not in ("local", "ray"):
        fail(f"unknown engine {engine!r}: choose local or ray")
    try:
        threshold = Severity.parse(fail_on)
    except ValueError as exc:
        fail(str(exc))
    loaded = None
    if policy is not None:
        from ..policy import load_policy

        try:
            loaded = load_policy(policy)
        except WeighbridgeError as exc:
            fail(str(exc))
    try:
        result = _with_progress(
            lambda progress: scan_mirror(
                roots,
                engine=engine,
                workers=workers,
                address=address,
                db_url=db,
                policy=loaded,
                full=full,
                progress=progress,
            )
        )
    except WeighbridgeError as exc:
        fail(str(exc))
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
    else:
        _print_scan(result, threshold)
    raise typer.Exit(1 if _failing(result, threshold) else 0)


def _failing(result: FleetScanResult, threshold: Severity) -> list[str]:
    """Targets that fail the run: not evaluated, a finding at or above ``threshold``, or a failing policy."""
    from ..core.findings import Severity

    out = []
    for t in result.targets:
        top = Severity.parse(t.max_severity) if t.max_severity not in (None, "none") else None
        if t.status == "error" or t.verdict == "fail" or (top is not None and top >= threshold):
            out.append(t.spec)
    return out


def _with_progress(run: Any) -> Any:
    with byte_progress("reading") as progress:
        return run(progress)


def _print_scan(result: FleetScanResult, threshold: Severity) -> None:
    from rich.table import Table

    console = console_for()
    counts = result.counts()
    rate = result.bytes_read / result.elapsed_seconds / 1e6 if result.elapsed_seconds else 0.0
    console.print(
        f"{len(result.targets)} targets: "
        + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        + f" — files: {result.files_read} read, {result.files_cached} from cache"
        + f" — {result.bytes_read / 1e6:.1f} MB in {result.elapsed_seconds:.1f} s ({rate:.0f} MB/s)"
        + f" on {result.engine} with {result.workers} worker(s)",
        markup=False,
    )
    failing = set(_failing(result, threshold))
    shown = [t for t in result.targets if t.spec in failing]
    if shown:
        table = Table("target", "status", "max severity", "verdict", "findings", "model / error")
        for t in shown:
            table.add_row(
                t.spec,
                t.status,
                t.max_severity or "",
                t.verdict or "",
                str(t.findings),
                t.error or t.model or "",
            )
        console.print(table)
    for s in result.skipped:
        err.print(f"skipped {s.path}: {s.reason}", markup=False)


@fleet_app.command("audit")
def audit_command(
    endpoint: Annotated[
        list[str],
        typer.Option(
            "--endpoint",
            help="URL[=MODEL] of an OpenAI-compatible server; "
            "without =MODEL every admitted model it serves. Repeatable.",
        ),
    ],
    suite: Annotated[
        list[str] | None,
        typer.Option(
            "--suite", help="Built-in suite name or suite file; repeatable (default: every built-in suite)."
        ),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option("--concurrency-per-endpoint", min=1, max=256, help="Requests in flight per endpoint."),
    ] = 4,
    samples: Annotated[
        int,
        typer.Option(
            "--samples", min=0, max=100, help="Samples per prompt at temperature, after the greedy pass."
        ),
    ] = 1,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Prompts per suite (default: all).")
    ] = None,
    max_tokens: Annotated[int, typer.Option("--max-tokens", min=1, help="Token cap per answer.")] = 512,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run audit suites over many admitted models behind one or more OpenAI-compatible endpoints, with
    bounded concurrency per endpoint; each run is recorded in the registry. Exit 1 when an audit failed."""
    from ..audit.suites import builtin_suites, load_suites
    from ..core.audit import GenerationSettings
    from ..fleet.audit import fleet_audit, parse_endpoint
    from ..registry import open_registry
    from ..registry.db import home

    try:
        specs = [parse_endpoint(e) for e in endpoint]
        suites = load_suites(list(suite) if suite else builtin_suites())
        with open_registry(db) as registry:
            result = fleet_audit(
                registry,
                specs,
                suites,
                settings=GenerationSettings(max_tokens=max_tokens),
                samples=samples,
                concurrency_per_endpoint=concurrency,
                limit=limit,
                cache_dir=home() / "fleet-audit-cache",
            )
    except WeighbridgeError as exc:
        fail(str(exc))
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
    else:
        from rich.table import Table

        console = console_for()
        table = Table("endpoint", "model", "status", "samples", "labels", "audit / reason")
        for o in result.outcomes:
            labels = ", ".join(f"{k} {n}" for k, n in sorted(o.labels.items()))
            table.add_row(
                o.endpoint,
                o.model,
                o.status,
                str(o.samples),
                labels,
                str(o.audit_id) if o.audit_id is not None else o.reason or "",
            )
        console.print(table)
        console.print(
            ", ".join(f"{n} {k}" for k, n in sorted(result.counts().items())) or "nothing to audit",
            f"in {result.elapsed_seconds:.1f} s",
            markup=False,
        )
    raise typer.Exit(1 if any(o.status == "error" for o in result.outcomes) else 0)


@fleet_app.command("summary")
def summary_command(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """The registry at a glance: counts by decision, verdict, licence family, jurisdiction and highest
    severity; the newest findings; models whose verdict flipped."""
    from ..fleet.summary import fleet_summary
    from ..registry import open_registry

    try:
        with open_registry(db) as registry:
            summary = fleet_summary(registry)
    except WeighbridgeError as exc:
        fail(str(exc))
    if as_json:
        sys.stdout.write(json.dumps(summary.to_dict(), indent=2) + "\n")
    else:
        _print_summary(summary)


def _print_summary(summary: FleetSummary) -> None:
    from rich.table import Table

    console = console_for()
    console.print(f"{summary.models} models, {summary.versions} versions", markup=False)
    for title, counts in (
        ("decision", summary.by_decision),
        ("verdict", summary.by_verdict),
        ("licence family", summary.by_license_family),
        ("jurisdiction", summary.by_jurisdiction),
        ("max severity", summary.by_max_severity),
    ):
        console.print(
            f"by {title}: " + (", ".join(f"{k} {n}" for k, n in counts.items()) or "-"), markup=False
        )
    if summary.flips:
        table = Table("model", "version", "before", "after", "at", title="verdict flips")
        for f in summary.flips:
            table.add_row(f.model, f.version[:12], f.before, f.after, f.at or "")
        console.print(table)
    if summary.newest_findings:
        table = Table("model", "severity", "rule", "path", "title", title="newest findings")
        for g in summary.newest_findings:
            table.add_row(g.model, g.severity, g.rule, g.path, g.title)
        console.print(table)
