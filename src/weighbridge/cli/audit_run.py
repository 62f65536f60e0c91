"""`weighbridge audit run`: put a model through prompt suites and write the run file."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..core.findings import WeighbridgeError
from .common import err, fail, stderr_console

if TYPE_CHECKING:
    from ..audit.runner import Progress


RUNTIMES = ("openai", "llama-cpp", "transformers")


def default_cache(output: Path) -> Path:
    """``run.json`` → ``run.cache.sqlite`` next to it."""
    return output.with_name(f"{output.stem or output.name}.cache.sqlite")


def run_command(
    target: Annotated[
        str,
        typer.Argument(
            help="The model: a GGUF file (llama-cpp), a model folder or hf:org/name "
            "(transformers), or for openai the model name, or a local file/folder "
            "the endpoint serves (hashed for the record)."
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Run file to write (JSON); required.")
    ] = None,
    runtime: Annotated[
        str | None,
        typer.Option(
            "--runtime", "-r", help="How to run the model: openai, llama-cpp or transformers; required."
        ),
    ] = None,
    endpoint: Annotated[
        str | None,
        typer.Option(
            help="openai: base URL of an OpenAI-compatible server, with or "
            "without /v1 (API key from $WEIGHBRIDGE_API_KEY)."
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="openai: model id to ask for (default: TARGET unless it is a "
            "local path, else the endpoint's only model)."
        ),
    ] = None,
    suite: Annotated[
        list[str] | None,
        typer.Option(
            "--suite",
            "-s",
            help="Built-in suite name or suite file; repeatable (default: every built-in suite).",
        ),
    ] = None,
    samples: Annotated[int, typer.Option(help="Samples per prompt at --temperature.")] = 3,
    greedy: Annotated[
        bool, typer.Option("--greedy/--no-greedy", help="Also one greedy pass (temperature 0) per prompt.")
    ] = True,
    temperature: Annotated[float, typer.Option(help="Sampling temperature.")] = 0.7,
    top_p: Annotated[float, typer.Option("--top-p", help="Nucleus sampling top-p.")] = 1.0,
    max_tokens: Annotated[
        int,
        typer.Option(
            "--max-tokens",
            help="Token cap per answer (a cut answer is recorded as truncated, never as a refusal).",
        ),
    ] = 1024,
    seed: Annotated[int, typer.Option(help="Base seed; sample i uses a seed derived from it and i.")] = 0,
    stop: Annotated[
        list[str] | None, typer.Option("--stop", help="Stop sequence; repeatable (default: none).")
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            "-j",
            help="Requests in flight (openai only; in-process engines run one at a time).",
        ),
    ] = 1,
    cache: Annotated[
        Path | None,
        typer.Option(
            help="Completion cache (SQLite); an interrupted run resumes from "
            "it (default: OUTPUT's name + .cache.sqlite)."
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            help="About N prompts, as whole matched groups taken from the "
            "suites in turn (a request about every country and the controls "
            "in one language), so the asymmetry can still be measured."
        ),
    ] = None,
    n_ctx: Annotated[int, typer.Option("--n-ctx", help="llama-cpp: context size.")] = 4096,
) -> None:
    """Audit what a model says: every prompt of the suites gets a greedy pass and --samples samples, scored,
    cached as they arrive (re-run the same command to resume), written to OUTPUT. Defaults: temperature 0.7,
    top-p 1.0, max tokens 1024, 3 samples + greedy, seed 0, no stop sequences. Exit 1 when every generation
    failed."""
    from ..audit.runfile import dump_run
    from ..audit.runner import RunStats, run_audit
    from ..audit.runtimes import make_runtime
    from ..audit.suites import builtin_suites, load_suites
    from ..audit.summary import summarise
    from ..core.audit import GenerationSettings

    output = _check_options(
        output, runtime, samples, greedy, temperature, top_p, max_tokens, concurrency, limit, n_ctx
    )
    if not output.parent.is_dir():
        fail(f"cannot write {output}: folder {output.parent} does not exist")
    cache_path = cache or default_cache(output)
    settings = GenerationSettings(
        temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed, stop=tuple(stop or ())
    )
    stats = RunStats()
    try:
        suites = load_suites(list(suite) if suite else builtin_suites())
        options = {"n_ctx": n_ctx} if runtime == "llama-cpp" else {}
        if runtime != "openai" and sys.stderr.isatty():
            err.print(f"audit: loading {target} with {runtime}…", markup=False, soft_wrap=True)
        engine = make_runtime(str(runtime), target, endpoint=endpoint, model=model, **options)
        try:
            with _progress_bar() as progress:
                run = run_audit(
                    engine,
                    suites,
                    settings,
                    samples=samples,
                    greedy=greedy,
                    concurrency=concurrency,
                    cache=cache_path,
                    progress=progress,
                    limit=limit,
                    stats=stats,
                )
        finally:
            engine.close()
    except WeighbridgeError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail(
            f"interrupted: {stats.cached + stats.generated} of {stats.planned} generations done, those "
            f"cached in {cache_path}; run the same command again to resume"
        )
    try:
        dump_run(run, output)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(stats.outcomes.items()))
    passes = ("greedy + " if greedy else "") + f"{samples} sample(s)"
    typer.echo(
        f"{len(run.prompts)} prompts x ({passes}) = {len(run.samples)} generations "
        f"({stats.generated} new, {stats.cached} cached) in {stats.seconds:.1f} s; {outcomes}; "
        f"model {run.model.model_name or run.model.target}; written to {output}"
    )
    summary = summarise(run)
    if summary.excluded:
        typer.echo(f"note: {summary.excluded}")
    for a in summary.asymmetries:
        d = a.to_dict()
        typer.echo(
            f"asymmetry {a.kind} {a.country}/{a.language} vs {'+'.join(a.controls)}: {a.points:+.1f} points "
            f"[{d['low_points']:+.1f}, {d['high_points']:+.1f}] (95 % CI; `weighbridge audit report` has "
            "the rest)"
        )
    if run.samples and stats.errors == len(run.samples):
        raise typer.Exit(1)


def _check_options(
    output: Path | None,
    runtime: str | None,
    samples: int,
    greedy: bool,
    temperature: float,
    top_p: float,
    max_tokens: int,
    concurrency: int,
    limit: int | None,
    n_ctx: int,
) -> Path:
    """One-line errors for values typer would otherwise reject with a multi-line usage message."""
    if runtime is None:
        fail(f"--runtime is required ({', '.join(RUNTIMES)})")
    if runtime not in RUNTIMES:
        fail(f"unknown runtime {runtime!r}: expected {', '.join(RUNTIMES)}")
    if output is None:
        fail("--output/-o is required: the run file to write")
    checks = [
        (samples >= 0, "--samples must be 0 or more"),
        (temperature >= 0, "--temperature must be 0 or more"),
        (0.0 <= top_p <= 1.0, "--top-p must be between 0 and 1"),
        (max_tokens >= 1, "--max-tokens must be at least 1"),
        (1 <= concurrency <= 256, "--concurrency must be between 1 and 256"),
        (limit is None or limit >= 1, "--limit must be at least 1"),
        (n_ctx >= 256, "--n-ctx must be at least 256"),
        (greedy or samples > 0, "nothing to generate: --no-greedy with --samples 0"),
    ]
    for ok, message in checks:
        if not ok:
            fail(message)
    return output


class _progress_bar:
    """Progress on stderr from before the first answer: a rich progress bar on a terminal, otherwise a line at
    the start, then at most one every ``EVERY`` seconds, and one at the end (for logs and CI)."""

    EVERY = 10.0

    def __init__(self) -> None:
        self._bar: object | None = None

    def __enter__(self) -> Progress | None:
        if not sys.stderr.isatty():
            return _LineProgress(self.EVERY)
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=stderr_console(),
            transient=True,
        )
        bar.__enter__()
        self._bar = bar
        task = bar.add_task("generating", total=None)
        return lambda done, total: bar.update(task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)  # type: ignore[attr-defined]


class _LineProgress:
    """``audit: 12 of 48 generations (25 %), 40 s`` lines, rate-limited."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.started = time.monotonic()
        self.last: float | None = None

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.last is not None and done < total and now - self.last < self.every:
            return
        self.last = now
        share = f" ({100 * done // total} %)" if total else ""
        err.print(
            f"audit: {done} of {total} generations{share}, {now - self.started:.0f} s",
            markup=False,
            soft_wrap=True,
        )


def register(audit_app: typer.Typer) -> None:
    """Add ``run`` to the audit group."""
    audit_app.command("run")(run_command)
