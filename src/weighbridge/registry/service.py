"""``Registry``: the organization's system of record for model versions, decisions, policies and tokens.

A façade over the storage layer (``store`` writes; ``queries``, ``views`` and ``matching`` read; ``policies``,
``audits``, ``tokens``, ``cache``, ``mirror``) and the admission service (``admission.Admission``: inspect →
decide → record for ``admit``, ``reevaluate`` and ``record_scan``). Its methods return the domain types of
``weighbridge.core.registry``; the version page and the diff stay JSON documents (the web's response schemas).

    from weighbridge.registry import open_registry
    with open_registry() as reg:                       # $WEIGHBRIDGE_DATABASE_URL or ~/.weighbridge/registry.db
        version, decision = reg.admit("path/to/model", policy_path=Path("policy.yaml"), actor="alice")
        reg.decide(version.model, DecisionAction.REVOKE, actor="bob", reason="licence changed")

Every method is one transaction. Reads never touch model files; ``admit`` is the only method that inspects
a target (statically: parse, never load) and only when no report is handed in.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from .. import __version__
from ..core.audit import AuditRun
from ..core.findings import Severity, WeighbridgeError
from ..core.registry import (
    CachedFile,
    DecisionAction,
    DecisionRecord,
    FileDigest,
    FleetFinding,
    LoadedPolicy,
    PolicyInfo,
    Reevaluation,
    ReportVerdict,
    SignatureStatus,
    StoredPolicy,
    TokenInfo,
    VersionRecord,
)
from ..core.report import Report
from . import audits, cache, db, decide, matching, names, policies, queries, store, tokens, views
from .admission import Admission
from .errors import RegistryError
from .queries import find_version, record, record_by_id

if TYPE_CHECKING:
    from ..core.registry import Decision
    from .mirror import MirrorRecords

T = TypeVar("T")


def open_registry(url: str | None = None) -> Registry:
    """Open (and create or upgrade) the registry at ``url``, ``$WEIGHBRIDGE_DATABASE_URL`` or
    ``$WEIGHBRIDGE_HOME/registry.db``. Raises ``WeighbridgeError`` with one line when it cannot."""
    resolved = db.resolve_url(url)
    logging.getLogger(__name__).info(
        "opening the registry at %s", db.parse_url(resolved).render_as_string(hide_password=True)
    )
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

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def mirror(self) -> MirrorRecords:
        """The mirror's records: served-store blobs, pulls, intake (``weighbridge.registry.mirror``)."""
        from .mirror import MirrorRecords

        return MirrorRecords(self)

    @cached_property
    def admission(self) -> Admission:
        """The admission service (inspect → decide → record) over this registry's storage."""
        return Admission(self.engine)

    def _write(self, work: Callable[[Session], T]) -> T:
        return db.write(self.engine, work)

    def _read(self, work: Callable[[Session], T]) -> T:
        with db.read_session(self.engine) as session:
            return work(session)

    # --- reports and versions ---

    def record_report(
        self, report: Report, *, kind: str = "inspect", source: str | None = None, name: str | None = None
    ) -> VersionRecord:
        """Upsert the model and its version (by manifest digest), the files, the report and its findings.
        Recording the same report again changes nothing."""
        names.report_kind(kind)
        model = names.model_name(name) if name is not None else names.default_model_name(report)
        digest = names.manifest_digest(report.manifest_digest)

        def work(session: Session) -> VersionRecord:
            return record_by_id(
                session,
                store.store_report(session, report, kind=kind, source=source, model=model, digest=digest),
            )

        return self._write(work)

    def record_scan(
        self, report: Report, *, source: str, name: str | None = None, actor: str = "fleet"
    ) -> VersionRecord:
        """What a fleet scan records for one target, keeping what the registry already decided about the same
        bytes (the same manifest digest, under any name):

        * the report is recorded under that version's model name (``name`` is for bytes never decided);
        * a version decided under a policy is evaluated under that same stored policy (not the scan's own),
          and its decision follows the verdict the way ``reevaluate`` does (a person's hold is never loosened);
        * when the findings and the verdict equal those of the version's latest report, nothing is written:
          the findings are recorded once.

        ``report.policy`` (and the inherited licences) are set to what it was recorded with."""
        return self.admission.record_scan(report, source=source, name=name, actor=actor)

    def get_version(self, model: str, version: str | None = None) -> VersionRecord:
        return self._read(lambda s: record(s, find_version(s, model, version)))

    def version_detail(self, model: str, version: str | None = None) -> dict[str, Any]:
        return self._read(lambda s: views.detail(s, find_version(s, model, version)))

    def list_versions(
        self,
        *,
        query: str | None = None,
        decision: Decision | None = None,
        license_family: str | None = None,
        jurisdiction: str | None = None,
        min_severity: Severity | None = None,
        all_versions: bool = False,
    ) -> list[VersionRecord]:
        """Inventory rows: the newest version of every model (every version with ``all_versions``), without
        their files; ``views.version_dict`` gives a row's JSON shape."""
        return self._read(
            lambda s: views.inventory(
                s,
                query=query,
                decision=decision,
                license_family=license_family,
                jurisdiction=jurisdiction,
                min_severity=min_severity,
                all_versions=all_versions,
            )
        )

    def history(self, model: str) -> list[DecisionRecord]:
        return self._read(lambda s: views.model_history(s, model))

    def diff(self, model_a: str, model_b_or_version: str) -> dict[str, Any]:
        """Compare the newest version of ``model_a`` with another model's newest version, or with one of its
        own versions when the second argument names one (revision or digest)."""

        def work(session: Session) -> dict[str, Any]:
            a, b = views.diff_pair(session, model_a, model_b_or_version)
            return views.diff(views.detail(session, a), views.detail(session, b))

        return self._read(work)

    # --- the guard's questions ---

    def admitted_version_for_manifest(self, manifest_digest: str) -> VersionRecord | None:
        return self._read(lambda s: matching.admitted_for_manifest(s, manifest_digest))

    def find_admitted_for_files(self, files: Sequence[FileDigest]) -> VersionRecord | None:
        """An admitted version holding every given file (same SHA-256 and size; paths may be relative to
        another root). A version whose files are exactly these wins over one that holds more; then the newest."""
        return self._read(lambda s: matching.admitted_for_files(s, files))

    def closest_version_for_files(self, files: Sequence[FileDigest]) -> VersionRecord | None:
        """The version (any decision) sharing the most files with ``files`` by SHA-256 and size, newest first
        on ties; ``None`` when none shares a file. Lets the guard name what changed in a tampered copy."""
        return self._read(lambda s: matching.closest_for_files(s, files))

    # --- decisions ---

    def admit(
        self,
        target: str,
        *,
        policy_path: Path | None = None,
        policy: LoadedPolicy | None = None,
        actor: str,
        note: str | None = None,
        derived_from: str | None = None,
        relation: str = "finetune",
        report: Report | None = None,
        name: str | None = None,
        audit: AuditRun | None = None,
    ) -> tuple[VersionRecord, DecisionRecord]:
        """Inspect ``target`` (unless ``report`` is given), evaluate the policy and record the decision.

        The policy is a file (``policy_path``, read once) or one already loaded (``policy``, e.g.
        ``stored_policy(name)``); at most one of them.

        ``audit`` (a behaviour audit of these weights) is recorded with the version and checked against the
        policy's ``audit:`` rules; without one, the newest audit already stored for the same weights is used.
        An audit whose recorded digest names other weights is refused.

        Policy fail → rejected, warn → needs-review, pass → admitted. Without a policy: a finding at or above
        high → rejected, otherwise needs-review (nothing checked the licence against the intended use).
        ``derived_from`` must name a model whose newest decided version is admitted; its licence obligations
        are carried to this version and checked by the policy as inherited licences."""
        if policy_path is not None and policy is not None:
            raise RegistryError("give a policy file or a loaded policy, not both")
        loaded = policies.read_policy_file(policy_path) if policy_path is not None else policy
        return self.admission.admit(
            target,
            policy=loaded,
            actor=actor,
            note=note,
            derived_from=derived_from,
            relation=relation,
            report=report,
            name=name,
            audit=audit,
        )

    def decide(
        self, model: str, action: DecisionAction, *, actor: str, reason: str, version: str | None = None
    ) -> DecisionRecord:
        """A person's decision (approve, reject, revoke, quarantine) on the newest version or ``version``."""
        outcome = decide.human(DecisionAction(action))
        actor = names.actor(actor)
        if not reason or not reason.strip():
            raise RegistryError("a decision needs a reason")

        def work(session: Session) -> DecisionRecord:
            row = find_version(session, model, version, lock=True)
            return store.add_decision(
                session, row, outcome, DecisionAction(action), actor=actor, reason=reason.strip()
            )

        return self._write(work)

    def record_signature(
        self, model: str, status: SignatureStatus, *, version: str | None = None
    ) -> VersionRecord:
        """Record what ``weighbridge sign`` / ``verify-signature`` found for the newest version or ``version``."""
        value = SignatureStatus(status).value

        def work(session: Session) -> VersionRecord:
            row = find_version(session, model, version, lock=True)
            row.signature = value
            session.flush()
            return record(session, row, with_files=False)

        return self._write(work)

    def reevaluate(self, policy: Path | LoadedPolicy, *, actor: str) -> list[Reevaluation]:
        """Decide every model's newest version again under the policy (a file, read once, or a loaded policy),
        from the stored reports only (no model file is read). Returns the versions whose decision changed, and
        records each change. Revoked, quarantined and human-rejected versions are left alone; a human approval
        only falls to a failing policy."""
        loaded = policy if isinstance(policy, LoadedPolicy) else policies.read_policy_file(policy)
        return self.admission.reevaluate(loaded, actor=actor)

    # --- audits ---

    def record_audit(self, model: str, run: AuditRun, version: str | None = None) -> int:
        """Store an audit run on the newest version of ``model`` (or ``version``); refused when the run's
        recorded digest names other weights than that version's."""

        def work(session: Session) -> int:
            row = find_version(session, model, version)
            audits.check_digest(run, row.manifest_digest, f"{model}@{row.manifest_digest[:12]}")
            return audits.insert(session, row.id, run)

        return self._write(work)

    def audit_run(self, audit_id: int) -> AuditRun | None:
        """The stored audit run ``audit_id``; ``None`` when there is no such audit or its JSON is unreadable."""
        from ..audit.runfile import run_from_dict

        text = self._read(lambda s: audits.stored_json(s, audit_id))
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
        loaded = policies.from_stored(name, yaml_text)
        self._write(lambda s: store.store_policy(s, loaded.name, loaded.sha256, loaded.text))
        return loaded.sha256

    def list_policies(self) -> list[PolicyInfo]:
        return self._read(policies.listing)

    def get_policy(self, name: str) -> StoredPolicy:
        """The newest text of the policy stored under ``name`` (``NotFound`` when there is none)."""
        return self._read(lambda s: policies.newest(s, name))

    def stored_policy(self, name: str) -> LoadedPolicy:
        """The policy stored under ``name``, loaded for ``admit``/``reevaluate`` (no file involved)."""
        stored = self.get_policy(name)
        return policies.from_stored(stored.name, stored.yaml_text)

    # --- tokens ---

    def create_token(self, name: str, scopes: Sequence[str]) -> str:
        """Create a token and return its secret: shown this once, only its SHA-256 is stored."""
        return self._write(lambda s: tokens.create(s, name, scopes))

    def check_token(self, secret: str, scope: str) -> str | None:
        return self._write(lambda s: tokens.check(s, secret, scope))

    def list_tokens(self) -> list[TokenInfo]:
        return self._read(tokens.listing)

    def revoke_token(self, name: str) -> None:
        self._write(lambda s: tokens.revoke(s, name))

    # --- scan cache ---

    def cached_file(
        self, path: str, size: int, mtime_ns: int, rules_version: str | None = None
    ) -> CachedFile | None:
        """What ``path`` held when last read, if its size and mtime are unchanged (and, when given, it was read
        under the same rules version)."""
        return self._read(lambda s: cache.lookup(s, path, size, mtime_ns, rules_version))

    def store_cached_file(
        self,
        path: str,
        size: int,
        mtime_ns: int,
        *,
        sha256: str,
        format: str,
        findings: Sequence[dict[str, Any]] = (),
        rules_version: str = __version__,
    ) -> None:
        self._write(lambda s: cache.store(s, path, size, mtime_ns, sha256, format, findings, rules_version))

    # --- bulk API for fleet scans and the fleet overview ---

    def cached_files(self, keys: Sequence[tuple[str, int, int]], rules_version: str) -> dict[str, CachedFile]:
        """By path, the scan-cache rows of the ``(path, size, mtime_ns)`` keys whose size and mtime are
        unchanged and that were read under ``rules_version`` (one read query per 500 paths)."""
        return self._read(lambda s: cache.lookup_many(s, keys, rules_version))

    def store_cached_files(self, entries: Sequence[CachedFile], rules_version: str) -> None:
        """Insert or replace the scan-cache rows of these paths in one transaction (one upsert for all)."""
        if not entries:
            return
        rows = [(e.path, e.size, e.mtime_ns, e.sha256, e.format, e.findings) for e in entries]
        self._write(lambda s: cache.store_many(s, rows, rules_version))

    def newest_findings(self, limit: int, min_severity: Severity) -> list[FleetFinding]:
        """The ``limit`` most recent findings at or above ``min_severity`` of each version's latest report."""
        return self._read(lambda s: queries.newest_findings(s, limit, min_severity))

    def report_verdicts(self) -> list[ReportVerdict]:
        """Every stored report's policy verdict, in recording order (one query)."""
        return self._read(queries.report_verdicts)

    # --- counts (for tests, health checks and the dashboard) ---

    def counts(self) -> dict[str, int]:
        from .models import Base

        def work(session: Session) -> dict[str, int]:
            return {
                table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
                for table in Base.metadata.sorted_tables
            }

        return self._read(work)
