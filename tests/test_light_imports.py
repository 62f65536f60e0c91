"""What importing weighbridge costs: the package root and the guard load no scanner, and a scan of one small
file loads only the parser its content needs (issue 13: light package root; issue 11: start-up)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parent.parent / "src")


def imported_modules(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code`` (``sys.modules`` at exit: modules
    imported through ``importlib.import_module``, as the lazy entries do, are in it too)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")]))
    prelude = "import atexit, sys\natexit.register(lambda: sys.__stderr__.write('\\n'.join(sys.modules)))\n"
    result = subprocess.run(
        [sys.executable, "-c", prelude + code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    return {line.strip() for line in result.stderr.splitlines() if line.strip()}


HEAVY_PREFIXES = (
    "weighbridge.formats.",
    "weighbridge.scanning.",
    "weighbridge.web",
    "weighbridge.audit",
    "weighbridge.registry",
    "weighbridge.fleet",
    "weighbridge.mirror",
    "py7zr",
    "rich",
    "jinja2",
    "typer",
    "sqlalchemy",
    "fastapi",
)


def heavy(names: set[str]) -> list[str]:
    return sorted(n for n in names if n.startswith(HEAVY_PREFIXES) or n in {"weighbridge.formats"})


@pytest.mark.parametrize(
    "code", ["import weighbridge", "import weighbridge.guard", "import weighbridge; weighbridge.__version__"]
)
def test_package_root_and_guard_load_no_scanner(code: str) -> None:
    names = imported_modules(code)
    assert "weighbridge" in names  # the probe saw the import at all
    assert heavy(names) == []


def test_scan_function_and_scanning_package_are_distinct() -> None:
    names = imported_modules(
        "import weighbridge, weighbridge.scanning.engine as e; "
        "assert callable(weighbridge.scan) and callable(weighbridge.inspect); "
        "assert weighbridge.scan.__module__ == 'weighbridge.scanning.api'; "
        "assert e.scan_snapshot"
    )
    assert "weighbridge.scanning.engine" in names


def test_one_file_scan_loads_only_what_the_file_needs(tmp_path: Path) -> None:
    target = tmp_path / "weights.pkl"
    target.write_bytes(pickle.dumps({"layer.weight": [0.5, 1.5]}, protocol=4))
    names = imported_modules(
        "import sys; sys.argv = ['weighbridge', 'scan', '-f', 'json', "
        + repr(str(target))
        + "]\nfrom weighbridge.cli.fast import run\ntry:\n    run()\nexcept SystemExit as e:\n"
        "    assert e.code == 0, e.code"
    )
    assert "weighbridge.formats.pickle.handler" in names
    unwanted = (
        "weighbridge.formats.gguf",
        "weighbridge.formats.archives.sevenzip",
        "weighbridge.formats.hdf5",
        "weighbridge.formats.numpy",
        "weighbridge.formats.chat_template",
        "py7zr",
        "jinja2",
        "weighbridge.cli.audit",
        "weighbridge.cli.registry",
        "weighbridge.cli.fleet",
        "weighbridge.cli.mirror",
        "weighbridge.cli.bundle",
        "weighbridge.cli.serve",
        "weighbridge.web",
        "weighbridge.registry",
        "weighbridge.sources.hf",
        "weighbridge.sources.ollama",
        # the console entry point's fast path: no typer (nor the pydantic it checks parameters with), and no
        # rich for a JSON report
        "typer",
        "pydantic",
        "click",
        "rich",
    )
    assert sorted(n for n in names if n.startswith(unwanted)) == []
