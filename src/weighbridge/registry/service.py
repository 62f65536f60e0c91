"""``Registry``: the organization's system of record for model versions, decisions, policies and tokens.

    from weighbridge.registry import open_registry
    with open_registry() as reg:                       # $WEIGHBRIDGE_DATABASE_URL or ~/.weighbridge/registry.db
        version, decision = reg.admit("path/to/model", policy_path=Path("policy.yaml"), actor="alice")
        reg.decide(version.model, DecisionAction.REVOKE, actor="bob", reason="licence changed")

Every method is one transaction. Reads never touch model files; ``admit`` is the only method that inspects
a target (statically: parse, never load) and only when no report is handed in.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from sqlalchemy import Engine, func, select, tuple_
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from .. import __version__
from ..core.audit import AuditRun
from ..core.codec import report_from_dict
from ..core.findings import Severity, WeighbridgeError
from ..core.policy import Policy
from ..core.registry import (
    Decision,
    DecisionAction,
    DecisionRecord,
    FileDigest,
    SignatureStatus,
    VersionRecord,
)
from ..core.report import Report
from . import cache, db, decide, names, naming, obligations, store, tokens, views
from .errors import NotFound, RegistryError
from .models import AuditRow, DecisionRow, File, LineageEdge, Model, PolicyRow, Version
from .queries import (
    find_version,
    latest_report,
    latest_version_ids,
    model_row,
    parents,
    record,
    record_by_id,
    report_doc,
)

if TYPE_CHECKING:
    from ..audit.summary import AuditSummary
    from .mirror import MirrorRecords

T = TypeVar("T")


def open_registry(url: str | None = None) -> Registry:
    """Open (and create or upgrade) the registry at ``url``, ``$WEIGHBRIDGE_DATABASE_URL`` or
    ``$WEIGHBRIDGE_HOME/registry.db``. Raises ``WeighbridgeError`` with one line when it cannot."""
    resolved = db.resolve_url(url)
    logging.getLogger(__name__).info("opening the registry at %s",
                                     db.parse_url(resolved).render_as_string(hide_password=True))
    engine = db.make_engine(resolved)
    try:
        db.migrate(engine)
    except DBAPIError as exc:
        engine.dispose()
        where = db.parse_url(resolved).render_as_string(hide_password=True)
        first = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        raise WeighbridgeError(f"cannot open the registry at {where}: {first}") from None
    return Registry(engine)


class Registry:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    @property
    def mirror(self) -> MirrorRecords:
        """The mirror's records: served-store blobs, pulls, intake (``weighbridge.registry.mirror``)."""
        from .mirror import MirrorRecords

        return MirrorRecords(self)

    def _write(self, work: Callable[[Session], T]) -> T:
        return db.write(self.engine, work)

    def _read(self, work: Callable[[Session], T]) -> T:
        with db.read_session(self.engine) as session:
            return work(session)

    # --- reports and versions ---

    def record_report(self, report: Report, *, kind: str = "inspect", source: str | None = None,
                      name: str | None = None) -> VersionRecord:
        """Upsert the model and its version (by manifest digest), the files, the report and its findings.
        Recording the same report again changes nothing."""
        names.report_kind(kind)
        model = names.model_name(name) if name is not None else names.default_model_name(report)
        digest = names.manifest_digest(report.manifest_digest)

        def work(session: Session) -> VersionRecord:
            return record_by_id(session, self._store_report(session, report, kind=kind, source=source,
                                                            model=model, digest=digest))

        return self._write(work)

    def record_scan(self, report: Report, *, source: str, name: str | None = None,
                    actor: str = "fleet") -> VersionRecord:
        """What a fleet scan records for one target, keeping what the registry already decided about the same
        bytes (the same manifest digest, under any name):

        * the report is recorded under that version's model name (``name`` is for bytes never decided);
        * a version decided under a policy is evaluated under that same stored policy (not the scan's own),
          and its decision follows the verdict the way ``reevaluate`` does (a person's hold is never loosened);
        * when the findings and the verdict equal those of the version's latest report, nothing is written:
          the findings are recorded once.

        ``report.policy`` (and the inherited licences) are set to what it was recorded with."""
        names.report_kind("inspect")
        digest = names.manifest_digest(report.manifest_digest)
        fallback = names.model_name(name) if name is not None else names.default_model_name(report)

        def work(session: Session) -> VersionRecord:
            known = _known_version(session, digest)
            model = known.model.name if known is not None else fallback
            stored = _decision_policy(session, known.id) if known is not None else None
            if known is not None and stored is not None:
                from ..policy import evaluate

                policy = stored[0]
                _inherit_from_parents(session, known.id, report)
                run = _latest_audit(session, version_id=known.id) if policy.audit is not None else None
                report.policy = evaluate(policy, report, audit=_summary(run))
            if known is not None and _same_outcome(report_doc(latest_report(session, known.id)), report):
                return record_by_id(session, known.id)
            version_id = self._store_report(session, report, kind="inspect", source=source, model=model,
                                            digest=digest)
            if known is not None and stored is not None and report.policy is not None:
                version = session.execute(select(Version).where(Version.id == version_id)).scalar_one()
                last = session.execute(select(DecisionRow.action).where(DecisionRow.version_id == version_id)
                                       .order_by(DecisionRow.id.desc()).limit(1)).scalar()
                after = decide.reevaluated(Decision(version.decision), DecisionAction(last) if last else None,
                                           decide.from_verdict(report.policy))
                if after is not None:
                    verdict = report.policy
                    store.add_decision(session, version, after, DecisionAction.REEVALUATE, actor=_actor(actor),
                                       reason=f"fleet scan: {decide.verdict_reason(verdict)}",
                                       policy_name=verdict.policy, policy_sha256=stored[1],
                                       reasons=[r.to_dict() for r in sorted(verdict.reasons,
                                                                            key=lambda r: -r.outcome.rank)])
            return record_by_id(session, version_id)

        return self._write(work)

    def _store_report(self, session: Session, report: Report, *, kind: str, source: str | None, model: str,
                      digest: str) -> int:
        """Store the report's model, version (locked), files and report; the version's id."""
        model_id = store.upsert_model(session, model)
        version_id = store.upsert_version(session, model_id, digest, report.target.revision,
                                          source or report.target.input)
        store.insert_files(session, version_id, report)
        store.insert_report(session, version_id, kind, report)
        return version_id

    def get_version(self, model: str, version: str | None = None) -> VersionRecord:
        return self._read(lambda s: record(s, find_version(s, model, version)))

    def version_detail(self, model: str, version: str | None = None) -> dict[str, Any]:
        return self._read(lambda s: views.detail(s, find_version(s, model, version)))

    def list_versions(self, *, query: str | None = None, decision: Decision | None = None,
                      license_family: str | None = None, jurisdiction: str | None = None,
                      min_severity: Severity | None = None, all_versions: bool = False) -> list[dict[str, Any]]:
        """Inventory rows: the newest version of every model (every version with ``all_versions``)."""
        return self._read(lambda s: views.inventory(
            s, query=query, decision=decision, license_family=license_family, jurisdiction=jurisdiction,
            min_severity=min_severity, all_versions=all_versions))

    def history(self, model: str) -> list[DecisionRecord]:
        def work(session: Session) -> list[DecisionRecord]:
            rows = session.execute(select(DecisionRow, Version.manifest_digest).join(
                Version, Version.id == DecisionRow.version_id).where(
                Version.model_id == model_row(session, model).id).order_by(DecisionRow.id)).all()
            return [store.decision_record(row, digest) for row, digest in rows]

        return self._read(work)

    def diff(self, model_a: str, model_b_or_version: str) -> dict[str, Any]:
        """Compare the newest version of ``model_a`` with another model's newest version, or with one of its
        own versions when the second argument names one (revision or digest)."""
        def work(session: Session) -> dict[str, Any]:
            a = find_version(session, model_a)
            try:
                b = find_version(session, model_a, model_b_or_version)
                if b.id == a.id:  # one version against the one before it
                    older = session.execute(select(Version).where(Version.model_id == a.model_id,
                                            Version.id < a.id).order_by(Version.id.desc()).limit(1)).scalar()
                    a, b = (older, a) if older is not None else (a, b)
                else:
                    a, b = (b, a) if b.id < a.id else (a, b)
            except NotFound:
                try:
                    b = find_version(session, model_b_or_version)
                except NotFound:
                    raise NotFound(f"{model_b_or_version!r} is neither a version of {model_a} nor a model "
                                   "in the registry") from None
            return views.diff(views.detail(session, a), views.detail(session, b))

        return self._read(work)

    # --- the guard's questions ---

    def admitted_version_for_manifest(self, manifest_digest: str) -> VersionRecord | None:
        digest = manifest_digest.strip().lower().removeprefix("sha256:")

        def work(session: Session) -> VersionRecord | None:
            row = session.execute(select(Version).where(
                Version.manifest_digest == digest, Version.decision == Decision.ADMITTED.value)
                .order_by(Version.id.desc()).limit(1)).scalar_one_or_none()
            return record(session, row) if row is not None else None

        return self._read(work)

    def find_admitted_for_files(self, files: Sequence[FileDigest]) -> VersionRecord | None:
        """An admitted version holding every given file (same SHA-256 and size; paths may be relative to
        another root). A version whose files are exactly these wins over one that holds more; then the newest."""
        wanted = {(f.sha256.lower(), f.size) for f in files}
        if not wanted:
            return None

        def work(session: Session) -> VersionRecord | None:
            first_sha, first_size = next(iter(wanted))
            candidates = session.execute(select(Version).join(File, File.version_id == Version.id).where(
                File.sha256 == first_sha, File.size == first_size, Version.decision == Decision.ADMITTED.value)
                .order_by(Version.id.desc()).distinct()).scalars().all()
            best: Version | None = None
            for version in candidates:
                have = {(h, s) for h, s in session.execute(select(File.sha256, File.size).where(
                    File.version_id == version.id)).all() if h is not None}
                if wanted <= have:
                    if have == wanted:
                        return record(session, version)
                    best = best or version
            return record(session, best) if best is not None else None

        return self._read(work)

    def closest_version_for_files(self, files: Sequence[FileDigest]) -> VersionRecord | None:
        """The version (any decision) sharing the most files with ``files`` by SHA-256 and size, newest first
        on ties; ``None`` when none shares a file. Lets the guard name what changed in a tampered copy."""
        wanted = {(f.sha256.lower(), f.size) for f in files}
        if not wanted:
            return None

        def work(session: Session) -> VersionRecord | None:
            shared = func.count(File.id).label("shared")
            row = session.execute(
                select(File.version_id, shared)
                .where(tuple_(File.sha256, File.size).in_(sorted(wanted)))
                .group_by(File.version_id).order_by(shared.desc(), File.version_id.desc()).limit(1)).first()
            if row is None:
                return None
            version = session.execute(select(Version).where(Version.id == row[0])).scalar_one()
            return record(session, version)

        return self._read(work)

    # --- decisions ---

    def admit(self, target: str, *, policy_path: Path | None, actor: str, note: str | None = None,
              derived_from: str | None = None, relation: str = "finetune", report: Report | None = None,
              name: str | None = None, audit: AuditRun | None = None) -> tuple[VersionRecord, DecisionRecord]:
        """Inspect ``target`` (unless ``report`` is given), evaluate the policy and record the decision.

        ``audit`` (a behaviour audit of these weights) is recorded with the version and checked against the
        policy's ``audit:`` rules; without one, the newest audit already stored for the same weights is used.
        An audit whose recorded digest names other weights is refused.

        Policy fail → rejected, warn → needs-review, pass → admitted. Without a policy: a finding at or above
        high → rejected, otherwise needs-review (nothing checked the licence against the intended use).
        ``derived_from`` must name a model whose newest decided version is admitted; its licence obligations
        are carried to this version and checked by the policy as inherited licences."""
        actor = _actor(actor)
        names.relation(relation)
        model = names.model_name(name) if name is not None else None
        parent_name = names.model_name(derived_from) if derived_from is not None else None
        policy, policy_text = _load_policy(policy_path) if policy_path is not None else (None, None)
        parent_doc: dict[str, Any] | None = None
        parent_carried: list[dict[str, Any]] = []
        if parent_name is not None:
            parent_doc, parent_carried = self._read(lambda s: self._admitted_parent(s, parent_name))
        if report is None:
            from ..scan.inspection import inspect

            report = inspect(target)
        report = dataclasses.replace(report, files=list(report.files), findings=list(report.findings))
        if parent_name is not None:
            report.inherited = (*report.inherited,
                                *obligations.inherited_licenses(parent_name, relation, parent_doc))
        digest = names.manifest_digest(report.manifest_digest)
        if audit is not None:
            _check_audit_digest(audit, digest, target)
        if policy is not None:
            from ..policy import evaluate

            stored = audit if audit is not None or policy.audit is None else self._read(
                lambda s: _latest_audit(s, digest=digest))
            report.policy = evaluate(policy, report, audit=_summary(stored))
            decision, reason = decide.from_verdict(report.policy), decide.verdict_reason(report.policy)
            reasons = [r.to_dict() for r in sorted(report.policy.reasons, key=lambda r: -r.outcome.rank)]
        else:
            report.policy = None
            (decision, reason), reasons = decide.without_policy(report), []
        if note:
            reason = f"{reason}; note: {note}"
        chosen = naming.ModelName(model, "--name") if model is not None else naming.choose(report)
        model = chosen.name
        policy_sha = hashlib.sha256(policy_text.encode("utf-8")).hexdigest() if policy_text is not None else None

        def work(session: Session) -> tuple[VersionRecord, DecisionRecord]:
            others = _same_files_elsewhere(session, digest, model)
            warning = None
            if others:
                listed = ", ".join(f"{name} ({decision})" for name, decision in others)
                warning = (f"the same files (manifest {digest[:12]}) are already recorded under another name: "
                           f"{listed}")
            version_id = self._store_report(session, report, kind="inspect", source=target, model=model,
                                            digest=digest)
            version = session.execute(select(Version).where(Version.id == version_id)).scalar_one()
            if policy is not None and policy_text is not None and policy_sha is not None:
                store.store_policy(session, names.slug(policy.name, "policy") if _is_slug(policy.name)
                                   else _slugify(policy.name), policy_sha, policy_text)
            if parent_name is not None:
                self._link(session, version, parent_name, relation, parent_doc, parent_carried)
            if audit is not None:
                _insert_audit(session, version.id, audit)
            entry = store.add_decision(session, version, decision, DecisionAction.ADMIT, actor=actor,
                                       reason=f"{reason}; warning: {warning}" if warning else reason,
                                       policy_name=policy.name if policy else None, policy_sha256=policy_sha,
                                       reasons=reasons)
            rec = record(session, version)
            extra = {**rec.extra, "name_basis": chosen.basis,
                     "same_files_as": [{"model": n, "decision": d} for n, d in others]}
            if warning:
                extra["warning"] = warning
            return dataclasses.replace(rec, extra=extra), entry

        return self._write(work)

    def _admitted_parent(self, session: Session, parent: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        try:
            version = find_version(session, parent)
        except NotFound:
            raise RegistryError(f"--derived-from {parent}: no such model in the registry") from None
        if version.decision != Decision.ADMITTED.value:
            raise RegistryError(f"--derived-from {parent}: its newest version is {version.decision}, not admitted")
        carried_up = [ob for edge, _, _ in parents(session, version.id) for ob in json.loads(edge.obligations_json)]
        return report_doc(latest_report(session, version.id)), carried_up

    def _link(self, session: Session, child: Version, parent: str, relation: str, parent_doc: dict[str, Any] | None,
              parent_carried: list[dict[str, Any]]) -> None:
        parent_version = find_version(session, parent)
        if parent_version.model_id == child.model_id:
            raise RegistryError(f"a model cannot derive from itself ({parent})")
        carried = obligations.carried(parent, parent_doc, parent_carried)
        store.insert_ignore(session, LineageEdge.__table__, {  # type: ignore[arg-type]
            "child_version_id": child.id, "parent_model_id": parent_version.model_id,
            "parent_version_id": parent_version.id, "relation": relation,
            "obligations_json": json.dumps(carried), "created_at": store.now()},
            ["child_version_id", "parent_model_id"])

    def decide(self, model: str, action: DecisionAction, *, actor: str, reason: str,
               version: str | None = None) -> DecisionRecord:
        """A person's decision (approve, reject, revoke, quarantine) on the newest version or ``version``."""
        outcome = decide.human(DecisionAction(action))
        actor = _actor(actor)
        if not reason or not reason.strip():
            raise RegistryError("a decision needs a reason")

        def work(session: Session) -> DecisionRecord:
            row = find_version(session, model, version, lock=True)
            return store.add_decision(session, row, outcome, DecisionAction(action), actor=actor,
                                      reason=reason.strip())

        return self._write(work)

    def record_signature(self, model: str, status: SignatureStatus, *, version: str | None = None
                         ) -> VersionRecord:
        """Record what ``weighbridge sign`` / ``verify-signature`` found for the newest version or ``version``."""
        value = SignatureStatus(status).value

        def work(session: Session) -> VersionRecord:
            row = find_version(session, model, version, lock=True)
            row.signature = value
            session.flush()
            return record(session, row, with_files=False)

        return self._write(work)

    def reevaluate(self, policy_path: Path, *, actor: str) -> list[dict[str, Any]]:
        """Decide every model's newest version again under the policy, from the stored reports only (no
        model file is read). Returns the versions whose decision changed, and records each change. Revoked,
        quarantined and human-rejected versions are left alone; a human approval only falls to a failing
        policy."""
        actor = _actor(actor)
        policy, text = _load_policy(policy_path)
        policy_sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        from ..policy import evaluate

        def work(session: Session) -> list[dict[str, Any]]:
            store.store_policy(session, _slugify(policy.name), policy_sha, text)
            flips: list[dict[str, Any]] = []
            latest = select(Version.id).where(Version.id.in_(select(latest_version_ids(session).c.id)))
            for version_id in session.execute(latest.order_by(Version.id)).scalars().all():
                version = session.execute(select(Version).where(Version.id == version_id).with_for_update()
                                          ).scalar_one()
                doc = report_doc(latest_report(session, version.id))
                if doc is None:
                    continue
                report = report_from_dict(doc)
                _inherit_from_parents(session, version.id, report)
                run = _latest_audit(session, version_id=version.id) if policy.audit is not None else None
                verdict = evaluate(policy, report, audit=_summary(run))
                last = session.execute(select(DecisionRow.action).where(DecisionRow.version_id == version.id)
                                       .order_by(DecisionRow.id.desc()).limit(1)).scalar()
                before = Decision(version.decision)
                after = decide.reevaluated(before, DecisionAction(last) if last else None,
                                           decide.from_verdict(verdict))
                if after is None:
                    continue
                reasons = [r.to_dict() for r in sorted(verdict.reasons, key=lambda r: -r.outcome.rank)]
                entry = store.add_decision(session, version, after, DecisionAction.REEVALUATE, actor=actor,
                                           reason=decide.verdict_reason(verdict), policy_name=policy.name,
                                           policy_sha256=policy_sha, reasons=reasons)
                flips.append({"model": version.model.name, "version": version.manifest_digest,
                              "from": before.value, "to": after.value, "verdict": verdict.verdict.value,
                              "reasons": list(entry.reasons)})
            return flips

        return self._write(work)

    # --- audits ---

    def record_audit(self, model: str, run: AuditRun, version: str | None = None) -> int:
        """Store an audit run on the newest version of ``model`` (or ``version``); refused when the run's
        recorded digest names other weights than that version's."""

        def work(session: Session) -> int:
            row = find_version(session, model, version)
            _check_audit_digest(run, row.manifest_digest, f"{model}@{row.manifest_digest[:12]}")
            return _insert_audit(session, row.id, run)

        return self._write(work)

    def audit_run(self, audit_id: int) -> AuditRun | None:
        """The stored audit run ``audit_id``; ``None`` when there is no such audit or its JSON is unreadable."""
        from ..audit.runfile import run_from_dict

        def work(session: Session) -> str | None:
            row = session.get(AuditRow, audit_id)
            return row.run_json if row is not None else None

        text = self._read(work)
        if text is None:
            return None
        try:
            return run_from_dict(json.loads(text))
        except (ValueError, KeyError, TypeError, WeighbridgeError):
            return None

    # --- policies ---

    def save_policy(self, name: str, yaml_text: str) -> str:
        """Validate and store a policy under ``name``; returns the SHA-256 of its text. Saving the same text
        again stores nothing new; a new text becomes the policy's current version."""
        names.slug(name, "policy")
        _parse_policy(yaml_text, name)
        sha = hashlib.sha256(yaml_text.encode("utf-8")).hexdigest()
        self._write(lambda s: store.store_policy(s, name, sha, yaml_text))
        return sha

    def list_policies(self) -> list[dict[str, Any]]:
        def work(session: Session) -> list[dict[str, Any]]:
            rows = session.execute(select(PolicyRow).order_by(PolicyRow.name, PolicyRow.id)).scalars().all()
            newest: dict[str, PolicyRow] = {}
            counts: Counter[str] = Counter()
            for row in rows:
                newest[row.name] = row
                counts[row.name] += 1
            return [{"name": n, "sha256": r.sha256, "uploaded_at": store.iso(r.uploaded_at),
                     "revisions": counts[n]} for n, r in newest.items()]

        return self._read(work)

    def get_policy(self, name: str) -> dict[str, Any]:
        def work(session: Session) -> dict[str, Any]:
            row = session.execute(select(PolicyRow).where(PolicyRow.name == name).order_by(PolicyRow.id.desc())
                                  .limit(1)).scalar_one_or_none()
            if row is None:
                raise NotFound(f"no policy named {name!r}")
            return {"name": row.name, "sha256": row.sha256, "yaml_text": row.yaml_text,
                    "uploaded_at": store.iso(row.uploaded_at)}

        return self._read(work)

    # --- tokens ---

    def create_token(self, name: str, scopes: Sequence[str]) -> str:
        """Create a token and return its secret: shown this once, only its SHA-256 is stored."""
        return self._write(lambda s: tokens.create(s, name, scopes))

    def check_token(self, secret: str, scope: str) -> str | None:
        return self._write(lambda s: tokens.check(s, secret, scope))

    def list_tokens(self) -> list[dict[str, Any]]:
        return self._read(tokens.listing)

    def revoke_token(self, name: str) -> None:
        self._write(lambda s: tokens.revoke(s, name))

    # --- scan cache ---

    def cached_file(self, path: str, size: int, mtime_ns: int, rules_version: str | None = None
                    ) -> dict[str, Any] | None:
        """What ``path`` held when last read, if its size and mtime are unchanged (and, when given, it was read
        under the same rules version)."""
        return self._read(lambda s: cache.lookup(s, path, size, mtime_ns, rules_version))

    def store_cached_file(self, path: str, size: int, mtime_ns: int, *, sha256: str, format: str,
                          findings: Sequence[dict[str, Any]] = (), rules_version: str = __version__) -> None:
        self._write(lambda s: cache.store(s, path, size, mtime_ns, sha256, format, findings, rules_version))

    # --- counts (for tests, health checks and the dashboard) ---

    def counts(self) -> dict[str, int]:
        from sqlalchemy import func

        from .models import Base

        def work(session: Session) -> dict[str, int]:
            return {table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
                    for table in Base.metadata.sorted_tables}

        return self._read(work)


def _inherit_from_parents(session: Session, version_id: int, report: Report) -> None:
    """Replace the registry-lineage licences of ``report`` with those of the version's recorded parents."""
    report.inherited = tuple(i for i in report.inherited if not i.data_file.startswith(obligations.REGISTRY_LINEAGE))
    for edge, parent_name, _ in parents(session, version_id):
        parent_version = session.get(Version, edge.parent_version_id) if edge.parent_version_id else None
        parent_doc = report_doc(latest_report(session, parent_version.id)) if parent_version else None
        report.inherited += tuple(obligations.inherited_licenses(parent_name, edge.relation, parent_doc))


def _known_version(session: Session, digest: str) -> Version | None:
    """The version holding these bytes that the registry decided about last (under any name); bytes only
    recorded by scans so far have none."""
    return session.execute(select(Version).join(DecisionRow, DecisionRow.version_id == Version.id).where(
        Version.manifest_digest == digest).order_by(DecisionRow.id.desc()).limit(1)).scalar_one_or_none()


def _decision_policy(session: Session, version_id: int) -> tuple[Policy, str] | None:
    """The policy (and its SHA-256) of the version's latest decision made under one, as stored."""
    sha = session.execute(select(DecisionRow.policy_sha256).where(
        DecisionRow.version_id == version_id, DecisionRow.policy_sha256.is_not(None))
        .order_by(DecisionRow.id.desc()).limit(1)).scalar()
    if sha is None:
        return None
    row = session.execute(select(PolicyRow).where(PolicyRow.sha256 == sha).order_by(PolicyRow.id)
                          .limit(1)).scalar_one_or_none()
    if row is None:
        return None
    try:
        return _parse_policy(row.yaml_text, row.name), sha
    except WeighbridgeError:
        return None


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


def _same_files_elsewhere(session: Session, digest: str, model: str) -> list[tuple[str, str]]:
    """(model name, decision) of every version with this manifest digest recorded under another name."""
    rows = session.execute(select(Model.name, Version.decision).join(Model, Model.id == Version.model_id).where(
        Version.manifest_digest == digest, Model.name != model).order_by(Model.name)).all()
    return [(name, decision) for name, decision in rows]


def _audit_summary_doc(run: AuditRun) -> dict[str, Any]:
    labels = Counter(s.score.label.value for s in run.samples)
    outcomes = Counter(s.completion.outcome.value for s in run.samples)
    return {"suites": dict(run.suites), "prompts": len(run.prompts), "samples": len(run.samples),
            "labels": dict(sorted(labels.items())), "outcomes": dict(sorted(outcomes.items())),
            "runtime": run.model.runtime, "target": run.model.target, "digest": run.model.digest,
            "started": run.started, "finished": run.finished, "judge": run.judge}


def _insert_audit(session: Session, version_id: int, run: AuditRun) -> int:
    row = AuditRow(version_id=version_id, run_json=json.dumps(run.to_dict()),
                   summary_json=json.dumps(_audit_summary_doc(run)), created_at=store.now())
    session.add(row)
    session.flush()
    return row.id


def _check_audit_digest(run: AuditRun, manifest_digest: str, what: str) -> None:
    """An audit made on local weights records their manifest digest: it must be these weights."""
    recorded = (run.model.digest or "").lower().removeprefix("sha256:")
    if recorded and recorded != manifest_digest.lower().removeprefix("sha256:"):
        raise RegistryError(f"the audit run was made on other weights (digest {recorded[:12]}…) than {what} "
                            f"({manifest_digest.lower().removeprefix('sha256:')[:12]}…)")


def _latest_audit(session: Session, *, version_id: int | None = None, digest: str | None = None
                  ) -> AuditRun | None:
    """The newest stored audit of a version, or of any version with these weights."""
    from ..audit.runfile import run_from_dict

    query = select(AuditRow.run_json).order_by(AuditRow.id.desc()).limit(1)
    if version_id is not None:
        query = query.where(AuditRow.version_id == version_id)
    else:
        query = query.join(Version, Version.id == AuditRow.version_id).where(Version.manifest_digest == digest)
    text = session.execute(query).scalar()
    return run_from_dict(json.loads(text)) if text is not None else None


def _summary(run: AuditRun | None) -> AuditSummary | None:
    if run is None:
        return None
    from ..audit.summary import summarise

    return summarise(run)


def _actor(actor: str) -> str:
    actor = (actor or "").strip()
    if not actor or len(actor) > 200 or any(ord(c) < 32 for c in actor):
        raise RegistryError("an actor (who decides) is required: one line, at most 200 characters")
    return actor


def _is_slug(name: str) -> bool:
    try:
        names.slug(name, "policy")
    except RegistryError:
        return False
    return True


def _slugify(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:100] or "policy"


def _parse_policy(text: str, name: str) -> Policy:
    from ..policy import parse_policy

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        raise RegistryError(f"policy {name}: not valid YAML{line}") from None
    return parse_policy(data, default_name=name)


def _load_policy(path: Path) -> tuple[Policy, str]:
    from ..policy import load_policy

    policy = load_policy(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: cannot read policy: {exc}") from None
    return policy, text
