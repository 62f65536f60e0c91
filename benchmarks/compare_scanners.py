"""Side-by-side benchmark: weighbridge vs picklescan, modelscan, fickling and modelaudit on the labelled corpus.

    .venv/bin/python benchmarks/compare_scanners.py [--tools weighbridge,picklescan,...] [--timeout 60]
                                                    [--keep DIR] [--setup-only]

Not part of the test suite. The peers live in their own cached venv ``benchmarks/.peers/`` (created on first
run with pip from PyPI; a tool that cannot be installed is recorded and skipped). The corpus is built into
a temp dir (tests/corpus/build.py), every tool runs over every sample through its CLI with its documented
exit-code semantics, each call bounded by a per-sample timeout. Prints one table plus per-technique misses
and writes ``benchmarks/out/compare.json``.

Scoring, per tool:
* malicious detected: the tool flagged it (a "found" exit code or a finding in its output). An error,
  timeout or "nothing scanned" on a malicious sample is NOT a detection; those are counted separately.
* malformed flagged: any failing verdict (found, error, nothing-scanned, timeout) — the tool did not call it
  clean.
* benign clean: exit 0 and no issue reported.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEERS = HERE / ".peers"
OUT = HERE / "out"
PEER_PACKAGES = {  # tool -> pip requirement(s); documented extras for the formats the corpus holds
    "picklescan": ["picklescan[7z]"],
    "modelscan": ["modelscan[h5py]"],
    "fickling": ["fickling"],
    # not [pytorch]/[all]: those pull a multi-GB CUDA torch; its torch-zip scanner works without torch
    "modelaudit": ["modelaudit[h5,onnx,sevenzip,joblib,safetensors]"],
}
ALL_TOOLS = ["weighbridge", "picklescan", "modelscan", "fickling", "modelaudit"]

# Verdicts of one tool on one sample.
FOUND = "found"  # the tool says: dangerous / issues
CLEAN = "clean"  # exit 0 and nothing reported
ERROR = "error"  # scan failed / crashed / unexpected exit code
NOTHING = "nothing"  # the tool says it scanned nothing / skipped everything
TIMEOUT = "timeout"
NOTICE = "notice"  # weighbridge only: exit 0 (below --fail-on high) but a MEDIUM finding was reported


@dataclass
class Result:
    verdict: str
    rc: int | None
    seconds: float
    detail: str = ""


@dataclass
class Tool:
    name: str
    argv: Callable[[Path], list[str]]
    classify: Callable[[int, str, str], tuple[str, str]]
    env: dict[str, str] = field(default_factory=dict)
    version: str = ""


# ----------------------------------------------------------------------------------------------------------
# Installation
# ----------------------------------------------------------------------------------------------------------


def _peer_bin(name: str) -> Path:
    return PEERS / "bin" / name


def setup_peers(log: Callable[[str], None]) -> dict[str, str]:
    """Create/refresh the cached peers venv. Returns {tool: problem} for tools that could not be installed."""
    problems: dict[str, str] = {}
    if not (PEERS / "bin" / "python").exists():
        log(f"creating {PEERS}")
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
        (PEERS / ".gitignore").write_text("*\n")
        subprocess.run(
            [str(PEERS / "bin" / "python"), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=False
        )
    for tool, reqs in PEER_PACKAGES.items():
        marker = PEERS / f".{tool}.installed"
        if _peer_bin(tool).exists() and marker.exists() and marker.read_text() == " ".join(reqs):
            continue
        log(f"installing {tool} ({' '.join(reqs)})")
        proc = subprocess.run(
            [str(PEERS / "bin" / "python"), "-m", "pip", "install", "-q", *reqs],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0 or not _peer_bin(tool).exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            problems[tool] = f"pip install {' '.join(reqs)} failed (rc={proc.returncode}): {' | '.join(tail)}"
            log(f"  {tool}: {problems[tool]}")
        else:
            marker.write_text(" ".join(reqs))
    return problems


def _version(dist: str) -> str:
    py = PEERS / "bin" / "python"
    if not py.exists():
        return ""
    proc = subprocess.run(
        [str(py), "-c", f"import importlib.metadata as m; print(m.version({dist!r}))"],
        capture_output=True,
        text=True,
    )
    return proc.stdout.strip()


# ----------------------------------------------------------------------------------------------------------
# Per-tool exit-code semantics
# ----------------------------------------------------------------------------------------------------------


def _tail(text: str, n: int = 200) -> str:
    text = " ".join(text.split())
    return text[-n:]


def classify_picklescan(rc: int, out: str, err: str) -> tuple[str, str]:
    # picklescan: 0 clean, 1 malware found, 2 scan failed. A pickle that is malicious *and* fails to parse
    # exits 2 while printing "dangerous import ... FOUND": that is a finding, so it counts as detected.
    text = out + err
    infected = "dangerous import" in text.lower() or (
        "Infected files: " in text and "Infected files: 0" not in text
    )
    if rc == 1 or infected:
        return FOUND, f"rc={rc} " + _tail(text)
    if rc == 2:
        return ERROR, _tail(text)
    if rc == 0:
        if "Scanned files: 0" in text:
            return NOTHING, _tail(text)
        return CLEAN, _tail(text)
    return ERROR, f"rc={rc} " + _tail(text)


def classify_modelscan(rc: int, out: str, err: str) -> tuple[str, str]:
    # modelscan: 0 clean, 1 issues found, 2 errors, 3 no supported files scanned, 4 usage
    text = out + err
    if rc == 1:
        return FOUND, _tail(text)
    if rc == 3:
        return NOTHING, _tail(text)
    if rc == 0:
        return CLEAN, _tail(text)
    return ERROR, f"rc={rc} " + _tail(text)


def classify_fickling(rc: int, out: str, err: str) -> tuple[str, str]:
    # fickling --check-safety: 0 likely safe, 1 unsafe, 2 error
    text = out + err
    if rc == 1:
        return FOUND, _tail(text)
    if rc == 0:
        return CLEAN, _tail(text)
    return ERROR, f"rc={rc} " + _tail(text)


def classify_modelaudit(rc: int, out: str, err: str) -> tuple[str, str]:
    # modelaudit scan: 0 no issues, 1 issues found, 2 errors during scanning (`modelaudit scan --help`).
    # JSON: issues[{severity: info|warning|critical, message, rule_code}], files_scanned, has_errors.
    text = out + err
    try:
        data = json.loads(out[out.index("{") :]) if "{" in out else None
    except ValueError:
        data = None
    issues: list[dict[str, object]] = []
    files = None
    if isinstance(data, dict):
        issues = [
            i for i in data.get("issues", []) if str(i.get("severity", "")).lower() not in ("info", "debug")
        ]
        files = data.get("files_scanned")
    msgs = "; ".join(
        f"{i.get('rule_code', '')}/{i.get('severity')}: {str(i.get('message', ''))[:70]}" for i in issues[:3]
    ) or _tail(text)
    if rc == 1:
        return FOUND, msgs
    if rc == 0:
        if issues:
            return FOUND, msgs
        if files == 0:
            return NOTHING, _tail(text)
        return CLEAN, msgs
    return ERROR, f"rc={rc} " + msgs


def classify_weighbridge(rc: int, out: str, err: str) -> tuple[str, str]:
    # weighbridge scan --fail-on high: 0 below threshold, 1 finding at/above it, 2 usage/input error
    text = out + err
    detail = _tail(text)
    try:
        data = json.loads(out)
        findings = data.get("findings", [])
        top = data.get("summary", {}).get("max_severity", "none")
        detail = f"max={top}; " + "; ".join(f"{f['rule']}/{f['severity']}" for f in findings[:4])
    except (ValueError, AttributeError, KeyError, TypeError):
        findings, top = [], None
    if rc == 1:
        return FOUND, detail
    if rc == 0:
        return (NOTICE if top == "medium" else CLEAN), detail
    return ERROR, f"rc={rc} " + detail


def make_tools(selected: list[str], problems: dict[str, str]) -> dict[str, Tool]:
    tools: dict[str, Tool] = {}
    peer_env = {
        "PROMPTFOO_DISABLE_TELEMETRY": "1",
        "NO_COLOR": "1",
        "TERM": "dumb",
        "COLUMNS": "400",
        "HF_HUB_OFFLINE": "1",
        "DO_NOT_TRACK": "1",
    }
    wb = ROOT / ".venv" / "bin" / "weighbridge"
    for name in selected:
        if name == "weighbridge":
            if not wb.exists():
                problems[name] = f"{wb} not found"
                continue
            tools[name] = Tool(
                name,
                lambda p: [str(wb), "scan", str(p), "--format", "json", "--fail-on", "high"],
                classify_weighbridge,
                version=_wb_version(),
            )
        elif name in problems:
            continue
        elif name == "picklescan":
            tools[name] = Tool(
                name,
                lambda p: [str(_peer_bin("picklescan")), "-p", str(p)],
                classify_picklescan,
                peer_env,
                _version("picklescan"),
            )
        elif name == "modelscan":
            tools[name] = Tool(
                name,
                lambda p: [str(_peer_bin("modelscan")), "-p", str(p)],
                classify_modelscan,
                peer_env,
                _version("modelscan"),
            )
        elif name == "fickling":
            tools[name] = Tool(
                name,
                lambda p: [str(_peer_bin("fickling")), "--check-safety", str(p)],
                classify_fickling,
                peer_env,
                _version("fickling"),
            )
        elif name == "modelaudit":
            tools[name] = Tool(
                name,
                lambda p: [str(_peer_bin("modelaudit")), "scan", "--format", "json", "--no-cache", str(p)],
                classify_modelaudit,
                peer_env,
                _version("modelaudit"),
            )
    return tools


def _wb_version() -> str:
    proc = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            "-c",
            "import weighbridge, importlib.metadata as m; print(m.version('weighbridge'))",
        ],
        capture_output=True,
        text=True,
    )
    return proc.stdout.strip()


# ----------------------------------------------------------------------------------------------------------
# Running
# ----------------------------------------------------------------------------------------------------------


def run_one(tool: Tool, path: Path, timeout: float, cwd: Path) -> Result:
    env = {**os.environ, **tool.env}
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            tool.argv(path),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            errors="replace",
        )
    except subprocess.TimeoutExpired:
        return Result(TIMEOUT, None, time.perf_counter() - start, f"> {timeout:.0f}s")
    except OSError as exc:
        return Result(ERROR, None, time.perf_counter() - start, str(exc))
    seconds = time.perf_counter() - start
    verdict, detail = tool.classify(proc.returncode, proc.stdout, proc.stderr)
    return Result(verdict, proc.returncode, seconds, detail)


def score(tool: str, samples: list[dict[str, str]], results: dict[str, Result]) -> dict[str, object]:
    mal = [s for s in samples if s["label"] == "malicious"]
    bad = [s for s in samples if s["label"] == "malformed"]
    ben = [s for s in samples if s["label"] == "benign"]
    detected = [s for s in mal if results[s["name"]].verdict == FOUND]
    mal_errors = [s["name"] for s in mal if results[s["name"]].verdict in (ERROR, NOTHING, TIMEOUT)]
    misses = [s for s in mal if results[s["name"]].verdict != FOUND]
    flagged = [s for s in bad if results[s["name"]].verdict != CLEAN]  # NOTICE (medium) counts as flagged
    clean = [
        s for s in ben if results[s["name"]].verdict in (CLEAN, NOTICE)
    ]  # MEDIUM is acceptable on benign
    fps = [s["name"] for s in ben if results[s["name"]].verdict == FOUND]
    ben_errors = [s["name"] for s in ben if results[s["name"]].verdict in (ERROR, NOTHING, TIMEOUT)]
    notices = [s["name"] for s in ben if results[s["name"]].verdict == NOTICE]
    by_tech: dict[str, list[str]] = {}
    for s in misses:
        by_tech.setdefault(s["technique"], []).append(s["name"])
    return {
        "malicious_detected": len(detected),
        "malicious_total": len(mal),
        "malicious_error_or_nothing": mal_errors,
        "malformed_flagged": len(flagged),
        "malformed_total": len(bad),
        "benign_clean": len(clean),
        "benign_total": len(ben),
        "benign_flagged": fps,
        "benign_error_or_nothing": ben_errors,
        "benign_medium": notices,
        "seconds": round(sum(r.seconds for r in results.values()), 2),
        # one process per file, as pre-commit hooks and CI jobs call scanners: start-up dominates
        "median_file_ms": round(statistics.median(r.seconds for r in results.values()) * 1000, 1)
        if results
        else 0.0,
        "misses_by_technique": by_tech,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tools", default=",".join(ALL_TOOLS))
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per tool per sample")
    ap.add_argument("--keep", type=Path, help="build the corpus here and keep it")
    ap.add_argument("--setup-only", action="store_true", help="only create/refresh benchmarks/.peers")
    ap.add_argument("--out", type=Path, default=OUT / "compare.json")
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    selected = [t.strip() for t in args.tools.split(",") if t.strip()]
    # per-file wall time is mostly start-up: time weighbridge as an installed package runs, from bytecode
    # (pip compiles on install; an editable checkout under PYTHONDONTWRITEBYTECODE=1 would compile every call)
    compileall.compile_dir(str(ROOT / "src"), quiet=1)
    problems = setup_peers(log) if any(t != "weighbridge" for t in selected) else {}
    if args.setup_only:
        for t, p in problems.items():
            print(f"{t}: {p}")
        return 0
    tools = make_tools(selected, problems)

    sys.path.insert(0, str(ROOT))
    from tests.corpus.build import build_corpus

    tmp = None
    if args.keep:
        dest = args.keep
        if dest.exists():
            shutil.rmtree(dest)
    else:
        tmp = tempfile.mkdtemp(prefix="wb-compare-")
        dest = Path(tmp) / "corpus"
    log(f"building corpus in {dest}")
    samples = [s.to_dict(dest) for s in build_corpus(dest)]
    workdir = Path(tempfile.mkdtemp(prefix="wb-compare-cwd-"))  # tools that write caches/logs do it here

    results: dict[str, dict[str, Result]] = {t: {} for t in tools}
    try:
        for i, s in enumerate(samples, 1):
            path = dest / s["path"]
            for t, tool in tools.items():
                results[t][s["name"]] = run_one(tool, path, args.timeout, workdir)
            if i % 25 == 0:
                log(f"  {i}/{len(samples)} samples")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    scores = {t: score(t, samples, results[t]) for t in tools}
    print_table(tools, scores, samples, problems)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "tools": {t: {"version": tools[t].version} for t in tools},
                "not_run": problems,
                "timeout_seconds": args.timeout,
                "samples": samples,
                "scores": scores,
                "results": {t: {n: r.__dict__ for n, r in rs.items()} for t, rs in results.items()},
            },
            indent=1,
            default=str,
        )
    )
    log(f"wrote {args.out}")
    return 0


def _ratio(score: dict[str, object], base: dict[str, object] | None) -> str:
    if base is None or not base.get("median_file_ms"):
        return "-"
    return f"{float(score['median_file_ms']) / float(base['median_file_ms']):.2f}x"  # type: ignore[arg-type]


def print_table(
    tools: dict[str, Tool],
    scores: dict[str, dict[str, object]],
    samples: list[dict[str, str]],
    problems: dict[str, str],
) -> None:
    names = list(tools)
    rows = [
        ("version", [tools[t].version or "?" for t in names]),
        (
            "malicious detected",
            [f"{scores[t]['malicious_detected']}/{scores[t]['malicious_total']}" for t in names],
        ),
        ("  (error/nothing/timeout)", [str(len(scores[t]["malicious_error_or_nothing"])) for t in names]),  # type: ignore[arg-type]
        (
            "malformed flagged",
            [f"{scores[t]['malformed_flagged']}/{scores[t]['malformed_total']}" for t in names],
        ),
        ("benign clean", [f"{scores[t]['benign_clean']}/{scores[t]['benign_total']}" for t in names]),
        (
            "  (flagged / error-nothing)",
            [
                f"{len(scores[t]['benign_flagged'])} / "  # type: ignore[arg-type]
                f"{len(scores[t]['benign_error_or_nothing'])}"
                for t in names
            ],
        ),
        (
            "  (clean but MEDIUM notice)",
            [
                str(len(scores[t]["benign_medium"])) if t == "weighbridge" else "-"  # type: ignore[arg-type]
                for t in names
            ],
        ),
        ("total seconds", [f"{scores[t]['seconds']:.1f}" for t in names]),
        ("per-file wall ms (median)", [f"{scores[t]['median_file_ms']:.0f}" for t in names]),
        ("  x picklescan", [_ratio(scores[t], scores.get("picklescan")) for t in names]),
    ]
    w0 = max(len(r[0]) for r in rows)
    widths = [max(len(n), *(len(r[1][i]) for r in rows)) for i, n in enumerate(names)]
    print()
    print(" " * w0 + " | " + " | ".join(n.ljust(widths[i]) for i, n in enumerate(names)))
    print("-" * w0 + "-+-" + "-+-".join("-" * w for w in widths))
    for label, cells in rows:
        print(label.ljust(w0) + " | " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(cells)))
    print()
    techniques = sorted(
        {s["technique"] for s in samples if s["label"] == "malicious"},
        key=lambda t: (t[0], int(t[1:]) if t[1:].isdigit() else 99, t),
    )
    print("Misses per technique (missed/total):")
    totals = {
        t: sum(1 for s in samples if s["label"] == "malicious" and s["technique"] == t) for t in techniques
    }
    print("  " + "technique".ljust(10) + "".join(n[:12].ljust(13) for n in names))
    for tech in techniques:
        cells = []
        for n in names:
            missed = len(scores[n]["misses_by_technique"].get(tech, []))  # type: ignore[union-attr]
            cells.append(f"{missed}/{totals[tech]}" if missed else "-")
        print("  " + tech.ljust(10) + "".join(c.ljust(13) for c in cells))
    print()
    for n in names:
        misses = scores[n]["misses_by_technique"]
        if misses:
            flat = ", ".join(x for v in misses.values() for x in v)  # type: ignore[union-attr]
            print(f"{n} missed: {flat}")
        errs = scores[n]["malicious_error_or_nothing"]
        if errs:
            print(
                f"{n} error/nothing-scanned/timeout on malicious (not counted as detected): {', '.join(errs)}"
            )  # type: ignore[arg-type]
        fps = scores[n]["benign_flagged"]
        if fps:
            print(f"{n} flagged benign (false positives): {', '.join(fps)}")  # type: ignore[arg-type]
        berr = scores[n]["benign_error_or_nothing"]
        if berr:
            print(f"{n} error/nothing-scanned on benign: {', '.join(berr)}")  # type: ignore[arg-type]
    for t, p in problems.items():
        print(f"{t}: not run: {p}")


if __name__ == "__main__":
    raise SystemExit(main())
