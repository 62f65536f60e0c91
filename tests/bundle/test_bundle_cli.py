"""`weighbridge bundle export|import` through the real entry point: exit 0 admitted, 1 refused, 2 bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.bundle.test_bundle import apache_model
from tests.registry.reports import LENIENT

from cli_run import wb

MIT_ONLY = "name: mit-only\nintended_use:\n  commercial: true\nrules:\n  allowed_license_families: [mit]\n"


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEIGHBRIDGE_HOME", str(tmp_path / "wb-home"))
    monkeypatch.setenv("USER", "tester")
    monkeypatch.delenv("WEIGHBRIDGE_DATABASE_URL", raising=False)
    monkeypatch.delenv("WEIGHBRIDGE_MIRROR_STORE", raising=False)


def test_export_then_import_with_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "lenient.yaml"
    policy.write_text(LENIENT, encoding="utf-8")
    strict = tmp_path / "mit-only.yaml"
    strict.write_text(MIT_ONLY, encoding="utf-8")
    src = ("--db", f"sqlite:///{tmp_path / 'src.db'}")
    model = apache_model(tmp_path / "models" / "acme-tiny")
    assert wb(capsys, monkeypatch, "admit", str(model), "--policy", str(policy), *src)[0] == 0
    other = apache_model(tmp_path / "models" / "acme-pending")
    assert wb(capsys, monkeypatch, "admit", str(other), *src)[0] == 1  # no policy: needs review

    out = tmp_path / "acme.wbundle"
    code, _, err = wb(capsys, monkeypatch, "bundle", "export", "acme-pending", "-o", str(out), *src)
    assert code == 1 and "refused: acme-pending@" in err and "not admitted" in err and not out.exists()
    code, _, err = wb(capsys, monkeypatch, "bundle", "export", "no-such-model", "-o", str(out), *src)
    assert code == 2 and err.count("\n") == 1 and "weighbridge: error:" in err
    code, stdout, _ = wb(capsys, monkeypatch, "bundle", "export", "acme-tiny", "-o", str(out), "--json", *src)
    assert code == 0 and json.loads(stdout)["files"] == 3 and out.is_file()

    dst = ("--db", f"sqlite:///{tmp_path / 'dst.db'}", "--store", str(tmp_path / "dst-store"))
    code, stdout, _ = wb(capsys, monkeypatch, "bundle", "import", str(out), "--policy", str(strict), *dst)
    assert code == 1 and stdout.startswith("REJECTED: acme-tiny @ ")
    code, stdout, _ = wb(capsys, monkeypatch, "bundle", "import", str(out), "--policy", str(policy), *dst)
    assert code == 0 and stdout.startswith("ADMITTED: acme-tiny @ ") and "(published to the mirror)" in stdout

    bad = tmp_path / "bad.wbundle"
    bad.write_bytes(out.read_bytes()[:-20000])
    code, _, err = wb(capsys, monkeypatch, "bundle", "import", str(bad), "--policy", str(policy), *dst)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    code, _, err = wb(
        capsys, monkeypatch, "bundle", "import", str(tmp_path / "absent"), "--policy", str(policy), *dst
    )
    assert code == 2 and "cannot read" in err
    code, _, err = wb(
        capsys, monkeypatch, "bundle", "import", str(out), "--policy", str(tmp_path / "no.yaml"), *dst
    )
    assert code == 2 and "policy" in err
