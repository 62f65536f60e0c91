"""Done-when test: every sample of the labelled corpus gets the verdict its label demands.

* malicious -> max severity >= HIGH
* malformed -> max severity >= MEDIUM (fail closed: never "clean")
* benign    -> no finding, or every finding below HIGH

The corpus is generated once per session (tests/corpus/build.py); nothing in it is ever loaded.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The corpus holds real torch archives (made by torch, then given hostile pickles): without the `test` extra's
# torch it cannot be built, so the module skips by name instead of erroring.
pytest.importorskip(
    "torch", reason="the labelled corpus is built with torch, a `test` extra (make test installs it)"
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.corpus.build import Sample, build_corpus  # noqa: E402

import weighbridge  # noqa: E402
from weighbridge.core.findings import Severity  # noqa: E402

_CACHE: dict[str, list[Sample]] = {}


def _names(label: str) -> list[str]:
    # Collection needs the names before the fixture exists: build once into a private temp dir just to list
    # them (cheap compared to scanning), reuse that build in the session fixture.
    if "all" not in _CACHE:
        import atexit
        import shutil
        import tempfile

        tmp = Path(tempfile.mkdtemp(prefix="wb-corpus-"))
        atexit.register(shutil.rmtree, tmp, ignore_errors=True)
        _CACHE["all"] = build_corpus(tmp)
    return [s.name for s in _CACHE["all"] if s.label == label]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Sample]:
    samples = _CACHE.get("all")
    if samples is None:
        samples = build_corpus(tmp_path_factory.mktemp("corpus"))
    return {s.name: s for s in samples}


def _scan(sample: Sample) -> tuple[Severity | None, str]:
    report = weighbridge.scan(str(sample.path))
    summary = "; ".join(f"{f.rule}/{f.severity.label}: {f.detail}"[:160] for f in report.findings[:8])
    return report.max_severity, summary


def _label(sev: Severity | None) -> str:
    return sev.label if sev is not None else "none"


@pytest.mark.parametrize("name", _names("malicious"))
def test_malicious_is_high(corpus: dict[str, Sample], name: str) -> None:
    s = corpus[name]
    sev, summary = _scan(s)
    assert sev is not None and sev >= Severity.HIGH, (
        f"{name} [{s.technique}] {s.note}: max severity {_label(sev)}; findings: {summary or '-'}"
    )


@pytest.mark.parametrize("name", _names("malformed"))
def test_malformed_is_flagged(corpus: dict[str, Sample], name: str) -> None:
    s = corpus[name]
    sev, summary = _scan(s)
    assert sev is not None and sev >= Severity.MEDIUM, (
        f"{name} [{s.technique}] {s.note}: max severity {_label(sev)}; findings: {summary or '-'}"
    )


@pytest.mark.parametrize("name", _names("benign"))
def test_benign_stays_below_high(corpus: dict[str, Sample], name: str) -> None:
    s = corpus[name]
    sev, summary = _scan(s)
    assert sev is None or sev < Severity.HIGH, (
        f"{name} [{s.technique}] {s.note}: max severity {_label(sev)}; findings: {summary}"
    )


def test_corpus_shape() -> None:
    """The corpus covers every technique class the research catalogue lists, in the promised amounts."""
    samples = _CACHE.get("all") or []
    by_label = {lab: [s for s in samples if s.label == lab] for lab in ("malicious", "malformed", "benign")}
    assert len(by_label["malicious"]) >= 60
    assert len(by_label["malformed"]) >= 12
    assert len(by_label["benign"]) >= 30
    techniques = {s.technique for s in by_label["malicious"]}
    wanted = (
        {f"A{i}" for i in range(1, 11)}
        | {f"B{i}" for i in range(1, 7)}
        | {f"C{i}" for i in range(1, 10)}
        | {f"D{i}" for i in range(1, 11)}
        | {"E2", "E3", "E4", "E5"}
    )
    assert wanted <= techniques, sorted(wanted - techniques)
