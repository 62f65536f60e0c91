"""The registry CLI end to end through the real entry point (in process, plus one subprocess run)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.registry.reports import LENIENT, apache_folder, llama_folder

from cli_run import wb


def test_admit_decide_inspect_end_to_end(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USER", "tester")
    policy = tmp_path / "lenient.yaml"
    policy.write_text(LENIENT, encoding="utf-8")
    small = apache_folder(tmp_path / "models" / "acme-small")
    llama = llama_folder(tmp_path / "models" / "acme-llama")
    db = ("--db", db_url)

    code, out, _ = wb(capsys, monkeypatch, "admit", str(small), "--policy", str(policy), "--note", "t-1", *db)
    assert code == 0 and out.splitlines()[1].startswith("ADMITTED: policy lenient: pass")
    code, out, _ = wb(capsys, monkeypatch, "admit", str(llama), "--policy", str(policy), *db)
    assert code == 1 and "NEEDS-REVIEW" in out and "warn: license.attribution" in out

    code, out, _ = wb(capsys, monkeypatch, "registry", "list", *db)
    assert code == 0 and out.splitlines()[0].split()[:3] == ["MODEL", "DECISION", "SEVERITY"]
    assert "acme-small  admitted" in out
    code, out, _ = wb(capsys, monkeypatch, "registry", "list", "--decision", "needs-review", "--json", *db)
    assert [r["model"] for r in json.loads(out)] == ["acme-llama"]
    code, out, _ = wb(capsys, monkeypatch, "registry", "list", "--license-family", "llama", "--json", *db)
    assert [r["license_id"] for r in json.loads(out)] == ["llama3.1"]

    code, out, _ = wb(capsys, monkeypatch, "registry", "approve", "acme-llama", "--reason", "legal ok", *db)
    assert code == 0 and "admitted by tester" in out
    code, out, _ = wb(
        capsys, monkeypatch, "registry", "quarantine", "acme-small", "--reason", "odd", "--actor", "sec", *db
    )
    assert code == 0 and "quarantined by sec" in out
    code, out, _ = wb(capsys, monkeypatch, "registry", "history", "acme-small", *db)
    assert [line.split()[2:4] for line in out.splitlines()] == [
        ["admitted", "admit"],
        ["quarantined", "quarantine"],
    ]

    child = apache_folder(tmp_path / "models" / "acme-llama-chat", body="In-house chat tune.")
    code, out, _ = wb(
        capsys,
        monkeypatch,
        "admit",
        str(child),
        "--policy",
        str(policy),
        "--derived-from",
        "acme-llama",
        "--relation",
        "finetune",
        "--name",
        "acme-llama-chat",
        "--json",
        *db,
    )
    shown = json.loads(out)
    assert shown["version"]["derived_from"] == "acme-llama" and shown["decision"]["action"] == "admit"
    code, out, _ = wb(capsys, monkeypatch, "registry", "show", "acme-llama-chat", *db)
    assert code == 0 and "derived from: acme-llama (finetune)" in out and "carried obligations:" in out
    assert 'naming       a derived model\'s name must begin with "Llama"' in out
    code, out, _ = wb(capsys, monkeypatch, "registry", "show", "acme-llama", "--json", *db)
    page = json.loads(out)
    assert page["lineage"]["children"][0]["model"] == "acme-llama-chat" and len(page["files"]) == 3
    code, out, _ = wb(capsys, monkeypatch, "registry", "diff", "acme-small", "acme-llama", *db)
    assert code == 0 and "licence: apache-2.0 → llama3.1" in out and "~ README.md" in out

    shutil.rmtree(tmp_path / "models")
    strict = tmp_path / "no-llama.yaml"
    strict.write_text("name: no-llama\nrules:\n  denied_license_families: [llama]\n", encoding="utf-8")
    code, out, _ = wb(capsys, monkeypatch, "registry", "reevaluate", "--policy", str(strict), *db)
    assert code == 0 and "acme-llama @" in out and "admitted → rejected" in out
    assert "acme-small" not in out  # quarantined by a person: left alone


def test_tokens_cli(db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    db = ("--db", db_url)
    code, out, _ = wb(
        capsys, monkeypatch, "token", "create", "ci", "--scope", "admit", "--scope", "decide", *db
    )
    secret = out.strip()
    assert code == 0 and secret.startswith("wbt_")
    code, out, _ = wb(capsys, monkeypatch, "token", "list", *db)
    assert "ci" in out and "admit,decide" in out and secret not in out
    code, out, _ = wb(capsys, monkeypatch, "token", "revoke", "ci", *db)
    assert code == 0 and "revoked" in out
    code, out, _ = wb(capsys, monkeypatch, "token", "list", "--json", *db)
    assert json.loads(out)[0]["revoked"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("registry", "show", "ghost"), "no model named 'ghost' in the registry"),
        (("registry", "list", "--decision", "maybe"), "invalid --decision: 'maybe' (expected one of"),
        (("registry", "list", "--min-severity", "huge"), "invalid --min-severity: unknown severity 'huge'"),
        (("registry", "approve", "ghost", "--reason", "x"), "no model named 'ghost'"),
        (("token", "create", "t", "--scope", "write"), "unknown scope 'write'"),
        (("token", "create", "../t", "--scope", "admit"), "invalid token name '../t'"),
        (("token", "revoke", "ghost"), "no token named 'ghost'"),
        (("admit", "/no/such/model"), "no such file or folder"),
        (("admit", ".", "--policy", "/no/such.yaml"), "cannot read policy"),
        (("admit", ".", "--relation", "cousin"), "invalid relation 'cousin'"),
        (("registry", "reevaluate", "--policy", "/no/such.yaml"), "cannot read policy"),
    ],
)
def test_bad_input_is_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    message: str,
) -> None:
    code, out, err = wb(capsys, monkeypatch, *args, "--db", f"sqlite:///{tmp_path / 'r.db'}")
    assert code == 2 and out == ""
    assert err.startswith("weighbridge: error: ") and message in err and len(err.strip().splitlines()) == 1


def test_unreachable_database_in_a_subprocess(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "WEIGHBRIDGE_HOME": str(tmp_path)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "weighbridge",
            "registry",
            "list",
            "--db",
            "postgresql://nobody:pw@127.0.0.1:1/none?connect_timeout=2",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith(
        "weighbridge: error: cannot open the registry at postgresql+psycopg://nobody:***@"
    )
    assert "pw@" not in done.stderr


def test_admit_with_an_audit_and_record_audit(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from tests.audit_stats.synthetic import synthetic_run

    from weighbridge.audit.runfile import dump_run
    from weighbridge.integrity.manifest import manifest_digest

    monkeypatch.setenv("USER", "tester")
    small = apache_folder(tmp_path / "models" / "acme-small")
    policy = tmp_path / "audited.yaml"
    policy.write_text(
        LENIENT + "audit:\n  require_audit: true\n  max_asymmetry:\n"
        "    - {country: CN, language: en, points: 20}\n",
        encoding="utf-8",
    )
    import hashlib

    digest = manifest_digest(
        (p.relative_to(small).as_posix(), hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(small.rglob("*"))
        if p.is_file()
    )
    for name, fair in (("censored", False), ("fair", True)):
        run_ = synthetic_run(refuse_china=not fair)
        dump_run(
            dataclasses.replace(run_, model=dataclasses.replace(run_.model, digest=digest)),
            tmp_path / f"{name}.json",
        )
    db = ("--db", db_url)

    code, out, _ = wb(
        capsys,
        monkeypatch,
        "admit",
        str(small),
        "--policy",
        str(policy),
        "--audit",
        str(tmp_path / "censored.json"),
        *db,
    )
    assert code == 1 and "REJECTED" in out and "fail: audit.max_asymmetry" in out
    code, out, _ = wb(
        capsys, monkeypatch, "registry", "record-audit", "acme-small", str(tmp_path / "fair.json"), *db
    )
    assert code == 0 and out.startswith("audit #2 recorded for acme-small")
    code, out, _ = wb(capsys, monkeypatch, "registry", "reevaluate", "--policy", str(policy), *db)
    assert code == 0 and "acme-small" in out and "rejected" in out
    code, _, err = wb(
        capsys, monkeypatch, "registry", "record-audit", "acme-small", str(tmp_path / "nope.json"), *db
    )
    assert code == 2 and "nope.json" in err
