"""Registry databases for tests: a SQLite file in tmp_path, or a fresh PostgreSQL schema on the server named by
``WEIGHBRIDGE_TEST_PG_URL`` (skipped with a message when it is unset or unreachable; a failure under CI)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BACKENDS = ("sqlite", "postgresql")


def _unavailable(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set, so the PostgreSQL registry tests must run)")
    pytest.skip(message)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose connections use a new, empty schema; the schema is dropped afterwards."""
    base = os.environ.get("WEIGHBRIDGE_TEST_PG_URL")
    if not base:
        _unavailable(
            'WEIGHBRIDGE_TEST_PG_URL is not set: eval "$(bash tools/ci_services.sh)" to run the '
            "PostgreSQL registry tests"
        )
    assert base is not None
    schema = f"wb_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, connect_args={"connect_timeout": 5})
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # the server is down or refuses us
        admin.dispose()
        _unavailable(
            f"PostgreSQL at {make_url(base).render_as_string()} is unreachable: {str(exc).splitlines()[0]}"
        )
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
    else:
        with postgres_schema() as url:
            yield url
