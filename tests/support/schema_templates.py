"""Empty test databases filled from a migrated copy instead of replaying every migration.

The suite starts hundreds of cells, each migrating the kit's and its services' schemas into an
empty SQLite file or PostgreSQL schema: measured, migrations were more than half of a two-cell
platform's start. Per process, the first empty database of each (backend, migrations folder) is
migrated for real into a template; every later empty database of that kind receives a copy
(SQLite: the backup API; PostgreSQL: ``pg_dump`` of the template schema replayed under the new
schema's name, or an emptied one of the same shape renamed: support.schema_pool) and Alembic
then finds it at head and runs nothing. The result is the schema
the migrations build, so what the tests see does not change: set
``RHIP_TEST_MIGRATE_EVERY_DATABASE=1`` to run every migration everywhere, as production does.

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
from pathlib import Path

import psycopg
from alembic import command
from rhip.kit import db
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

from support import schema_pool
from support.schema_pool import PLACEHOLDER as _PLACEHOLDER

# Data as INSERTs (the copy is replayed through a cursor, not psql), nothing about roles.
_PG_DUMP = ("pg_dump", "--inserts", "--no-owner", "--no-privileges", "--no-comments")
_lock = threading.Lock()
_sqlite_templates: dict[Path, Path | None] = {}  # migrations folder → migrated file
_postgres_templates: dict[tuple[str, Path], str | None] = {}  # (database, folder) → SQL
_workdir: Path | None = None
# Rows put into a schema right after it is filled (a world built once and copied into each
# test's schemas: support/world_snapshot.py): the test's schema → the schema it copies.
_rows_from: dict[str, str] = {}
_rows_copied: set[str] = set()
_copy_sql: dict[str, str] = {}  # source schema → its copy SQL (target as the placeholder)


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
    if tables:
        return
    key = _postgres_key(engine, versions_dir)
    sql = _postgres_template(key)
    if sql is None:
        return
    if not schema_pool.take(connection, key, schema):
        # A savepoint: should the copy fail, the real migrations still run in this transaction.
        try:
            with connection.begin_nested():
                _execute(connection, sql.replace(_PLACEHOLDER, f'"{schema}"'))
        except Exception:  # rolled back to the savepoint; migrate for real
            return
        schema_pool.filled(schema, key)
    _copy_rows(connection, schema)


def copy_rows_on_fill(schema: str, source: str) -> None:
    """When the empty ``schema`` is filled from its template, replace its rows with those of
    ``source`` (a schema of the same template, kept by the caller) in the same transaction."""
    with _lock:
        _rows_from[schema] = source


def rows_copied(schema: str) -> bool:
    """Whether ``schema`` received the rows asked for by copy_rows_on_fill (asked once)."""
    with _lock:
        _rows_from.pop(schema, None)
        copied = schema in _rows_copied
        _rows_copied.discard(schema)
        return copied


def _copy_rows(connection: Connection, schema: str) -> None:
    """Every table's rows and every sequence's position as ``source`` holds them. Foreign keys
    and triggers are off meanwhile (session_replication_role: superuser only), as in
    schema_pool's emptying."""
    with _lock:
        source = _rows_from.pop(schema, None)
    if source is None:
        return
    if source not in _copy_sql:
        _copy_sql[source] = _rows_sql(connection, source)
    _execute(connection, _copy_sql[source].replace(_PLACEHOLDER, f'"{schema}"'))
    with _lock:
        _rows_copied.add(schema)


def _rows_sql(connection: Connection, source: str) -> str:
    tables = connection.execute(
        text(
            "SELECT c.relname, string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)"
            " FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
            " WHERE c.relnamespace = CAST(:s AS regnamespace) AND c.relkind = 'r'"
            " AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''"
            " GROUP BY c.relname ORDER BY c.relname"
        ),
        {"s": source},
    ).all()
    sequences = connection.execute(
        text(
            "SELECT relname FROM pg_class"
            " WHERE relnamespace = CAST(:s AS regnamespace) AND relkind = 'S' ORDER BY relname"
        ),
        {"s": source},
    ).scalars()
    lines = ["SET LOCAL session_replication_role = replica;"]
    lines += [f'DELETE FROM {_PLACEHOLDER}."{table}";' for table, _ in tables]
    lines += [
        f'INSERT INTO {_PLACEHOLDER}."{table}" ({columns}) OVERRIDING SYSTEM VALUE'
        f' SELECT {columns} FROM "{source}"."{table}";'
        for table, columns in tables
    ]
    lines += [
        f"SELECT setval('{_PLACEHOLDER}.\"{name}\"', last_value, is_called)"
        f' FROM "{source}"."{name}";'
        for name in sequences
    ]
    lines.append("SET LOCAL session_replication_role = origin;")
    return "\n".join(lines)


def _execute(connection: Connection, sql: str) -> None:
    """Several statements at once, without parameters, on the connection's transaction."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


def _postgres_key(engine: Engine, versions_dir: Path) -> tuple[str, Path]:
    url = make_url(str(engine.url.render_as_string(hide_password=False)))
    base = url.difference_update_query(["options"])
    return base.render_as_string(hide_password=False), versions_dir


def _postgres_template(key: tuple[str, Path]) -> str | None:
    """The template of ``key`` (database, migrations folder), captured on first use."""
    with _lock:
        if key not in _postgres_templates:
            _postgres_templates[key] = _capture_postgres(key)
        return _postgres_templates[key]


def _capture_postgres(key: tuple[str, Path]) -> str | None:
    """The template's DDL and rows as SQL (schema name as the placeholder); registers its
    shape with support.schema_pool, so that used schemas of the shape can be reused."""
    if shutil.which("pg_dump") is None:
        return None
    base, versions_dir = make_url(key[0]), key[1]
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
        dump = _pg_dump(schema, libpq)
        rows = _pg_dump(schema, libpq, "--data-only")
        with psycopg.connect(libpq) as conn:
            signature = schema_pool.signature(conn, schema)
            tables = [
                name
                for (name,) in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
                )
            ]
    except Exception:  # fall back to real migrations
        return None
    finally:
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    # Emptied back to the template: every table's rows out, the template's rows and sequence
    # positions (pg_dump's setval lines) back in.
    deletes = [f'DELETE FROM {_PLACEHOLDER}."{table}";' for table in tables]
    reset = "\n".join([*deletes, _sql_only(rows).replace(schema, _PLACEHOLDER)])
    schema_pool.register(key, schema_pool.Shape(signature, reset))
    return _sql_only(dump).replace(schema, _PLACEHOLDER)


def _pg_dump(schema: str, libpq: str, *options: str) -> str:
    return subprocess.run(
        [*_PG_DUMP, *options, "--schema", schema, "--dbname", libpq],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout


def _sql_only(dump: str) -> str:
    """Session settings (search_path emptied!) and the schema itself stay out: the copy is
    replayed inside the caller's transaction, into a schema that already exists. psql's
    meta-commands (\\restrict ...) are not SQL."""
    kept = [
        line
        for line in dump.splitlines()
        if not line.startswith(
            ("SET ", "SELECT pg_catalog.set_config", "CREATE SCHEMA", "--", "\\")
        )
    ]
    return "\n".join(kept)
