"""A test world built once per test process, backend and kind, then copied into each test's
own databases before its cell starts.

Building a world — the standard tenants and users (support.cells.build_world) and what a test
directory adds to them: institutions, service accounts, registered residents, a health record —
goes through the use cases and the API: a third to a half of a cell test's setup, repeated by
hundreds of tests a run on each backend. Every test still gets databases of its own, a cell of
its own and the world's rows exactly as the build wrote them, under the same cell secret
(tokens and keyed digests stay valid); only the building is not repeated. On SQLite the
world's files are copied (the backup API). On PostgreSQL the world's schemas are kept and each
test's schema, as it is filled from its template when the cell migrates, receives their rows
and sequence positions by INSERT … SELECT on the server, in the migration's transaction
(support.schema_templates.copy_rows_on_fill).

Used only where the test takes the world and cell fixtures of its directory's conftest as they
are (``wanted``: no module's own, no ``cell_env`` marker). A world is rebuilt when China's day
changes (a world registered "yesterday" is not today's) and after ``MAX_AGE_SECONDS`` (the
tokens it signed in with, which the tests go on using as they would a build's of their own,
stay well inside their lifetime). The world object the build returned is handed to the test
rebound to the test's cell (``rebind``)."""

from __future__ import annotations

import atexit
import base64
import dataclasses
import os
import shutil
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import POSTGRES_URL, _psycopg_dsn, make_settings, schema_url
from rhip.kit.timestamps import clinical_day
from sqlalchemy.engine import make_url

from support import schema_templates
from support.cells import RunningCell, World, start_cell

MAX_AGE_SECONDS = 300  # access tokens live 900 s


@dataclass
class Snapshot:
    home: Path  # the built world's directory: its SQLite files, the cell's data_dir
    day: date  # China's day it was built on
    built: float  # time.monotonic() when built
    secret: str  # its cell secret
    env: dict[str, str]  # the cell's other settings
    world: Any = None  # what the build returned, on the world's (stopped) cell
    tokens: dict[str, str] = field(default_factory=dict)  # the tokens the build signed in with
    databases: dict[str, Path] = field(default_factory=dict)  # service → SQLite file
    schemas: dict[str, str] = field(default_factory=dict)  # service → PostgreSQL schema
    data_files: dict[str, Path] = field(default_factory=dict)  # under data_dir → its file


_lock = threading.Lock()
_snapshots: dict[tuple[str, str], Snapshot] = {}  # (kind, backend) → its world
_restored: dict[int, object] = {}  # id(RunningCell) → its world


def wanted(request: pytest.FixtureRequest, database_url: str, fixtures: Mapping[str, str]) -> bool:
    """The test takes each of ``fixtures`` (name → the directory of the conftest that must
    define it, "tests" for the top one) as that conftest defines it, with no ``cell_env``
    marker and no other use of the ``settings`` fixture; on PostgreSQL, where its schemas are
    filled from templates."""
    if request.node.get_closest_marker("cell_env"):
        return False
    if os.environ.get("RHIP_TEST_MIGRATE_EVERY_DATABASE") == "1":
        return False
    if not database_url.startswith("sqlite") and shutil.which("pg_dump") is None:
        return False
    info = request.node._fixtureinfo  # type: ignore[attr-defined]
    defs = info.name2fixturedefs
    # The cell runs with the world's settings, not the ``settings`` fixture's (another secret):
    # nothing but ``running`` may use those.
    askers = [info.argnames, *(d[-1].argnames for n, d in defs.items() if n != "running")]
    if any("settings" in names for names in askers):
        return False
    return all(
        defs.get(name) and defs[name][-1].baseid == where for name, where in fixtures.items()
    )


def start(
    kind: str,
    tmp_path: Path,
    urls: Mapping[str, str],
    build: Callable[[RunningCell], Any],
    rebind: Callable[[Any, RunningCell], Any] | None = None,
    **env: str,
) -> RunningCell:
    """A cell with ``env`` on copies of the ``kind`` world's databases (at the test's
    ``urls``, service → URL, identity's included, and under its data_dir), started; the world
    (``build``'s answer, ``rebind`` to this cell: rebind_fields by default) is handed to the
    test's world fixture through ``restored``."""
    backend = "sqlite" if urls["identity"].startswith("sqlite") else "postgres"
    snap = _current(kind, backend, list(urls), build, env)
    settings = _settings(tmp_path, urls, snap)
    for service, source in snap.databases.items():
        _copy_sqlite(source, Path(str(make_url(urls[service]).database)))
    targets = [_schema(urls[service]) for service in snap.schemas]
    for source_schema, target in zip(snap.schemas.values(), targets, strict=True):
        schema_templates.copy_rows_on_fill(target, source_schema)
    for relative, source in snap.data_files.items():
        _copy_sqlite(source, settings.data_dir / relative)
    running = start_cell(settings)
    if not all([schema_templates.rows_copied(target) for target in targets]):
        running.channel.close()
        running.cell.stop(0)
        raise RuntimeError(f"the {kind} world's rows were not copied into the test's schemas")
    running.tokens.update(snap.tokens)
    _restored[id(running)] = (rebind or rebind_fields)(snap.world, running)
    return running


def restored(running: RunningCell) -> Any:
    """The world ``start`` copied for ``running``, or None (the test builds its own)."""
    return _restored.get(id(running))


def forget(running: RunningCell) -> None:
    _restored.pop(id(running), None)


def rebind_fields(world: Any, running: RunningCell) -> Any:
    """A copy of the dataclass ``world`` on ``running``: its cell, its World, its gRPC stubs
    on the new channel, its dictionaries copied (a test may add to them)."""
    if isinstance(world, World):
        return World(running, dict(world.tenants), dict(world.users))
    changes: dict[str, Any] = {}
    for item in dataclasses.fields(world):
        value = getattr(world, item.name)
        if isinstance(value, RunningCell):
            changes[item.name] = running
        elif isinstance(value, World):
            changes[item.name] = rebind_fields(value, running)
        elif type(value).__name__.endswith("Stub"):
            changes[item.name] = type(value)(running.channel)
        elif isinstance(value, dict):
            changes[item.name] = dict(value)
    return dataclasses.replace(world, **changes)


def _settings(home: Path, urls: Mapping[str, str], snap: Snapshot):  # type: ignore[no-untyped-def]
    others = {
        f"RHIP_{service.upper()}_DATABASE_URL": url
        for service, url in urls.items()
        if service != "identity"
    }
    return make_settings(home, urls["identity"], RHIP_SECRET_KEY=snap.secret, **others, **snap.env)


def _schema(url: str) -> str:
    """The test schema of a conftest.postgres_schema URL (its search_path option)."""
    return str(make_url(url).query["options"]).removeprefix("-csearch_path=")


def _current(kind: str, backend: str, services: list[str], build, env) -> Snapshot:  # type: ignore[no-untyped-def]
    today = clinical_day(datetime.now(UTC))
    with _lock:
        snap = _snapshots.get((kind, backend))
        if (
            snap is None
            or snap.day != today
            or time.monotonic() - snap.built > MAX_AGE_SECONDS
            or snap.env != env
        ):
            if snap is not None:
                _remove(snap)
            snap = _snapshots[(kind, backend)] = _build(backend, services, build, env, today)
        return snap


def _build(backend: str, services: list[str], build, env, today: date) -> Snapshot:  # type: ignore[no-untyped-def]
    home = Path(tempfile.mkdtemp(prefix="rhip-world-"))
    secret = base64.b64encode(os.urandom(32)).decode()
    snap = Snapshot(home, today, time.monotonic(), secret, dict(env))
    if backend == "sqlite":
        snap.databases = {service: home / f"{service}.db" for service in services}
        urls = {service: f"sqlite:///{path}" for service, path in snap.databases.items()}
    else:
        tag = uuid.uuid4().hex[:12]
        snap.schemas = {service: f"rhipworld_{tag}_{service}" for service in services}
        with psycopg.connect(_psycopg_dsn(POSTGRES_URL), autocommit=True) as conn:
            for schema in snap.schemas.values():
                conn.execute(f"CREATE SCHEMA {schema}")
        urls = {service: schema_url(schema) for service, schema in snap.schemas.items()}
    settings = _settings(home, urls, snap)
    running = start_cell(settings)
    try:
        snap.world = build(running)
        snap.tokens = dict(running.tokens)  # as the build left them, as if built in the test
    finally:
        running.channel.close()
        running.cell.stop(0)
    # Every other service's database, under the cell's data_dir.
    data_dir = settings.data_dir
    snap.data_files = {str(f.relative_to(data_dir)): f for f in data_dir.rglob("*.db")}
    return snap


def _copy_sqlite(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _remove(snap: Snapshot) -> None:
    shutil.rmtree(snap.home, ignore_errors=True)
    if snap.schemas:
        with psycopg.connect(_psycopg_dsn(POSTGRES_URL), autocommit=True) as conn:
            for schema in snap.schemas.values():
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@atexit.register
def _discard() -> None:
    for snap in _snapshots.values():
        _remove(snap)
