"""Round trips of every Registry method, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.registry.reports import LENIENT, STRICT, apache_folder, llama_folder, tiny_report

from weighbridge.core.audit import (
    AuditRun,
    Completion,
    Expected,
    GenerationSettings,
    Label,
    ModelUnderAudit,
    Outcome,
    Prompt,
    PromptKind,
    Sample,
    Score,
    ScoreLayer,
)
from weighbridge.core.findings import Severity, WeighbridgeError
from weighbridge.core.registry import Decision, DecisionAction, FileDigest
from weighbridge.registry import NotFound, Registry, RegistryError, open_registry


def _policy(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_record_report_is_idempotent(reg: Registry) -> None:
    report = tiny_report(
        "alpha",
        {"a.bin": b"aaa", "b.bin": b"bb"},
        severities=(Severity.HIGH, Severity.LOW),
        license_id="apache-2.0",
        family="apache",
    )
    first = reg.record_report(report)
    again = reg.record_report(report)
    assert first == again
    assert first.model == "alpha" and first.decision is Decision.NEEDS_REVIEW
    assert {f.path for f in first.files} == {"a.bin", "b.bin"}
    assert first.extra["max_severity"] == "high" and first.extra["license_family"] == "apache"
    counts = reg.counts()
    assert (counts["models"], counts["versions"], counts["files"], counts["reports"], counts["findings"]) == (
        1,
        1,
        2,
        1,
        2,
    )
    # the same version seen by another kind of run is a second report of the same version
    reg.record_report(report, kind="scan")
    assert reg.counts()["reports"] == 2 and reg.counts()["versions"] == 1
    # new bytes: a new version of the same model
    second = reg.record_report(tiny_report("alpha", {"a.bin": b"AAA"}), name="alpha")
    assert second.id != first.id and reg.get_version("alpha").id == second.id
    assert reg.get_version("alpha", first.manifest_digest[:12]).id == first.id


def test_get_version_errors(reg: Registry) -> None:
    with pytest.raises(NotFound, match="no model named 'nope'"):
        reg.get_version("nope")
    reg.record_report(tiny_report("beta", {"x": b"1"}))
    with pytest.raises(NotFound, match="no version 'deadbeef00'"):
        reg.get_version("beta", "deadbeef00")


@pytest.mark.parametrize("name", ["../etc", "a b", "", "x" * 201, "org//name", "-lead", "a/../b"])
def test_bad_model_names(reg: Registry, name: str) -> None:
    with pytest.raises(RegistryError, match="invalid model name"):
        reg.record_report(tiny_report("ok", {"x": b"1"}), name=name)


def test_report_without_digest_is_refused(reg: Registry) -> None:
    report = tiny_report("gamma", {"x": b"1"})
    report.manifest_digest = None
    with pytest.raises(RegistryError, match="no SHA-256 manifest digest"):
        reg.record_report(report)


def test_decide_and_history(reg: Registry) -> None:
    v1 = reg.record_report(tiny_report("delta", {"x": b"1"}))
    v2 = reg.record_report(tiny_report("delta", {"x": b"2"}))
    reg.decide("delta", DecisionAction.APPROVE, actor="alice", reason="reviewed")
    reg.decide(
        "delta", DecisionAction.QUARANTINE, actor="bob", reason="odd output", version=v1.manifest_digest
    )
    last = reg.decide("delta", DecisionAction.REVOKE, actor="carol", reason="licence pulled")
    assert last.decision is Decision.REVOKED and last.version == v2.manifest_digest
    history = reg.history("delta")
    assert [(h.action, h.actor, h.version) for h in history] == [
        (DecisionAction.APPROVE, "alice", v2.manifest_digest),
        (DecisionAction.QUARANTINE, "bob", v1.manifest_digest),
        (DecisionAction.REVOKE, "carol", v2.manifest_digest),
    ]
    assert reg.get_version("delta").decision is Decision.REVOKED
    assert reg.get_version("delta", v1.manifest_digest).decision is Decision.QUARANTINED
    with pytest.raises(RegistryError, match="not a decision a person makes"):
        reg.decide("delta", DecisionAction.ADMIT, actor="x", reason="y")
    with pytest.raises(RegistryError, match="needs a reason"):
        reg.decide("delta", DecisionAction.APPROVE, actor="x", reason="  ")
    with pytest.raises(RegistryError, match="actor"):
        reg.decide("delta", DecisionAction.APPROVE, actor="", reason="y")


def test_list_versions_filters(reg: Registry) -> None:
    reg.record_report(tiny_report("apache-one", {"x": b"1"}, license_id="apache-2.0", family="apache"))
    reg.record_report(
        tiny_report(
            "llama-one", {"x": b"2"}, severities=(Severity.CRITICAL,), license_id="llama3.1", family="llama"
        )
    )
    reg.decide("apache-one", DecisionAction.APPROVE, actor="a", reason="ok")
    assert [r.model for r in reg.list_versions()] == ["apache-one", "llama-one"]
    assert [r.model for r in reg.list_versions(decision=Decision.ADMITTED)] == ["apache-one"]
    assert [r.model for r in reg.list_versions(license_family="llama")] == ["llama-one"]
    assert [r.model for r in reg.list_versions(min_severity=Severity.HIGH)] == ["llama-one"]
    assert [r.model for r in reg.list_versions(query="APACHE")] == ["apache-one"]
    assert reg.list_versions(jurisdiction="CN") == []
    reg.record_report(tiny_report("apache-one", {"x": b"3"}), name="apache-one")
    assert len(reg.list_versions()) == 2 and len(reg.list_versions(all_versions=True)) == 3


def test_guard_lookups(reg: Registry) -> None:
    report = tiny_report("eps", {"w1.safetensors": b"w1", "w2.safetensors": b"w2"})
    version = reg.record_report(report)
    assert reg.admitted_version_for_manifest(version.manifest_digest) is None
    reg.decide("eps", DecisionAction.APPROVE, actor="a", reason="ok")
    found = reg.admitted_version_for_manifest("sha256:" + version.manifest_digest.upper())
    assert found is not None and found.id == version.id
    files = [FileDigest(f.path, f.size, f.sha256 or "") for f in report.files]
    assert reg.find_admitted_for_files(files) == found
    assert reg.find_admitted_for_files([FileDigest("elsewhere/w1", 2, files[0].sha256)]) == found
    assert reg.find_admitted_for_files([FileDigest("w1", 2, "0" * 64)]) is None
    assert reg.find_admitted_for_files([]) is None
    reg.decide("eps", DecisionAction.REVOKE, actor="a", reason="pulled")
    assert reg.admitted_version_for_manifest(version.manifest_digest) is None
    assert reg.find_admitted_for_files(files) is None
    # the closest version, whatever its decision, names what a changed copy differs from
    other = reg.record_report(tiny_report("other", {"w1.safetensors": b"w1", "zz": b"zz"}), name="other")
    changed = [files[0], FileDigest("w2.safetensors", 2, "f" * 64)]
    assert reg.closest_version_for_files(changed) is not None
    assert reg.closest_version_for_files(files) == reg.get_version("eps")  # shares two files, "other" one
    assert reg.closest_version_for_files(changed[:1]) == reg.get_version(other.model)  # tie: the newest
    assert reg.closest_version_for_files([FileDigest("x", 1, "0" * 64)]) is None
    assert reg.closest_version_for_files([]) is None


def test_admit_with_policies(reg: Registry, tmp_path: Path) -> None:
    model = apache_folder(tmp_path / "acme-small")
    lenient = _policy(tmp_path, "lenient", LENIENT)
    version, decision = reg.admit(str(model), policy_path=lenient, actor="alice", note="ticket 42")
    assert decision.decision is Decision.ADMITTED and decision.action is DecisionAction.ADMIT
    assert decision.policy == "lenient" and decision.policy_sha256 and "note: ticket 42" in decision.reason
    assert version.model == "acme-small" and version.decision is Decision.ADMITTED
    assert reg.get_policy("lenient").yaml_text == LENIENT
    llama = llama_folder(tmp_path / "acme-llama")
    _, rejected = reg.admit(str(llama), policy_path=_policy(tmp_path, "strict", STRICT), actor="alice")
    assert rejected.decision is Decision.REJECTED
    assert any(r.startswith("fail: rules.allowed_license_families") for r in rejected.reasons)
    _, review = reg.admit(str(llama), policy_path=lenient, actor="alice", name="acme-llama")
    assert review.decision is Decision.NEEDS_REVIEW
    assert [h.decision for h in reg.history("acme-llama")] == [Decision.REJECTED, Decision.NEEDS_REVIEW]


def test_admit_without_policy(reg: Registry, tmp_path: Path) -> None:
    _, quiet = reg.admit("unused", policy_path=None, actor="a", report=tiny_report("q", {"x": b"1"}))
    assert quiet.decision is Decision.NEEDS_REVIEW and quiet.policy is None
    loud = tiny_report("l", {"x": b"2"}, severities=(Severity.HIGH,))
    _, rejected = reg.admit("unused", policy_path=None, actor="a", report=loud)
    assert rejected.decision is Decision.REJECTED and "1 finding(s) at or above high" in rejected.reason


def test_admit_bad_inputs(reg: Registry, tmp_path: Path) -> None:
    with pytest.raises(WeighbridgeError, match="cannot read policy"):
        reg.admit("x", policy_path=tmp_path / "missing.yaml", actor="a", report=tiny_report("m", {"x": b"1"}))
    with pytest.raises(RegistryError, match="invalid relation"):
        reg.admit("x", policy_path=None, actor="a", relation="cousin", report=tiny_report("m", {"x": b"1"}))
    with pytest.raises(RegistryError, match="no such model"):
        reg.admit(
            "x", policy_path=None, actor="a", derived_from="ghost", report=tiny_report("m", {"x": b"1"})
        )
    with pytest.raises(WeighbridgeError):
        reg.admit(str(tmp_path / "does-not-exist"), policy_path=None, actor="a")
    assert reg.counts()["versions"] == 0


def test_reevaluate_flips_from_stored_reports(reg: Registry, tmp_path: Path) -> None:
    model = apache_folder(tmp_path / "models" / "acme-small")
    other = llama_folder(tmp_path / "models" / "acme-llama")
    reg.admit(str(model), policy_path=_policy(tmp_path, "lenient", LENIENT), actor="alice")
    reg.admit(str(other), policy_path=_policy(tmp_path, "lenient", LENIENT), actor="alice")
    reg.decide("acme-llama", DecisionAction.REVOKE, actor="bob", reason="hold")
    shutil.rmtree(tmp_path / "models")  # the files are gone: only the stored reports remain
    deny = _policy(tmp_path, "no-apache", "name: no-apache\nrules:\n  denied_license_families: [apache]\n")
    flips = reg.reevaluate(deny, actor="carol")
    assert [(f.model, f.before, f.after) for f in flips] == [("acme-small", "admitted", "rejected")]
    assert any("rules.denied_license_families" in r for r in flips[0].reasons)
    history = reg.history("acme-small")
    assert history[-1].action is DecisionAction.REEVALUATE and history[-1].policy == "no-apache"
    assert reg.get_version("acme-llama").decision is Decision.REVOKED  # a person's hold is kept
    assert reg.reevaluate(deny, actor="carol") == []  # nothing left to flip
    assert {p.name for p in reg.list_policies()} == {"lenient", "no-apache"}


def test_lineage_carries_obligations(reg: Registry, tmp_path: Path) -> None:
    lenient = _policy(tmp_path, "lenient", LENIENT)
    parent = llama_folder(tmp_path / "acme-llama")
    reg.admit(str(parent), policy_path=lenient, actor="alice")
    child_dir = apache_folder(tmp_path / "acme-llama-support", body="Fine-tuned in house.")
    with pytest.raises(RegistryError, match="needs-review, not admitted"):
        reg.admit(str(child_dir), policy_path=lenient, actor="alice", derived_from="acme-llama")
    reg.decide("acme-llama", DecisionAction.APPROVE, actor="lead", reason="reviewed the Llama licence")
    child, decision = reg.admit(
        str(child_dir), policy_path=lenient, actor="alice", derived_from="acme-llama", relation="adapter"
    )
    assert child.derived_from == "acme-llama" and child.extra["relation"] == "adapter"
    # the child's own card says apache-2.0, but the Llama licence came with the parent and is checked
    assert any("inherited" in r or "Llama" in r for r in decision.reasons)
    detail = reg.version_detail("acme-llama-support")
    kinds = {ob["kind"] for ob in detail["obligations"]}
    assert {"naming", "attribution", "use-policy", "notice"} <= kinds
    naming = next(
        ob for ob in detail["obligations"] if ob["kind"] == "naming" and ob["origin"] == "acme-llama"
    )
    assert naming["license"] == "llama3.1" and '"Llama"' in naming["text"]
    assert any(ob["origin"] == "meta-llama/Llama-3.1-8B-Instruct" for ob in detail["obligations"])
    assert detail["lineage"]["parents"][0]["model"] == "acme-llama"
    assert reg.version_detail("acme-llama")["lineage"]["children"] == [
        {"model": "acme-llama-support", "version": child.manifest_digest, "relation": "adapter"}
    ]
    # a grandchild inherits through the child
    reg.decide("acme-llama-support", DecisionAction.APPROVE, actor="lead", reason="ok")
    grand = apache_folder(tmp_path / "acme-grandchild", body="Distilled again.")
    reg.admit(
        str(grand), policy_path=lenient, actor="alice", derived_from="acme-llama-support", relation="finetune"
    )
    carried = reg.version_detail("acme-grandchild")["obligations"]
    assert any(ob["kind"] == "naming" and ob["via"] == ["acme-llama-support", "acme-llama"] for ob in carried)
    # re-evaluation re-derives the registry lineage: only the grandparent's Llama licence can fail the name
    named = _policy(tmp_path, "named", "name: named\nintended_use:\n  derivative_name: acme-chat\n")
    flips = {f.model: f for f in reg.reevaluate(named, actor="carol")}
    assert flips["acme-grandchild"].after == "rejected"
    assert any(r.startswith("fail: inherited.") and "Llama" in r for r in flips["acme-grandchild"].reasons)


def test_version_detail_and_diff(reg: Registry, tmp_path: Path) -> None:
    one = tiny_report(
        "zeta", {"a": b"1", "b": b"2"}, severities=(Severity.MEDIUM,), license_id="mit", family="mit"
    )
    two = tiny_report("zeta", {"a": b"1", "b": b"3", "c": b"4"}, license_id="apache-2.0", family="apache")
    v1 = reg.record_report(one)
    reg.record_report(two)
    detail = reg.version_detail("zeta", v1.manifest_digest)
    assert [f["path"] for f in detail["files"]] == ["a", "b"]
    assert detail["findings"][0]["evidence"] == "evidence 0" and detail["findings"][0]["severity"] == "medium"
    assert detail["license"]["id"] == "mit" and detail["history"] == []
    change = reg.diff("zeta", v1.manifest_digest)
    assert change["files"]["added"] == ["c"] and [c["path"] for c in change["files"]["changed"]] == ["b"]
    assert change["license"] == {"a": "mit", "b": "apache-2.0", "changed": True, "terms_changed": {}}
    assert len(change["findings"]["removed"]) == 1
    reg.record_report(tiny_report("eta", {"a": b"1"}))
    across = reg.diff("zeta", "eta")
    assert across["files"]["removed"] == ["b", "c"] and not across["same_manifest"]
    with pytest.raises(NotFound, match="neither a version"):
        reg.diff("zeta", "ghost")


def _run() -> AuditRun:
    prompt = Prompt(
        id="p1", suite="s", text="hi", kind=PromptKind.FACTUAL, expected=Expected.COMPLY, topic="t"
    )
    sample = Sample(
        prompt_id="p1",
        index=0,
        greedy=True,
        settings=GenerationSettings(),
        completion=Completion(outcome=Outcome.OK, text="hello"),
        score=Score(label=Label.COMPLETE, layer=ScoreLayer.DEFAULT, reason="answered"),
        cache_key="k",
    )
    return AuditRun(
        model=ModelUnderAudit(target="x", runtime="fake"),
        suites={"s": "1"},
        settings=GenerationSettings(),
        samples_per_prompt=1,
        greedy_pass=True,
        prompts=[prompt],
        samples=[sample],
        tool_version="test",
        started="2025-01-01T00:00:00Z",
    )


def test_record_audit(reg: Registry) -> None:
    reg.record_report(tiny_report("theta", {"a": b"1"}))
    audit_id = reg.record_audit("theta", _run())
    audits = reg.version_detail("theta")["audits"]
    assert [a["id"] for a in audits] == [audit_id]
    assert audits[0]["summary"]["labels"] == {"complete": 1} and audits[0]["summary"]["suites"] == {"s": "1"}
    with pytest.raises(NotFound):
        reg.record_audit("nobody", _run())


def test_policies(reg: Registry) -> None:
    sha = reg.save_policy("team-a", LENIENT)
    assert reg.save_policy("team-a", LENIENT) == sha
    sha2 = reg.save_policy("team-a", STRICT)
    assert reg.get_policy("team-a").sha256 == sha2
    assert reg.list_policies()[0].revisions == 2
    for bad in ("../x", "a/b", "a\\b", "", ".."):
        with pytest.raises(RegistryError, match="invalid policy name"):
            reg.save_policy(bad, LENIENT)
    with pytest.raises(WeighbridgeError, match="osi_only"):
        reg.save_policy("broken", "rules:\n  osi_only: maybe\n")
    with pytest.raises(RegistryError, match="not valid YAML"):
        reg.save_policy("broken", "rules: [\n")
    with pytest.raises(NotFound):
        reg.get_policy("broken")


def test_tokens_are_hashed_scoped_and_revocable(reg: Registry) -> None:
    secret = reg.create_token("ci-bot", ["admit", "decide"])
    admin = reg.create_token("root", ["admin"])
    assert reg.check_token(secret, "admit") == "ci-bot" and reg.check_token(secret, "decide") == "ci-bot"
    assert reg.check_token(secret, "policy") is None
    assert reg.check_token(admin, "policy") == "root"
    assert reg.check_token(secret + "x", "admit") is None and reg.check_token("", "admit") is None
    with reg.engine.connect() as conn:
        rows = [tuple(str(c) for c in row) for row in conn.execute(text("SELECT * FROM api_tokens"))]
    assert rows and not any(secret in cell or admin in cell for row in rows for cell in row)
    listed = {t.name: t for t in reg.list_tokens()}
    assert listed["ci-bot"].scopes == ("admit", "decide") and listed["ci-bot"].last_used_at is not None
    assert listed["root"].revoked is False
    reg.revoke_token("ci-bot")
    assert reg.check_token(secret, "admit") is None
    assert {t.name: t.revoked for t in reg.list_tokens()} == {"ci-bot": True, "root": False}
    with pytest.raises(RegistryError, match="already exists"):
        reg.create_token("root", ["admit"])
    with pytest.raises(RegistryError, match="unknown scope 'write'"):
        reg.create_token("other", ["write"])
    with pytest.raises(RegistryError, match="at least one scope"):
        reg.create_token("other", [])
    with pytest.raises(RegistryError, match="invalid token name"):
        reg.create_token("a/b", ["admit"])
    with pytest.raises(NotFound):
        reg.revoke_token("ghost")


def test_scan_cache(reg: Registry) -> None:
    assert reg.cached_file("/m/a.bin", 10, 5) is None
    reg.store_cached_file(
        "/m/a.bin",
        10,
        5,
        sha256="a" * 64,
        format="pickle",
        findings=[{"rule": "WB-PKL-001"}],
        rules_version="r1",
    )
    hit = reg.cached_file("/m/a.bin", 10, 5)
    assert hit is not None and hit.sha256 == "a" * 64 and hit.findings == ({"rule": "WB-PKL-001"},)
    assert reg.cached_file("/m/a.bin", 10, 6) is None and reg.cached_file("/m/a.bin", 11, 5) is None
    assert reg.cached_file("/m/a.bin", 10, 5, rules_version="r2") is None
    reg.store_cached_file("/m/a.bin", 11, 6, sha256="b" * 64, format="pickle", rules_version="r2")
    assert reg.cached_file("/m/a.bin", 11, 6, rules_version="r2") is not None
    assert reg.counts()["scan_cache"] == 1
    with pytest.raises(RegistryError, match="absolute paths"):
        reg.store_cached_file("relative.bin", 1, 1, sha256="c" * 64, format="x")


def test_reopen_keeps_data_and_migrations_are_current(db_url: str) -> None:
    with open_registry(db_url) as first:
        first.record_report(tiny_report("iota", {"a": b"1"}))
    with open_registry(db_url) as second:
        assert second.get_version("iota").model == "iota"
        with second.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0002"


def test_default_location_and_bad_urls(tmp_path: Path, _home: Path) -> None:
    with open_registry() as reg:
        assert reg.url == f"sqlite:///{_home / 'registry.db'}"
    assert (_home / "registry.db").is_file()
    with pytest.raises(WeighbridgeError, match="unsupported database 'mysql'"):
        open_registry("mysql://localhost/x")
    with pytest.raises(WeighbridgeError, match="does not exist"):
        open_registry(f"sqlite:///{tmp_path}/missing/dir/registry.db")
    with pytest.raises(WeighbridgeError, match="not memory"):
        open_registry("sqlite://")
    with pytest.raises(WeighbridgeError, match="cannot open the registry"):
        open_registry("postgresql://nobody:wrong@127.0.0.1:1/none?connect_timeout=2")
