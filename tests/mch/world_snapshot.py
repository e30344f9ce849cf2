"""The mch world (conftest.make_mch) built once per test process and backend, then copied into
each test's own databases before its cell starts.

Building the world — the standard tenants and users, a county hospital qualified for midwifery
and risk grading, four residents — goes through the use cases and the API: about half of an
mch test's setup on SQLite, repeated by some 350 tests a run. Every test still gets database
files of its own (copies), a cell of its own and the world's rows exactly as the build wrote
them, under the same cell secret (tokens and keyed digests stay valid); only the building is
not repeated. Used only on SQLite (on PostgreSQL writing the world's rows into a test's
schemas was measured slower than building it) and for tests that take the conftest's ``mch``
world with the default settings (a module with its own ``mch`` or ``mch_env`` builds its
world as before); rebuilt when China's day changes (a world registered "yesterday" is not
today's).
"""

from __future__ import annotations

import atexit
import base64
import os
import shutil
import sqlite3
import tempfile
import threading
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import make_settings
from rhip.api.identity.v1 import qualification_service_pb2_grpc
from rhip.api.mch.v1 import mch_service_pb2_grpc
from rhip.kit.timestamps import clinical_day
from sqlalchemy.engine import make_url
from support.cells import RunningCell, World, start_cell


@dataclass
class Snapshot:
    home: Path  # the built world's directory: its database files, the cell's data_dir
    day: date  # China's day it was built on
    secret: str  # its cell secret
    databases: tuple[Path, ...] = ()  # identity's, archives' and mch's files
    data_files: dict[str, Path] = field(default_factory=dict)  # under data_dir → its file
    tenants: dict[str, str] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    residents: dict[str, str] = field(default_factory=dict)


_lock = threading.Lock()
_snapshot: Snapshot | None = None
_restored: dict[int, object] = {}  # id(RunningCell) → its Mch


def wanted(request: pytest.FixtureRequest, database_url: str, mch_env: dict[str, str]) -> bool:
    """An SQLite test that takes the ``mch`` world of tests/mch/conftest.py (not a module's
    own), with the default settings."""
    if not database_url.startswith("sqlite") or mch_env:
        return False
    if os.environ.get("RHIP_TEST_MIGRATE_EVERY_DATABASE") == "1":
        return False
    defs = request.node._fixtureinfo.name2fixturedefs.get("mch")  # type: ignore[attr-defined]
    return bool(defs) and defs[-1].baseid == "tests/mch"


def start(tmp_path: Path, urls: tuple[str, str, str], make_mch, mch_class) -> RunningCell:  # type: ignore[no-untyped-def]
    """A cell on copies of the world's databases (at the test's ``urls`` of identity,
    archives and mch, and under its data_dir), started; its ``mch_class`` world is handed to
    the ``mch`` fixture through ``restored_world``."""
    snap = _current(make_mch)
    settings = _settings(tmp_path, urls, snap.secret)
    for source, url in zip(snap.databases, urls, strict=True):
        _copy_sqlite(source, Path(str(make_url(url).database)))
    for relative, source in snap.data_files.items():
        _copy_sqlite(source, settings.data_dir / relative)
    running = start_cell(settings)
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


def _current(make_mch) -> Snapshot:  # type: ignore[no-untyped-def]
    global _snapshot
    today = clinical_day(datetime.now(UTC))
    with _lock:
        if _snapshot is None or _snapshot.day != today:
            if _snapshot is not None:
                shutil.rmtree(_snapshot.home, ignore_errors=True)
            _snapshot = _build(make_mch, today)
        return _snapshot


def _build(make_mch, today: date) -> Snapshot:  # type: ignore[no-untyped-def]
    home = Path(tempfile.mkdtemp(prefix="rhip-mch-world-"))
    snap = Snapshot(home, today, base64.b64encode(os.urandom(32)).decode())
    databases = tuple(home / f"{service}.db" for service in ("identity", "archives", "mch"))
    identity, archives, mch_db = (f"sqlite:///{d}" for d in databases)
    settings = _settings(home, (identity, archives, mch_db), snap.secret)
    running = start_cell(settings)
    try:
        mch = make_mch(running)
    finally:
        running.channel.close()
        running.cell.stop(0)
    snap.tenants, snap.users = dict(mch.world.tenants), dict(mch.world.users)
    snap.residents = dict(mch.residents)
    # The three above, and every other service's under the cell's data_dir.
    snap.databases = databases
    data_dir = settings.data_dir
    snap.data_files = {str(f.relative_to(data_dir)): f for f in data_dir.rglob("*.db")}
    return snap


def _copy_sqlite(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


@atexit.register
def _discard() -> None:
    if _snapshot is not None:
        shutil.rmtree(_snapshot.home, ignore_errors=True)
