"""A stopped cell leaves nothing behind in its process: every service built, started, used
(logins, records, audit) and stopped is freed. A process that starts and stops cells (the
test workers, a CLI command that builds one) would otherwise keep each, and Python's full
collections, which walk every live object while no thread runs, grew to seconds: long enough
to stall a running cell past its deadlines."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from conftest import make_settings
from support.cells import build_world, start_cell


def _run_and_stop(tmp_path: Path, database_url: str) -> weakref.ref[object]:
    running = start_cell(make_settings(tmp_path, database_url))
    build_world(running)  # tenants, users, grants, logins: every service's tables in use
    running.login("qs-doctor")
    running.channel.close()
    running.cell.stop(0)
    return weakref.ref(running.cell)


def test_a_started_used_and_stopped_cell_is_freed(tmp_path: Path, database_url: str) -> None:
    cell = _run_and_stop(tmp_path, database_url)
    gc.collect()
    assert cell() is None
