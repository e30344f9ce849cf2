"""Database access: SQLAlchemy 2 engines on SQLite or PostgreSQL (psycopg 3), one transaction
per use case, and Alembic migrations per service run on start.

Each service's migrations live in its own ``migrations/versions`` folder and depend on the
kit's branch (audit and authorization tables), so one ``upgrade heads`` builds both.
"""

from __future__ import annotations

import logging
import os
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from rhip.kit.dbpool import check_on_checkout
from rhip.kit.deadlines import not_committed, require_time, too_close_to_answer
from rhip.kit.errors import AlreadyExists, Unavailable
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError

log = logging.getLogger(__name__)

KIT_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
READ_ONLY = "rhip_read_only"  # execution option: this connection only reads
# Connection.info flag: the use case committed the transaction itself (audit.append_and_commit).
COMMITTED_BY_CALLER = "rhip_committed_by_caller"


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and run them on psycopg 3."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    # Keep a connection per worker thread: connections beyond the pool are closed on return,
    # and reconnecting per call doubled PostgreSQL's CPU per read (tests/perf).
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)
    check_on_checkout(engine)  # a restarted server costs no request (rhip.kit.dbpool)
    return engine


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy issue BEGIN itself (below) instead of pysqlite's deferred BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")  # WAL readers run side by side, no write lock
            return
        # IMMEDIATE takes the write lock up front: a deferred transaction that later writes
        # fails with SQLITE_BUSY at once instead of waiting its turn.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _autocommit_twin(engine: Engine) -> Engine:
    """A second pool on the same PostgreSQL database whose connections are in autocommit
    from the start and are not reset on return. Switching one pool's connections to
    AUTOCOMMIT per read costs round trips to read, set and restore the isolation level and
    to roll back on return: 5 of the 6 waits of a one-statement read (tests/perf)."""
    twin = create_engine(
        engine.url,
        isolation_level="AUTOCOMMIT",
        pool_reset_on_return=None,
        pool_size=engine.pool.size(),  # type: ignore[attr-defined]
        max_overflow=engine.pool.size(),  # type: ignore[attr-defined]
        pool_recycle=1800,
    )
    check_on_checkout(twin)
    return twin


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


class Database:
    """A service's database: one transaction per use case, or plain reads.

    Use cases work on a Core ``Connection``, not an ORM ``Session``: measured on the read
    path, the Session's execution layer was a quarter of the cell's Python time.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # PostgreSQL reads run without BEGIN/COMMIT; SQLite reads take a deferred (shared)
        # transaction instead of the write lock. (Switching pysqlite to autocommit and back
        # through SQLAlchemy left connections holding locks.)
        self._reader = (
            engine.execution_options(**{READ_ONLY: True})
            if engine.dialect.name == "sqlite"
            else _autocommit_twin(engine)
        )

    def pools(self) -> dict[str, Any]:
        """The connection pools, by use: ``write`` (transactions) and, on PostgreSQL, ``read``
        (the autocommit twin); for the pool gauges of rhip.kit.metrics."""
        pools = {"write": self.engine.pool}
        if self._reader is not self.engine and self._reader.pool is not self.engine.pool:
            pools["read"] = self._reader.pool
        return pools

    @property
    def locks_on_begin(self) -> bool:
        """Whether a transaction takes the database's one write lock as it begins (SQLite,
        BEGIN IMMEDIATE): every other write, and every read's audit row, waits until it ends,
        so a transaction there must not wait on anything outside the database."""
        return self.engine.dialect.name == "sqlite"

    @classmethod
    def connect(cls, url: str, pool_size: int = 10) -> Database:
        return cls(make_engine(url, pool_size=pool_size))

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[Connection]:
        """A connection in one transaction: committed on success, rolled back on any error.

        ``durable=False`` (PostgreSQL) commits without waiting for the WAL flush: for
        transactions that only record that a read happened (its audit row), where a server
        crash may lose the last fraction of a second but the caller should not wait for the
        disk (measured: ~5 ms per read otherwise, and the audit head serialises them)."""
        # The caller's deadline (rhip.kit.deadlines): no transaction opened with too little
        # time left, none committed after the caller was told DEADLINE_EXCEEDED or so close to
        # its deadline that the answer could reach the caller after it.
        require_time("open a transaction")
        with self._translated(), self.engine.begin() as connection:
            if not durable and connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            yield connection
            # A use case that ended the transaction itself (audit.append_and_commit: its
            # COMMIT went in its last round trip, the deadline checked before it) has nothing
            # left to refuse: raising now would tell the caller "not done" of a done change.
            if connection.info.pop(COMMITTED_BY_CALLER, False):
                return
            if too_close_to_answer():
                raise not_committed()  # rolls back

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads only, each statement on its own (READ COMMITTED): no
        BEGIN/COMMIT round trips on PostgreSQL, no write lock on SQLite."""
        with self._translated(), self._reader.connect() as connection:
            yield connection

    @staticmethod
    @contextmanager
    def _translated() -> Iterator[None]:
        """Unique-key violations a repository did not translate itself become
        ALREADY_EXISTS; a database that cannot be reached becomes UNAVAILABLE."""
        try:
            yield
        except IntegrityError as exc:
            log.info("integrity error: %s", type(exc.orig).__name__)
            raise AlreadyExists("the resource already exists") from exc
        except OperationalError as exc:
            log.warning("database unavailable: %s", type(exc.orig).__name__)
            raise Unavailable("the database is not available, retry later") from exc

    def ping(self) -> None:
        """One ``SELECT 1`` on a pooled read connection; errors as the driver raises them
        (rhip.kit.dbwatch tells callers, not this)."""
        with self._reader.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()
        if self._reader is not self.engine and self._reader.engine is not self.engine:
            self._reader.dispose()


def alembic_config(versions_dir: Path) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(KIT_MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    locations = os.pathsep.join([str(KIT_MIGRATIONS / "versions"), str(versions_dir)])
    cfg.set_main_option("version_locations", locations)
    return cfg


# A seam for the test suite only (tests/support/schema_templates.py): fill an empty database
# from a copy of one migrated earlier, so that hundreds of test cells do not replay every
# migration; Alembic then finds the copy at head and runs nothing. Called with the engine
# before any transaction on SQLite (a copy cannot be written into an open transaction), and
# with the migration's connection under its advisory lock on PostgreSQL. None in production.
fill_empty_schema: Callable[[Engine, Connection | None, Path], None] | None = None


def migrate(engine: Engine, versions_dir: Path) -> None:
    """Bring the kit's and one service's schema to the newest revision.

    On PostgreSQL an advisory lock keeps replicas that start together from racing.
    """
    cfg = alembic_config(versions_dir)
    if fill_empty_schema is not None and not is_postgres(engine):
        fill_empty_schema(engine, None, versions_dir)
    with engine.begin() as connection:
        if is_postgres(engine):
            lock_id = zlib.crc32(str(versions_dir).encode()) & 0x7FFFFFFF
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
            if fill_empty_schema is not None:
                fill_empty_schema(engine, connection, versions_dir)
        current = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
        if current == _heads(cfg, versions_dir):
            return  # at the newest revision: nothing to load (Alembic would read every file)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")


_known_heads: dict[Path, tuple[str, ...]] = {}
_known_heads_lock = threading.Lock()


def _heads(cfg: Config, versions_dir: Path) -> tuple[str, ...]:
    """The newest revisions of the kit's and a service's migrations, read once per process
    (the files do not change under a running process), sorted as Alembic answers them."""
    with _known_heads_lock:
        if versions_dir not in _known_heads:
            heads = ScriptDirectory.from_config(cfg).get_heads()
            _known_heads[versions_dir] = tuple(sorted(heads))
        return _known_heads[versions_dir]
