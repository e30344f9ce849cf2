"""Empty test databases filled from a migrated copy instead of replaying every migration.

The suite starts hundreds of cells, each migrating the kit's and its services' schemas into an
empty SQLite file or PostgreSQL schema: measured, migrations were more than half of a two-cell
platform's start. Per process, the first empty database of each (backend, migrations folder) is
migrated for real into a template; every later empty database of that kind receives a copy
(SQLite: the backup API; PostgreSQL: ``pg_dump`` of the template schema replayed under the new
schema's name) and Alembic then finds it at head and runs nothing. The result is the schema
the migrations build, so what the tests see does not change: set
``RHIP_TEST_MIGRATE_EVERY_DATABASE=1`` to run every migration everywhere, as production does.

PostgreSQL DDL is the dearer half even as a copy (a cell's five schemas cost about a second of
catalog work): a test schema filled from a template is therefore recycled when its test is done
(``recycle``): its rows deleted, the template's own rows and sequence values put back, and the
schema renamed into this process's pool, from where the next empty schema of the same kind takes
it by renaming it to that schema's name. A schema whose structure no longer matches its template
(a test that altered it), or that anything still holds, is dropped as before.

Anything unexpected (no ``pg_dump``, a database that is not empty, a PostgreSQL URL without a
schema of its own) falls back to the real migrations. Processes started by the tests (the
platform tests) are untouched: they never import this module.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
from alembic import command
from rhip.kit import db
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

_PLACEHOLDER = "__rhip_template_schema__"
# Data as INSERTs (the copy is replayed through a cursor, not psql), nothing about roles.
_PG_DUMP = ("pg_dump", "--inserts", "--no-owner", "--no-privileges", "--no-comments")
_lock = threading.Lock()
_sqlite_templates: dict[Path, Path | None] = {}  # migrations folder → migrated file
_postgres_templates: dict[tuple[str, Path], PostgresTemplate | None] = {}  # (database, folder)
_filled: dict[str, tuple[str, Path] | None] = {}  # schema → its template's key (None: mixed)
_pool: dict[tuple[str, Path], list[str]] = {}  # template key → clean schemas, renamed
_workdir: Path | None = None
# The structure of a schema: its tables, indexes and sequences with their columns' types, and
# its constraints and its own triggers (the audit tests drop the append-only ones, for one;
# the foreign keys' internal triggers are named by oid, different in every copy).
_FINGERPRINT = """
SELECT md5(concat_ws('|',
  (SELECT string_agg(c.relkind::text || c.relname || ':' || coalesce(a.attname, '') || ':'
                     || coalesce(format_type(a.atttypid, a.atttypmod), ''),
                     ',' ORDER BY c.relname, a.attnum)
     FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE n.nspname = %(schema)s),
  (SELECT string_agg(c.relname || ':' || t.tgname || ':' || t.tgenabled::text, ','
                     ORDER BY c.relname, t.tgname)
     FROM pg_trigger t
     JOIN pg_class c ON c.oid = t.tgrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND NOT t.tgisinternal),
  (SELECT string_agg(k.conname || ':' || k.contype::text, ',' ORDER BY k.conname)
     FROM pg_constraint k
     JOIN pg_namespace n ON n.oid = k.connamespace
    WHERE n.nspname = %(schema)s)))"""


@dataclass(frozen=True)
class PostgresTemplate:
    """A migrated schema as SQL under a placeholder name: its whole dump (``ddl``), the rows
    and sequence values the migrations wrote (``seed``), and its structure (``fingerprint``)."""

    ddl: str
    seed: str
    fingerprint: str


def install() -> None:
    db.fill_empty_schema = _fill


def _fill(engine: Engine, connection: Connection | None, versions_dir: Path) -> None:
    if connection is None:
        _fill_sqlite(engine, versions_dir)
    else:
        _fill_postgres(engine, connection, versions_dir)


def _upgrade(engine: Engine, versions_dir: Path) -> None:
    """The real migrations, without migrate()'s advisory lock: the caller holds it already
    (same key) on another connection."""
    cfg = db.alembic_config(versions_dir)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")


# --- SQLite ----------------------------------------------------------------------------------


def _fill_sqlite(engine: Engine, versions_dir: Path) -> None:
    database = make_url(str(engine.url)).database
    if not database or database == ":memory:":
        return
    raw = engine.raw_connection()
    try:
        target: sqlite3.Connection = raw.driver_connection  # type: ignore[assignment]
        if target.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            return  # not empty: a restart, or a second service in the same file
        template = _sqlite_template(versions_dir)
        if template is None:
            return
        source = sqlite3.connect(template)
        try:
            source.backup(target)
        finally:
            source.close()
    finally:
        raw.close()


def _sqlite_template(versions_dir: Path) -> Path | None:
    with _lock:
        if versions_dir not in _sqlite_templates:
            path = _scratch() / f"{uuid.uuid4().hex}.db"
            engine = db.make_engine(f"sqlite:///{path}")
            try:
                _upgrade(engine, versions_dir)
                _sqlite_templates[versions_dir] = path
            except Exception:  # fall back to real migrations
                _sqlite_templates[versions_dir] = None
            finally:
                engine.dispose()
        return _sqlite_templates[versions_dir]


def _scratch() -> Path:
    global _workdir
    if _workdir is None:
        _workdir = Path(tempfile.mkdtemp(prefix="rhip-schema-templates-"))
        atexit.register(shutil.rmtree, _workdir, ignore_errors=True)
    return _workdir


# --- PostgreSQL ------------------------------------------------------------------------------


def _fill_postgres(engine: Engine, connection: Connection, versions_dir: Path) -> None:
    schema = connection.execute(text("SELECT current_schema()")).scalar()
    if not schema or schema == "public":
        return  # only the tests' own schemas
    tables = connection.execute(
        text("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
    ).scalar()
    key = _template_key(engine, versions_dir)
    if tables:
        if _filled.get(schema, key) != key:
            _filled[schema] = None  # a second service's schema in it: never recycled
        return
    template = _postgres_template(key)
    if template is None:
        return
    # A savepoint: should the copy fail, the real migrations still run in this transaction.
    try:
        with connection.begin_nested():
            pooled = _take(key)
            if pooled:
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}"')
                connection.exec_driver_sql(f'ALTER SCHEMA "{pooled}" RENAME TO "{schema}"')
            else:
                cursor = connection.connection.cursor()
                try:
                    cursor.execute(template.ddl.replace(_PLACEHOLDER, f'"{schema}"'))
                finally:
                    cursor.close()
    except Exception:  # rolled back to the savepoint; migrate for real
        return
    _filled[schema] = key


def _take(key: tuple[str, Path]) -> str | None:
    with _lock:
        pool = _pool.get(key)
        return pool.pop() if pool else None


def recycle(libpq: str, schema: str) -> bool:
    """Put a finished test's schema back into the pool, clean; False when it must be dropped
    instead (not filled from one template, altered since, or still locked by someone)."""
    key = _filled.pop(schema, None)
    template = _postgres_templates.get(key) if key else None
    if key is None or template is None:
        return False
    pooled = f"rhippool_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(libpq) as conn:
            conn.execute("SET LOCAL lock_timeout = '2s'")
            row = conn.execute(_FINGERPRINT, {"schema": schema}).fetchone()  # type: ignore[arg-type]
            if row is None or row[0] != template.fingerprint:
                return False
            # Triggers and foreign keys stay quiet while the rows go and the seed returns
            # (the audit tables' append-only triggers among them).
            conn.execute("SET LOCAL session_replication_role = replica")
            names = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
            ).fetchall()
            with conn.cursor() as cursor:
                cursor.execute(";".join(f'DELETE FROM "{schema}"."{n}"' for (n,) in names))
                if template.seed.strip():
                    cursor.execute(template.seed.replace(_PLACEHOLDER, f'"{schema}"'))
            conn.execute(f'ALTER SCHEMA "{schema}" RENAME TO "{pooled}"')
    except psycopg.Error:
        return False
    with _lock:
        if not _pool:
            atexit.register(_drop_pool, libpq)
        _pool.setdefault(key, []).append(pooled)
    return True


def _drop_pool(libpq: str) -> None:
    with _lock:
        schemas = [s for pool in _pool.values() for s in pool]
        _pool.clear()
    if not schemas:
        return
    try:
        with psycopg.connect(libpq, autocommit=True) as conn:
            for schema in schemas:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    except psycopg.Error:
        pass  # the test database goes with its run (CI drops it)


def _template_key(engine: Engine, versions_dir: Path) -> tuple[str, Path]:
    url = make_url(str(engine.url.render_as_string(hide_password=False)))
    base = url.difference_update_query(["options"])
    return base.render_as_string(hide_password=False), versions_dir


def _postgres_template(key: tuple[str, Path]) -> PostgresTemplate | None:
    with _lock:
        if key not in _postgres_templates:
            _postgres_templates[key] = _capture_postgres(make_url(key[0]), key[1])
        return _postgres_templates[key]


def _capture_postgres(base, versions_dir: Path) -> PostgresTemplate | None:
    if shutil.which("pg_dump") is None:
        return None
    schema = f"rhiptmpl_{uuid.uuid4().hex[:12]}"
    libpq = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        engine = create_engine(base.update_query_dict({"options": f"-csearch_path={schema}"}))
        try:
            _upgrade(engine, versions_dir)
        finally:
            engine.dispose()
        ddl, seed = (_dump(libpq, schema, extra) for extra in ((), ("--data-only",)))
        with psycopg.connect(libpq) as conn:
            row = conn.execute(_FINGERPRINT, {"schema": schema}).fetchone()  # type: ignore[arg-type]
        fingerprint = row[0] if row else ""
    except Exception:  # fall back to real migrations
        return None
    finally:
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    return PostgresTemplate(ddl, seed, fingerprint)


def _dump(libpq: str, schema: str, extra: tuple[str, ...]) -> str:
    dump = subprocess.run(
        [*_PG_DUMP, *extra, "--schema", schema, "--dbname", libpq],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    kept = [
        line
        for line in dump.splitlines()
        # Session settings (search_path emptied!) and the schema itself stay out: the copy is
        # replayed inside the caller's transaction, into a schema that already exists.
        # psql's meta-commands (\restrict ...) are not SQL.
        if not line.startswith(
            ("SET ", "SELECT pg_catalog.set_config", "CREATE SCHEMA", "--", "\\")
        )
    ]
    return "\n".join(kept).replace(schema, _PLACEHOLDER)
