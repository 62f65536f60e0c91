"""Registry versions for mirror tests: a folder of small files recorded and decided as the test needs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tests.registry.tiny import tiny_report

from weighbridge.core.registry import DecisionAction, VersionRecord
from weighbridge.registry import Registry

FILES = {"config.json": b'{"model_type": "bert"}\n', "weights/model.bin": b"\x00\x01weights" * 100}


def recorded(
    reg: Registry,
    folder: Path,
    name: str,
    files: dict[str, bytes] | None = None,
    *,
    action: DecisionAction | None = DecisionAction.APPROVE,
    source: str | None = None,
    revision: str | None = None,
) -> VersionRecord:
    """Write ``files`` under ``folder``, record them as ``name`` (needs-review, no policy), then apply
    ``action`` (approve → admitted)."""
    files = files if files is not None else FILES
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    report = tiny_report(name, files)
    if revision is not None:
        report = dataclasses.replace(report, target=dataclasses.replace(report.target, revision=revision))
    version, _ = reg.admit(source or str(folder), policy_path=None, actor="tester", report=report, name=name)
    if action is not None:
        reg.decide(
            name, action, actor="alice", reason=f"{action.value} by test", version=version.manifest_digest
        )
    return reg.get_version(name, version.manifest_digest)
