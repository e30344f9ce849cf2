"""The test suite's PostgreSQL schemas are recycled (tests/support/schema_templates.py): a
finished test's schema goes back to the pool exactly as the migrations left it — its rows
gone, the migrations' own rows and sequence values back — and one whose structure a test
changed is dropped, never handed to the next test."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest
from conftest import POSTGRES_URL, REQUIRE_POSTGRES, _psycopg_dsn, postgres_schema
from rhip.kit import db
from sqlalchemy import create_engine
from support import schema_templates

IDENTITY = Path(__file__).resolve().parents[2] / "services/rhip/identity/migrations/versions"


@pytest.fixture(autouse=True)
def _postgres_with_templates() -> None:
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("RHIP_TEST_POSTGRES_URL is not set but RHIP_TEST_REQUIRE_POSTGRES=1")
        pytest.skip("PostgreSQL case: set RHIP_TEST_POSTGRES_URL to run it")
    if os.environ.get("RHIP_TEST_MIGRATE_EVERY_DATABASE") == "1":
        pytest.skip("schema templates are switched off (RHIP_TEST_MIGRATE_EVERY_DATABASE=1)")


def _migrated(url: str) -> str:
    engine = create_engine(url)
    try:
        db.migrate(engine, IDENTITY)
        with engine.connect() as conn:
            return str(conn.exec_driver_sql("SELECT current_schema()").scalar())
    finally:
        engine.dispose()


def _contents(schema: str) -> dict[str, object]:
    """Every table's rows and every sequence's next value."""
    with psycopg.connect(_psycopg_dsn(POSTGRES_URL)) as conn:
        tables = [
            t
            for (t,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
            )
        ]
        found: dict[str, object] = {
            t: sorted(map(repr, conn.execute(f'SELECT * FROM "{schema}"."{t}"'))) for t in tables
        }
        for (seq,) in conn.execute(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = %s", (schema,)
        ).fetchall():
            found[f"{seq} (next)"] = conn.execute(
                f'SELECT nextval(\'"{schema}"."{seq}"\')'
            ).fetchone()
        conn.rollback()  # nextval is not rolled back: these read a copy of the state only
    return found


def _pooled() -> int:
    return sum(len(schemas) for schemas in schema_templates._pool.values())


def test_a_used_schema_comes_back_as_the_migrations_left_it() -> None:
    with postgres_schema("rc") as url:
        first = _migrated(url)
        fresh = _contents(first)
        with psycopg.connect(_psycopg_dsn(POSTGRES_URL)) as conn:
            # What a test leaves behind: its own rows, the migrations' rows gone, sequences on.
            conn.execute(f'DELETE FROM "{first}".alembic_version')
            for (seq,) in conn.execute(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = %s", (first,)
            ).fetchall():
                conn.execute(f'SELECT setval(\'"{first}"."{seq}"\', 4242)')
    pooled = _pooled()
    assert pooled >= 1, "the finished schema was dropped, not recycled"
    with postgres_schema("rc") as url:
        second = _migrated(url)
        assert _pooled() == pooled - 1, "the next schema was built anew, not taken from the pool"
        assert second != first
        again = _contents(second)
    assert again == fresh
    assert again["alembic_version"], "the migrations' own rows are back"


def test_a_schema_whose_structure_a_test_changed_is_dropped() -> None:
    with postgres_schema("rc") as url:
        schema = _migrated(url)
        with psycopg.connect(_psycopg_dsn(POSTGRES_URL)) as conn:
            trigger = conn.execute(
                "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND NOT t.tgisinternal LIMIT 1",
                (schema,),
            ).fetchone()
            assert trigger, "identity's schema has triggers (the audit log's append-only ones)"
            conn.execute(f'DROP TRIGGER "{trigger[0]}" ON "{schema}"."{trigger[1]}"')
        pooled = _pooled()
    assert _pooled() == pooled, "an altered schema went back to the pool"
    with psycopg.connect(_psycopg_dsn(POSTGRES_URL)) as conn:
        left = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    assert left is None, "the altered schema is dropped"
