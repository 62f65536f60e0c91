"""Alembic environment of the registry. Run programmatically by ``weighbridge.registry.db.migrate`` with an
open connection in ``config.attributes["connection"]``; there is no alembic.ini."""

from __future__ import annotations

from alembic import context

from weighbridge.registry.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("the registry migrations run through weighbridge.registry.db.migrate")

context.configure(
    connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True
)
with context.begin_transaction():
    context.run_migrations()
