"""The registry's tables as SQLAlchemy 2 typed ORM classes. The Alembic migrations create exactly these."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Model(Base):
    __tablename__ = "models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    versions: Mapped[list[Version]] = relationship(back_populates="model", order_by="Version.id")


class Version(Base):
    """One model version, identified by its manifest digest. The summary columns repeat the latest report's
    so the inventory filters without reading JSON."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("model_id", "manifest_digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), index=True)
    manifest_digest: Mapped[str] = mapped_column(String(64), index=True)
    revision: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decision: Mapped[str] = mapped_column(String(20), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signature: Mapped[str] = mapped_column(String(20), default="unsigned")
    latest_report_id: Mapped[int | None] = mapped_column(Integer)
    max_severity: Mapped[int | None] = mapped_column(Integer)
    verdict: Mapped[str | None] = mapped_column(String(10))
    license_id: Mapped[str | None] = mapped_column(String(200))
    license_family: Mapped[str | None] = mapped_column(String(100), index=True)
    jurisdiction: Mapped[str | None] = mapped_column(String(20), index=True)
    openness_class: Mapped[int | None] = mapped_column(Integer)

    model: Mapped[Model] = relationship(back_populates="versions")


class File(Base):
    __tablename__ = "files"
    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    format: Mapped[str] = mapped_column(String(50))


class ReportRow(Base):
    """A stored report (inspect, scan, licence…): summary columns plus the full JSON. ``content_sha256`` is
    the digest of the JSON without timings, so recording the same report twice stores it once."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("version_id", "kind", "content_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    content_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    tool_version: Mapped[str] = mapped_column(String(50))
    max_severity: Mapped[int | None] = mapped_column(Integer)
    verdict: Mapped[str | None] = mapped_column(String(10))
    policy_name: Mapped[str | None] = mapped_column(String(200))
    license_id: Mapped[str | None] = mapped_column(String(200))
    license_family: Mapped[str | None] = mapped_column(String(100))
    jurisdiction: Mapped[str | None] = mapped_column(String(20))
    openness_class: Mapped[int | None] = mapped_column(Integer)
    report_json: Mapped[str] = mapped_column(Text)


class FindingRow(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(40), index=True)
    check: Mapped[str] = mapped_column(String(20))
    severity: Mapped[int] = mapped_column(Integer, index=True)
    path: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    location_json: Mapped[str | None] = mapped_column(Text)


class LineageEdge(Base):
    """Child version → parent model (and the parent version admitted at the time), with the obligations the
    parent carried to the child when the edge was recorded."""

    __tablename__ = "lineage"
    __table_args__ = (UniqueConstraint("child_version_id", "parent_model_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    parent_model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), index=True)
    parent_version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id", ondelete="SET NULL"))
    relation: Mapped[str] = mapped_column(String(20))
    obligations_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DecisionRow(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    policy_name: Mapped[str | None] = mapped_column(String(200))
    policy_sha256: Mapped[str | None] = mapped_column(String(64))
    reasons_json: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PolicyRow(Base):
    __tablename__ = "policies"
    __table_args__ = (UniqueConstraint("name", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    yaml_text: Mapped[str] = mapped_column(Text)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditRow(Base):
    __tablename__ = "audits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    run_json: Mapped[str] = mapped_column(Text)
    summary_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """An API token: only the SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    scopes: Mapped[str] = mapped_column(String(200))  # space-separated
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ScanCacheRow(Base):
    """What a file held when it was last read, keyed by absolute path and checked by size and mtime."""

    __tablename__ = "scan_cache"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text, unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(50))
    findings_json: Mapped[str] = mapped_column(Text)
    rules_version: Mapped[str] = mapped_column(String(50))
    scanned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MirrorBlob(Base):
    """A blob of the mirror's store: size and the ``stat`` identity (inode, mtime) taken when its SHA-256 was
    last checked, and the flag set when its bytes stopped matching (the mirror then withholds it)."""

    __tablename__ = "mirror_blobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    inode: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    flagged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    flag_reason: Mapped[str | None] = mapped_column(Text)


class MirrorPull(Base):
    """One request the mirror answered (served or refused): pull counts and the refused-pulls audit trail."""

    __tablename__ = "mirror_pulls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    protocol: Mapped[str] = mapped_column(String(10))
    repo: Mapped[str] = mapped_column(String(300))
    revision: Mapped[str | None] = mapped_column(String(200))
    path: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(10), index=True)
    client: Mapped[str | None] = mapped_column(String(200))
    user: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(300), index=True)
    version: Mapped[str | None] = mapped_column(String(64))
    refusal: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(Text)


class MirrorIntake(Base):
    """An intake request. ``key`` (the source with its resolved commit) is unique: concurrent intakes of the
    same model share one row and one fetch; ``owner`` and ``heartbeat_at`` let a re-run take over a fetch
    whose process died."""

    __tablename__ = "mirror_intake"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(500), unique=True)
    source: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), index=True)
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    owner: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    model: Mapped[str | None] = mapped_column(String(300))
    manifest_digest: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)


Index("ix_decisions_version_order", DecisionRow.version_id, DecisionRow.id)
