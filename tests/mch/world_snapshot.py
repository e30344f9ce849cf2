"""The mch world (conftest.make_mch) built once per test process and backend, then copied into
each test's own databases before its cell starts.

Building the world — the standard tenants and users, a county hospital qualified for midwifery
and risk grading, four residents — goes through the use cases and the API: about half of an
mch test's setup, repeated by some 350 tests a run on each backend. Every test still gets
databases of its own, a cell of its own and the world's rows exactly as the build wrote them,
under the same cell secret (tokens and keyed digests stay valid); only the building is not
repeated. On SQLite the world's files are copied (the backup API). On PostgreSQL the world's
three schemas are kept and each test's schema, as it is filled from its template when the cell
migrates, receives their rows and sequence positions by INSERT … SELECT on the server, in the
migration's transaction (support.schema_templates.copy_rows_on_fill). Used only for tests that
take the conftest's ``mch`` world with the default settings (a module with its own ``mch`` or
``mch_env`` builds its world as before); rebuilt when China's day changes (a world registered
"yesterday" is not today's).
"""

from __future__ import annotations

import atexit
import base64
import os
import shutil
import sqlite3
import tempfile
import threading
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
from conftest import POSTGRES_URL, make_settings
from rhip.api.identity.v1 import qualification_service_pb2_grpc
from rhip.api.mch.v1 import mch_service_pb2_grpc
from rhip.kit.timestamps import clinical_day
from sqlalchemy.engine import make_url
from support import schema_templates
from support.cells import RunningCell, World, start_cell


@dataclass
class Snapshot:
    home: Path  # the built world's directory: its database files, the cell's data_dir
    day: date  # China's day it was built on
    secret: str  # its cell secret
    databases: tuple[Path, ...] = ()  # identity's, archives' and mch's files (SQLite)
    schemas: tuple[str, ...] = ()  # identity's, archives' and mch's schemas (PostgreSQL)
    data_files: dict[str, Path] = field(default_factory=dict)  # under data_dir → its file
    tenants: dict[str, str] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    residents: dict[str, str] = field(default_factory=dict)


_lock = threading.Lock()
_snapshots: dict[str, Snapshot] = {}  # backend → its world
_restored: dict[int, object] = {}  # id(RunningCell) → its Mch


def wanted(request: pytest.FixtureRequest, database_url: str, mch_env: dict[str, str]) -> bool:
    """A test that takes the ``mch`` world of tests/mch/conftest.py (not a module's own), with
    the default settings (on PostgreSQL: where its schemas are filled from templates)."""
    if mch_env or (not database_url.startswith("sqlite") and shutil.which("pg_dump") is None):
        return False
    if os.environ.get("RHIP_TEST_MIGRATE_EVERY_DATABASE") == "1":
        return False
    defs = request.node._fixtureinfo.name2fixturedefs.get("mch")  # type: ignore[attr-defined]
    return bool(defs) and defs[-1].baseid == "tests/mch"


def start(tmp_path: Path, urls: tuple[str, str, str], make_mch, mch_class) -> RunningCell:  # type: ignore[no-untyped-def]
    """A cell on copies of the world's databases (at the test's ``urls`` of identity,
    archives and mch, and under its data_dir), started; its ``mch_class`` world is handed to
    the ``mch`` fixture through ``restored_world``."""
    snap = _current(make_mch, _backend(urls[0]))
    settings = _settings(tmp_path, urls, snap.secret)
    for source, url in zip(snap.databases, urls if snap.databases else (), strict=True):
        _copy_sqlite(source, Path(str(make_url(url).database)))
    targets = [_schema(url) for url in urls] if snap.schemas else []
    for source_schema, target in zip(snap.schemas, targets, strict=True):
        schema_templates.copy_rows_on_fill(target, source_schema)
    for relative, source in snap.data_files.items():
        _copy_sqlite(source, settings.data_dir / relative)
    running = start_cell(settings)
    if not all([schema_templates.rows_copied(target) for target in targets]):
        running.channel.close()
        running.cell.stop(0)
        raise RuntimeError("the mch world's rows were not copied into the test's schemas")
    _restored[id(running)] = mch_class(
        running, World(running, dict(snap.tenants), dict(snap.users)),
        mch_service_pb2_grpc.MchServiceStub(running.channel),
        qualification_service_pb2_grpc.QualificationServiceStub(running.channel),
        residents=dict(snap.residents),
    )  # fmt: skip
    return running


def restored_world(running: RunningCell) -> object | None:
    return _restored.get(id(running))


def forget(running: RunningCell) -> None:
    _restored.pop(id(running), None)


def _settings(home: Path, urls: tuple[str, str, str], secret: str):  # type: ignore[no-untyped-def]
    """The settings of the conftest's cell (its ``running`` fixture), with ``secret``."""
    return make_settings(
        home, urls[0], RHIP_ARCHIVES_DATABASE_URL=urls[1], RHIP_MCH_DATABASE_URL=urls[2],
        RHIP_SECRET_KEY=secret,
    )  # fmt: skip


def _backend(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgres"


def _schema(url: str) -> str:
    """The test schema of a conftest.postgres_schema URL (its search_path option)."""
    return str(make_url(url).query["options"]).removeprefix("-csearch_path=")


def _current(make_mch, backend: str) -> Snapshot:  # type: ignore[no-untyped-def]
    today = clinical_day(datetime.now(UTC))
    with _lock:
        snap = _snapshots.get(backend)
        if snap is None or snap.day != today:
            if snap is not None:
                _remove(snap)
            snap = _snapshots[backend] = _build(make_mch, today, backend)
        return snap


def _build(make_mch, today: date, backend: str) -> Snapshot:  # type: ignore[no-untyped-def]
    home = Path(tempfile.mkdtemp(prefix="rhip-mch-world-"))
    snap = Snapshot(home, today, base64.b64encode(os.urandom(32)).decode())
    services = ("identity", "archives", "mch")
    if backend == "sqlite":
        snap.databases = tuple(home / f"{service}.db" for service in services)
        urls = tuple(f"sqlite:///{d}" for d in snap.databases)
    else:
        tag = uuid.uuid4().hex[:12]
        snap.schemas = tuple(f"rhipworld_{tag}_{service}" for service in services)
        with psycopg.connect(_dsn(), autocommit=True) as conn:
            for schema in snap.schemas:
                conn.execute(f"CREATE SCHEMA {schema}")
        base = make_url(POSTGRES_URL)
        urls = tuple(
            base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
                hide_password=False
            )
            for schema in snap.schemas
        )
    settings = _settings(home, urls, snap.secret)  # type: ignore[arg-type]
    running = start_cell(settings)
    try:
        mch = make_mch(running)
    finally:
        running.channel.close()
        running.cell.stop(0)
    snap.tenants, snap.users = dict(mch.world.tenants), dict(mch.world.users)
    snap.residents = dict(mch.residents)
    # Every other service's database, under the cell's data_dir.
    data_dir = settings.data_dir
    snap.data_files = {str(f.relative_to(data_dir)): f for f in data_dir.rglob("*.db")}
    return snap


def _copy_sqlite(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _dsn() -> str:
    return make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(False)


def _remove(snap: Snapshot) -> None:
    shutil.rmtree(snap.home, ignore_errors=True)
    if snap.schemas:
        with psycopg.connect(_dsn(), autocommit=True) as conn:
            for schema in snap.schemas:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@atexit.register
def _discard() -> None:
    for snap in _snapshots.values():
        _remove(snap)
