"""Tiny Reports built directly (no scanning, no folder helpers): cheap to import in spawned processes."""

from __future__ import annotations

import hashlib

from weighbridge.core.findings import Check, Finding, Severity
from weighbridge.core.license import LicenseAnalysis, LicenseIdentity, LicenseTerms
from weighbridge.core.report import FileRecord, Report, Target, TargetKind
from weighbridge.integrity.manifest import manifest_digest


def tiny_report(
    name: str,
    files: dict[str, bytes],
    *,
    severities: tuple[Severity, ...] = (),
    license_id: str | None = None,
    family: str | None = None,
) -> Report:
    records = [
        FileRecord(path=p, size=len(b), sha256=hashlib.sha256(b).hexdigest(), format="unknown")
        for p, b in sorted(files.items())
    ]
    findings = [
        Finding(
            rule=f"WB-TEST-{i:03d}",
            check=Check.ARTIFACT,
            severity=s,
            title=f"test finding {i}",
            detail="made by the test",
            path=records[0].path,
            evidence=f"evidence {i}",
        )
        for i, s in enumerate(severities)
    ]
    analysis = None
    if license_id is not None:
        analysis = LicenseAnalysis(
            identity=LicenseIdentity(id=license_id, name=license_id, family=family), terms=LicenseTerms()
        )
    return Report(
        target=Target(input=f"/models/{name}", kind=TargetKind.FOLDER, path=f"/models/{name}"),
        tool_version="test",
        files=records,
        findings=findings,
        manifest_digest=manifest_digest((r.path, r.sha256 or "") for r in records),
        license=analysis,
    )
