"""Used PostgreSQL test schemas emptied and handed to the next test instead of dropped.

A test's PostgreSQL schema (conftest.postgres_schema) is filled from its service's migrated
template (support.schema_templates): replaying that DDL is ~0.14 s of PostgreSQL's time per
schema and dropping it afterwards ~0.04 s; a PostgreSQL test with a cell needs one to four of
them, hundreds of times a run, on two shared cores. Emptying a used schema instead (every
table's rows deleted, the template's own rows and sequence positions put back: ~0.02 s) and
renaming it to the next test's schema gives that test what the template replay would have
given it — the same tables, indexes, rows and sequences — for a tenth of the work.

A schema goes back to the pool only when it is provably the template's shape: filled from the
template in this process, and its tables, columns, indexes, sequences, functions, triggers
and constraints still those of the template (a signature over the catalog, compared at return). Anything else, or
any error on the way, drops it as before. Each pooled schema is reused at most ``MAX_USES``
times (deleted rows leave dead tuples until autovacuum) and every pooled schema this process
still holds is dropped when it exits. Set ``RHIP_TEST_MIGRATE_EVERY_DATABASE=1`` and nothing
is filled from templates, so nothing is pooled either.
"""

from __future__ import annotations

import atexit
import threading
import uuid
from dataclasses import dataclass

import psycopg
from sqlalchemy import Connection

PLACEHOLDER = "__rhip_template_schema__"
MAX_USES = 20

# The template's shape as the catalog describes it: relations (tables, indexes, sequences,
# views) by kind and name, columns with their types, functions, triggers (and whether they
# are enabled: tests drop the audit tables' append-only triggers to tamper), constraints. Names only, no OIDs, and no
# column defaults (they name the schema), so two schemas of one shape have one signature.
SIGNATURE_SQL = """
SELECT md5(coalesce(string_agg(item, ';' ORDER BY item), '')) FROM (
  SELECT 'r:' || c.relkind::text || ':' || c.relname::text AS item
    FROM pg_class c WHERE c.relnamespace = %(schema)s::text::regnamespace
  UNION ALL
  SELECT 'c:' || c.relname::text || '.' || a.attname::text || ':'
         || format_type(a.atttypid, a.atttypmod) || ':' || a.attnotnull::text
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
   WHERE c.relnamespace = %(schema)s::text::regnamespace AND a.attnum > 0
     AND NOT a.attisdropped
  UNION ALL
  SELECT 'f:' || p.proname::text FROM pg_proc p
   WHERE p.pronamespace = %(schema)s::text::regnamespace
  UNION ALL
  SELECT 't:' || c.relname::text || '.' || t.tgname::text || ':' || t.tgenabled::text
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
   WHERE c.relnamespace = %(schema)s::text::regnamespace AND NOT t.tgisinternal
  UNION ALL
  SELECT 'k:' || k.conname::text || ':' || k.contype::text FROM pg_constraint k
   WHERE k.connamespace = %(schema)s::text::regnamespace
) items
"""


@dataclass(frozen=True)
class Shape:
    """A template's shape: its catalog signature, and the SQL that empties a schema of that
    shape back to the template's rows and sequence positions (schema name as PLACEHOLDER)."""

    signature: str
    reset_sql: str


@dataclass
class _Pooled:
    name: str
    uses: int


_lock = threading.Lock()
_shapes: dict[object, Shape] = {}  # template key → its shape
_pools: dict[object, list[_Pooled]] = {}  # template key → emptied schemas ready for reuse
_filled: dict[str, tuple[object, int]] = {}  # a test's schema → (template key, uses so far)
_held: set[str] = set()  # every pooled schema name this process created (dropped at exit)
_dsn: str | None = None  # where the held schemas live (one database per run)


def signature(conn: psycopg.Connection, schema: str) -> str:
    row = conn.execute(SIGNATURE_SQL, {"schema": schema}).fetchone()
    return str(row[0]) if row else ""


def register(key: object, shape: Shape) -> None:
    with _lock:
        _shapes[key] = shape


def filled(schema: str, key: object) -> None:
    """``schema`` was filled from ``key``'s template by replaying it."""
    with _lock:
        _filled[schema] = (key, 0)


def take(connection: Connection, key: object, schema: str) -> bool:
    """Fill the empty ``schema`` by renaming an emptied one of ``key``'s shape to its name, in
    the caller's transaction (its migration's, under the advisory lock); False when the pool
    has none or the swap fails (the caller then replays the template)."""
    with _lock:
        pool = _pools.get(key)
        pooled = pool.pop() if pool else None
    if pooled is None:
        return False
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}"')  # empty: no CASCADE
            connection.exec_driver_sql(f'ALTER SCHEMA "{pooled.name}" RENAME TO "{schema}"')
    except Exception:  # left as it was: dropped at exit
        return False
    with _lock:
        _held.discard(pooled.name)
        _filled[schema] = (key, pooled.uses)
    return True


def give_back(dsn: str, schema: str) -> bool:
    """Empty ``schema`` (a test's, its cell stopped) back to its template's rows and pool it
    under a new name; False when it is not provably the template's shape, has been reused
    enough, or anything fails — the caller drops it then."""
    global _dsn
    with _lock:
        entry = _filled.pop(schema, None)
        shape = _shapes.get(entry[0]) if entry else None
    if entry is None or shape is None or entry[1] + 1 >= MAX_USES:
        return False
    key, uses = entry
    pooled = f"rhippool_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(dsn) as conn:
            # A cell left behind would hold its locks: give up rather than wait for it.
            conn.execute("SET LOCAL lock_timeout = '2s'")
            if signature(conn, schema) != shape.signature:
                return False
            # Foreign keys are not checked while the rows go and come back (superuser only;
            # refused elsewhere, and the schema is dropped as before).
            conn.execute("SET LOCAL session_replication_role = replica")
            with conn.cursor() as cursor:
                cursor.execute(shape.reset_sql.replace(PLACEHOLDER, f'"{schema}"'))  # no params
            conn.execute(f'ALTER SCHEMA "{schema}" RENAME TO "{pooled}"')
    except Exception:
        return False
    with _lock:
        _dsn = _dsn or dsn
        _held.add(pooled)
        _pools.setdefault(key, []).append(_Pooled(pooled, uses + 1))
    return True


def _drop_held() -> None:
    with _lock:
        names, dsn = sorted(_held), _dsn
        _held.clear()
    if not names or dsn is None:
        return
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    except psycopg.Error:
        pass  # the run's database is dropped with them (CI); a local one keeps rhippool_*


atexit.register(_drop_held)
