"""Where the registry lives and how to talk to it: the database URL, the engine (SQLite in WAL mode with
``BEGIN IMMEDIATE`` writers, or PostgreSQL), migrations on open, and write transactions that retry races.

SQLite: every connection gets ``journal_mode=WAL``, a busy timeout and ``foreign_keys=ON``; a write
transaction starts with ``BEGIN IMMEDIATE`` so concurrent writers queue on the lock instead of failing half
way. PostgreSQL: writers rely on unique constraints (``INSERT … ON CONFLICT DO NOTHING``) and row locks
(``SELECT … FOR UPDATE``); a serialization failure, deadlock or unique violation retries the transaction.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ..core.findings import WeighbridgeError

T = TypeVar("T")
BUSY_TIMEOUT_MS = 60_000
RETRIES = 12
_WRITE = "weighbridge_write"
_MIGRATION_LOCK = 0x5765_6967_6862  # "Weighb": the PostgreSQL advisory lock taken while migrating


def home() -> Path:
    """``$WEIGHBRIDGE_HOME`` or ``~/.weighbridge``."""
    configured = os.environ.get("WEIGHBRIDGE_HOME")
    return Path(configured).expanduser() if configured else Path.home() / ".weighbridge"


def resolve_url(url: str | None = None) -> str:
    """The URL given, else ``$WEIGHBRIDGE_DATABASE_URL``, else the SQLite file ``$WEIGHBRIDGE_HOME/registry.db``.
    A plain path is taken as a SQLite file."""
    chosen = url or os.environ.get("WEIGHBRIDGE_DATABASE_URL") or ""
    if not chosen:
        root = home()
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WeighbridgeError(f"cannot create {root}: {exc.strerror or exc}") from None
        return f"sqlite:///{root / 'registry.db'}"
    if "://" not in chosen:
        return f"sqlite:///{Path(chosen).expanduser().resolve()}"
    return chosen


def parse_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise WeighbridgeError(f"not a database URL: {url!r}") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise WeighbridgeError(f"unsupported database {backend!r}: use sqlite:///FILE or postgresql://…")
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            raise WeighbridgeError(
                "the registry needs a SQLite file (sqlite:///path/registry.db), not memory"
            )
        parent = Path(database).expanduser().parent
        if not parent.is_dir():
            raise WeighbridgeError(f"cannot open the registry: folder {parent} does not exist")
    return parsed


def make_engine(url: str) -> Engine:
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True, pool_size=2, max_overflow=4)
    except ModuleNotFoundError:
        raise WeighbridgeError("PostgreSQL needs psycopg: pip install 'weighbridge[postgres]'") from None


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (the sqlite3 module's own BEGIN is deferred).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _retryable(exc: DBAPIError) -> bool:
    if isinstance(exc, IntegrityError):
        code = getattr(exc.orig, "sqlstate", None)
        return code == "23505"  # unique violation on PostgreSQL: another writer inserted the same row first
    if not isinstance(exc, OperationalError):
        code = getattr(exc.orig, "sqlstate", None)
        return code in ("40001", "40P01")
    code = getattr(exc.orig, "sqlstate", None)
    if code in ("40001", "40P01"):
        return True
    message = str(exc.orig).lower()
    return "database is locked" in message or "database is busy" in message


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def write(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run ``work`` in one write transaction, committed at the end; retried from the start on a lost race."""
    bound = engine.execution_options(**{_WRITE: True})
    for attempt in range(RETRIES):
        try:
            with Session(bound, expire_on_commit=False) as session, session.begin():
                return work(session)
        except DBAPIError as exc:
            if attempt == RETRIES - 1 or not _retryable(exc):
                raise
            time.sleep(min(0.5, 0.01 * 2**attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest migration. Safe when several processes open the registry at once:
    the upgrade runs under the database's write lock (SQLite) or an advisory lock (PostgreSQL), and a process
    that finds the schema current does nothing."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", "weighbridge.registry:migrations")
    head = ScriptDirectory.from_config(config).get_current_head()
    if _current_revision(engine) == head:
        return
    from alembic import command

    bound = engine.execution_options(**{_WRITE: True})
    with bound.connect() as conn:
        with conn.begin():
            if not is_sqlite(engine):
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        config.attributes.pop("connection", None)


def _current_revision(engine: Engine) -> str | None:
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
