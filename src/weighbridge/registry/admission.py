"""The admission service: inspect → decide → record, over the registry's storage layer.

``Admission(engine)`` is what ``Registry.admit``, ``Registry.reevaluate`` and ``Registry.record_scan`` hand
their work to. It takes a ``LoadedPolicy`` (read once: the policy evaluated is the text hashed and stored,
under the one name ``policies.stored_name`` gives it), evaluates it with ``weighbridge.policy``, turns the
verdict into a decision with ``decide``, and records through ``store``/``queries``/``audits`` in one
transaction. Nothing here opens a model file except ``admit`` without a report (``inspect``: parse, never load).
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ..core.audit import AuditRun
from ..core.codec import report_from_dict
from ..core.findings import WeighbridgeError
from ..core.policy import Policy, PolicyVerdict
from ..core.registry import (
    Decision,
    DecisionAction,
    DecisionRecord,
    LoadedPolicy,
    Reevaluation,
    VersionRecord,
)
from ..core.report import Report
from . import audits, db, decide, names, naming, obligations, queries, store
from .errors import NotFound, RegistryError
from .models import Version
from .policies import parse_stored

if TYPE_CHECKING:
    from ..audit.summary import AuditSummary


class Admission:
    """Admit, re-evaluate and record fleet scans against the registry at ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- admit ---

    def admit(
        self,
        target: str,
        *,
        policy: LoadedPolicy | None,
        actor: str,
        note: str | None = None,
        derived_from: str | None = None,
        relation: str = "finetune",
        report: Report | None = None,
        name: str | None = None,
        audit: AuditRun | None = None,
    ) -> tuple[VersionRecord, DecisionRecord]:
        """See ``Registry.admit``."""
        actor = names.actor(actor)
        names.relation(relation)
        model = names.model_name(name) if name is not None else None
        parent_name = names.model_name(derived_from) if derived_from is not None else None
        parent_doc: dict[str, Any] | None = None
        parent_carried: list[dict[str, Any]] = []
        if parent_name is not None:
            with db.read_session(self.engine) as session:
                parent_doc, parent_carried = _admitted_parent(session, parent_name)
        # inspect
        if report is None:
            from ..scanning.inspection import inspect

            report = inspect(target)
        report = dataclasses.replace(report, files=list(report.files), findings=list(report.findings))
        if parent_name is not None:
            report.inherited = (
                *report.inherited,
                *obligations.inherited_licenses(parent_name, relation, parent_doc),
            )
        digest = names.manifest_digest(report.manifest_digest)
        if audit is not None:
            audits.check_digest(audit, digest, target)
        # decide
        if policy is not None:
            stored_audit = audit
            if audit is None and policy.parsed.audit is not None:
                with db.read_session(self.engine) as session:
                    stored_audit = audits.latest(session, digest=digest)
            report.policy = _evaluate(policy.parsed, report, stored_audit)
            decision, reason = decide.from_verdict(report.policy), decide.verdict_reason(report.policy)
            reasons = _reasons(report.policy)
        else:
            report.policy = None
            (decision, reason), reasons = decide.without_policy(report), []
        if note:
            reason = f"{reason}; note: {note}"
        chosen = naming.ModelName(model, "--name") if model is not None else naming.choose(report)
        model = chosen.name
        decided = report

        # record
        def work(session: Session) -> tuple[VersionRecord, DecisionRecord]:
            others = queries.same_files_elsewhere(session, digest, model)
            warning = None
            if others:
                listed = ", ".join(f"{n} ({d})" for n, d in others)
                warning = (
                    f"the same files (manifest {digest[:12]}) are already recorded under another name: "
                    f"{listed}"
                )
            version_id = store.store_report(
                session, decided, kind="inspect", source=target, model=model, digest=digest
            )
            version = queries.version_by_id(session, version_id)
            if policy is not None:
                store.store_policy(session, policy.name, policy.sha256, policy.text)
            if parent_name is not None:
                _link(session, version, parent_name, relation, parent_doc, parent_carried)
            if audit is not None:
                audits.insert(session, version.id, audit)
            entry = store.add_decision(
                session,
                version,
                decision,
                DecisionAction.ADMIT,
                actor=actor,
                reason=f"{reason}; warning: {warning}" if warning else reason,
                policy_name=policy.parsed.name if policy else None,
                policy_sha256=policy.sha256 if policy else None,
                reasons=reasons,
            )
            rec = queries.record(session, version)
            extra = {
                **rec.extra,
                "name_basis": chosen.basis,
                "same_files_as": [{"model": n, "decision": d} for n, d in others],
            }
            if warning:
                extra["warning"] = warning
            return dataclasses.replace(rec, extra=extra), entry

        return db.write(self.engine, work)

    # --- reevaluate ---

    def reevaluate(self, policy: LoadedPolicy, *, actor: str) -> list[Reevaluation]:
        """See ``Registry.reevaluate``."""
        actor = names.actor(actor)

        def work(session: Session) -> list[Reevaluation]:
            store.store_policy(session, policy.name, policy.sha256, policy.text)
            flips: list[Reevaluation] = []
            for version_id in queries.latest_version_id_list(session):
                version = queries.version_by_id(session, version_id, lock=True)
                doc = queries.report_doc(queries.latest_report(session, version.id))
                if doc is None:
                    continue
                report = report_from_dict(doc)
                verdict = _evaluate_stored(session, version.id, policy.parsed, report)
                before = Decision(version.decision)
                after = decide.reevaluated(
                    before, queries.last_action(session, version.id), decide.from_verdict(verdict)
                )
                if after is None:
                    continue
                entry = store.add_decision(
                    session,
                    version,
                    after,
                    DecisionAction.REEVALUATE,
                    actor=actor,
                    reason=decide.verdict_reason(verdict),
                    policy_name=policy.parsed.name,
                    policy_sha256=policy.sha256,
                    reasons=_reasons(verdict),
                )
                flips.append(
                    Reevaluation(
                        model=version.model.name,
                        version=version.manifest_digest,
                        before=before.value,
                        after=after.value,
                        verdict=verdict.verdict.value,
                        reasons=entry.reasons,
                    )
                )
            return flips

        return db.write(self.engine, work)

    # --- fleet scans ---

    def record_scan(
        self, report: Report, *, source: str, name: str | None = None, actor: str = "fleet"
    ) -> VersionRecord:
        """See ``Registry.record_scan``."""
        names.report_kind("inspect")
        digest = names.manifest_digest(report.manifest_digest)
        fallback = names.model_name(name) if name is not None else names.default_model_name(report)

        def work(session: Session) -> VersionRecord:
            known = queries.known_version(session, digest)
            model = known.model.name if known is not None else fallback
            stored = _decision_policy(session, known.id) if known is not None else None
            if known is not None and stored is not None:
                report.policy = _evaluate_stored(session, known.id, stored.parsed, report)
            if known is not None and _same_outcome(
                queries.report_doc(queries.latest_report(session, known.id)), report
            ):
                return queries.record_by_id(session, known.id)
            version_id = store.store_report(
                session, report, kind="inspect", source=source, model=model, digest=digest
            )
            if known is not None and stored is not None and report.policy is not None:
                version = queries.version_by_id(session, version_id)
                after = decide.reevaluated(
                    Decision(version.decision),
                    queries.last_action(session, version_id),
                    decide.from_verdict(report.policy),
                )
                if after is not None:
                    verdict = report.policy
                    store.add_decision(
                        session,
                        version,
                        after,
                        DecisionAction.REEVALUATE,
                        actor=names.actor(actor),
                        reason=f"fleet scan: {decide.verdict_reason(verdict)}",
                        policy_name=verdict.policy,
                        policy_sha256=stored.sha256,
                        reasons=_reasons(verdict),
                    )
            return queries.record_by_id(session, version_id)

        return db.write(self.engine, work)


def _evaluate(policy: Policy, report: Report, audit: AuditRun | None) -> PolicyVerdict:
    from ..policy import evaluate

    return evaluate(policy, report, audit=_summary(audit))


def _evaluate_stored(session: Session, version_id: int, policy: Policy, report: Report) -> PolicyVerdict:
    """Evaluate ``policy`` on a recorded version's report: its parents' licences and its newest audit."""
    _inherit_from_parents(session, version_id, report)
    run = audits.latest(session, version_id=version_id) if policy.audit is not None else None
    return _evaluate(policy, report, run)


def _reasons(verdict: PolicyVerdict) -> list[dict[str, Any]]:
    return [r.to_dict() for r in sorted(verdict.reasons, key=lambda r: -r.outcome.rank)]


def _summary(run: AuditRun | None) -> AuditSummary | None:
    if run is None:
        return None
    from ..audit.summary import summarise

    return summarise(run)


def _inherit_from_parents(session: Session, version_id: int, report: Report) -> None:
    """Replace the registry-lineage licences of ``report`` with those of the version's recorded parents."""
    report.inherited = tuple(
        i for i in report.inherited if not i.data_file.startswith(obligations.REGISTRY_LINEAGE)
    )
    for parent_name, relation, parent_doc in queries.parent_docs(session, version_id):
        report.inherited += tuple(obligations.inherited_licenses(parent_name, relation, parent_doc))


def _decision_policy(session: Session, version_id: int) -> LoadedPolicy | None:
    """The policy of the version's latest decision made under one, as stored (``None`` if unreadable)."""
    row = queries.decision_policy(session, version_id)
    if row is None:
        return None
    try:
        parsed = parse_stored(row.yaml_text, row.name)
    except WeighbridgeError:
        return None
    return LoadedPolicy(name=row.name, sha256=row.sha256, text=row.yaml_text, parsed=parsed)


def _same_outcome(stored: dict[str, Any] | None, report: Report) -> bool:
    """The stored report has the same findings and the same verdict as ``report``."""
    if stored is None:
        return False
    new = report.to_dict()

    def verdict(doc: dict[str, Any]) -> Any:
        return (doc.get("policy") or {}).get("verdict")

    def findings(doc: dict[str, Any]) -> list[str]:
        return sorted(json.dumps(f, sort_keys=True) for f in doc.get("findings") or [])

    return verdict(stored) == verdict(new) and findings(stored) == findings(new)


def _admitted_parent(session: Session, parent: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The latest report of ``parent``'s newest version, which must be admitted, and what its parents carried."""
    try:
        version = queries.find_version(session, parent)
    except NotFound:
        raise RegistryError(f"--derived-from {parent}: no such model in the registry") from None
    if version.decision != Decision.ADMITTED.value:
        raise RegistryError(
            f"--derived-from {parent}: its newest version is {version.decision}, not admitted"
        )
    return queries.report_doc(queries.latest_report(session, version.id)), queries.carried_obligations(
        session, version.id
    )


def _link(
    session: Session,
    child: Version,
    parent: str,
    relation: str,
    parent_doc: dict[str, Any] | None,
    parent_carried: list[dict[str, Any]],
) -> None:
    parent_version = queries.find_version(session, parent)
    if parent_version.model_id == child.model_id:
        raise RegistryError(f"a model cannot derive from itself ({parent})")
    store.link(
        session, child, parent_version, relation, obligations.carried(parent, parent_doc, parent_carried)
    )
