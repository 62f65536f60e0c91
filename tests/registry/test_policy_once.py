"""Admission takes a policy read once: the text evaluated is the text hashed and stored, under one name."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.registry.reports import LENIENT, apache_folder, tiny_report

from weighbridge.core.registry import LoadedPolicy
from weighbridge.registry import Registry
from weighbridge.registry.policies import read_policy_file, stored_name
from weighbridge.web import admission


def test_the_hash_is_of_the_bytes_evaluated(reg: Registry, tmp_path: Path) -> None:
    path = tmp_path / "crlf.yaml"
    raw = LENIENT.replace("\n", "\r\n").encode(
        "utf-8"
    )  # a text read with newline translation would hash differently
    path.write_bytes(raw)
    loaded = read_policy_file(path)
    assert loaded.sha256 == hashlib.sha256(raw).hexdigest() and loaded.text.encode("utf-8") == raw
    report = tiny_report("crlf-model", {"w.bin": b"w"}, license_id="apache-2.0", family="apache")
    _, decision = reg.admit("crlf-model", policy_path=path, actor="alice", report=report)
    assert decision.policy_sha256 == loaded.sha256
    stored = reg.get_policy(loaded.name)
    assert stored.sha256 == loaded.sha256 and stored.yaml_text.encode("utf-8") == raw


def test_admit_and_reevaluate_store_the_policy_under_one_name(reg: Registry, tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text("name: team.\nrules:\n  max_scan_severity: critical\n", encoding="utf-8")
    assert stored_name("team.") == read_policy_file(path).name
    report = tiny_report("named-model", {"w.bin": b"w"})
    reg.admit("named-model", policy_path=path, actor="alice", report=report)
    reg.reevaluate(path, actor="bob")
    assert [(p.name, p.revisions) for p in reg.list_policies()] == [(stored_name("team."), 1)]


def test_a_stored_policy_is_admitted_with_as_it_is_stored(reg: Registry, tmp_path: Path) -> None:
    sha = reg.save_policy("team-a", LENIENT)
    policy = reg.stored_policy("team-a")
    assert isinstance(policy, LoadedPolicy) and policy.sha256 == sha and policy.name == "team-a"
    report = tiny_report("web-model", {"w.bin": b"w"}, license_id="apache-2.0", family="apache")
    version, decision = reg.admit("web-model", policy=policy, actor="alice", report=report)
    assert decision.policy_sha256 == sha and decision.policy == "lenient"
    assert version.model == "web-model"
    # the web's admission names the stored policy; nothing new is stored under the policy's own name
    folder = apache_folder(tmp_path / "web-model-2")
    _, again = admission.admit(reg, str(folder), policy_name="team-a", actor="alice")
    assert again.policy_sha256 == sha
    assert [p.name for p in reg.list_policies()] == ["team-a"]
