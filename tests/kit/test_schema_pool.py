"""The test suite's reused PostgreSQL schemas (support.schema_pool): a schema a test used and
gave back is, for the next test, what a schema freshly filled from the template is — the same
tables, rows and sequence positions — and a schema whose shape a test changed is dropped, not
reused."""

from __future__ import annotations

import psycopg
import pytest
from conftest import POSTGRES_URL, _psycopg_dsn, make_settings, postgres_schema
from rhip.identity.server import MIGRATIONS
from rhip.kit import db
from rhip.kit.config import Settings
from sqlalchemy.engine import make_url
from support import schema_pool
from support.cells import build_world, start_cell

# ``database_url`` only for its backend parameter: PostgreSQL's case runs, SQLite's is
# deselected (and without a server the case skips, or fails in CI, like every other).
pytestmark = pytest.mark.postgres_only


def _schema_of(url: str) -> str:
    return make_url(url).query["options"].split("search_path=")[1]  # type: ignore[union-attr]


def _contents(schema: str) -> dict[str, object]:
    """Every table's row count and every sequence's position."""
    with psycopg.connect(_psycopg_dsn(POSTGRES_URL)) as conn:
        tables = [
            t
            for (t,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
            )
        ]
        found: dict[str, object] = {
            t: conn.execute(f'SELECT count(*) FROM "{schema}"."{t}"').fetchone()[0]  # type: ignore[index]
            for t in tables
        }
        for (name,) in conn.execute(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = %s", (schema,)
        ).fetchall():
            found[f"seq:{name}"] = conn.execute(
                f'SELECT last_value, is_called FROM "{schema}"."{name}"'
            ).fetchone()
    return found


def _used_cell(tmp_path, url: str) -> None:  # type: ignore[no-untyped-def]
    """An identity cell on ``url`` that writes tenants, users, policies and audit events."""
    settings: Settings = make_settings(tmp_path, url)
    running = start_cell(settings, services=["identity"])
    try:
        build_world(running)
    finally:
        running.channel.close()
        running.cell.stop(0)


def _migrated(url: str) -> None:
    engine = db.make_engine(url)
    try:
        db.migrate(engine, MIGRATIONS)
    finally:
        engine.dispose()


def test_a_reused_schema_holds_what_a_fresh_one_holds(tmp_path, database_url: str) -> None:  # type: ignore[no-untyped-def]
    with postgres_schema() as fresh:
        _migrated(fresh)
        expected = _contents(_schema_of(fresh))
    with postgres_schema() as used:
        _used_cell(tmp_path / "used", used)
        assert _contents(_schema_of(used)) != expected  # the cell wrote rows
    pooled = sum(len(p) for p in schema_pool._pools.values())
    assert pooled, "the used schema was given back, not dropped"
    with postgres_schema() as reused:
        _migrated(reused)
        assert sum(len(p) for p in schema_pool._pools.values()) == pooled - 1
        assert _contents(_schema_of(reused)) == expected


@pytest.mark.parametrize(
    "change",
    [
        'ALTER TABLE "{schema}".app_user ADD COLUMN extra integer',
        # What the audit tests do to tamper with the chain.
        'DROP TRIGGER audit_event_no_update ON "{schema}".audit_event',
        'ALTER TABLE "{schema}".audit_event DISABLE TRIGGER audit_event_no_update',
        'CREATE INDEX extra_index ON "{schema}".app_user (display_name)',
    ],
)
def test_a_schema_whose_shape_changed_is_dropped(tmp_path, database_url: str, change: str) -> None:  # type: ignore[no-untyped-def]
    with postgres_schema() as url:
        _migrated(url)
        schema = _schema_of(url)
        with psycopg.connect(_psycopg_dsn(POSTGRES_URL), autocommit=True) as conn:
            conn.execute(change.format(schema=schema))
        pooled = {p.name for pool in schema_pool._pools.values() for p in pool}
    assert {p.name for pool in schema_pool._pools.values() for p in pool} == pooled
    with psycopg.connect(_psycopg_dsn(POSTGRES_URL)) as conn:
        gone = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", (schema,))
        assert gone.fetchone()[0] == 0  # type: ignore[index]


def test_a_schema_filled_with_another_schemas_rows_holds_them(tmp_path, database_url: str) -> None:  # type: ignore[no-untyped-def]
    """copy_rows_on_fill (the worlds copied into tests, support/world_snapshot.py): the filled
    schema holds the source's rows and sequence positions, not the template's, and the copy
    is reported once."""
    from support import schema_templates

    with postgres_schema() as world, postgres_schema() as fresh, postgres_schema() as copy:
        _used_cell(tmp_path / "world", world)
        _migrated(fresh)
        source, target = _schema_of(world), _schema_of(copy)
        schema_templates.copy_rows_on_fill(target, source)
        _migrated(copy)
        assert _contents(target) == _contents(source) != _contents(_schema_of(fresh))
        assert schema_templates.rows_copied(target)
        assert not schema_templates.rows_copied(target)
        with psycopg.connect(_psycopg_dsn(POSTGRES_URL)) as conn:
            users = 'SELECT id, username FROM "{}".app_user ORDER BY id'
            assert (
                conn.execute(users.format(target)).fetchall()
                == conn.execute(users.format(source)).fetchall()
            )
