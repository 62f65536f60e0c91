"""mirror tables: blobs of the served store, pulls, intake

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 14:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mirror_blobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("inode", sa.BigInteger(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("flag_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_blobs")),
        sa.UniqueConstraint("sha256", name=op.f("uq_mirror_blobs_sha256")),
    )
    op.create_table(
        "mirror_pulls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("protocol", sa.String(length=10), nullable=False),
        sa.Column("repo", sa.String(length=300), nullable=False),
        sa.Column("revision", sa.String(length=200), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("client", sa.String(length=200), nullable=True),
        sa.Column("user", sa.String(length=200), nullable=True),
        sa.Column("model", sa.String(length=300), nullable=True),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.Column("refusal", sa.String(length=30), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_pulls")),
    )
    with op.batch_alter_table("mirror_pulls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mirror_pulls_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_mirror_pulls_outcome"), ["outcome"], unique=False)
        batch_op.create_index(batch_op.f("ix_mirror_pulls_model"), ["model"], unique=False)

    op.create_table(
        "mirror_intake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("model", sa.String(length=300), nullable=True),
        sa.Column("manifest_digest", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_intake")),
        sa.UniqueConstraint("key", name=op.f("uq_mirror_intake_key")),
    )
    with op.batch_alter_table("mirror_intake", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mirror_intake_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mirror_intake", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mirror_intake_state"))

    op.drop_table("mirror_intake")
    with op.batch_alter_table("mirror_pulls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mirror_pulls_model"))
        batch_op.drop_index(batch_op.f("ix_mirror_pulls_outcome"))
        batch_op.drop_index(batch_op.f("ix_mirror_pulls_at"))

    op.drop_table("mirror_pulls")
    op.drop_table("mirror_blobs")
