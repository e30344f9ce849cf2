"""Fixtures for identity tests: a running Jiangsu cell and the standard world."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rhip.kit.config import Settings
from support import world_snapshot
from support.cells import RunningCell, World, build_world, start_cell

# The world is copied in (support.world_snapshot) where a test takes these as they are here.
WORLD_FIXTURES = {"world": "tests/identity", "running": "tests/identity", "settings": "tests"}


@pytest.fixture
def running(
    request: pytest.FixtureRequest, settings: Settings, tmp_path: Path, database_url: str
) -> Iterator[RunningCell]:
    if world_snapshot.wanted(request, database_url, WORLD_FIXTURES):  # copied, not built again
        urls = {"identity": database_url}
        running = world_snapshot.start("identity", tmp_path, urls, build_world)
    else:
        running = start_cell(settings)
    yield running
    world_snapshot.forget(running)
    running.channel.close()
    running.cell.stop(0)


@pytest.fixture
def world(running: RunningCell) -> World:
    return world_snapshot.restored(running) or build_world(running)


# Anything shaped like an 18-character ID number (or a 15-digit legacy one), not inside a
# longer run of digits.
_ID_SHAPED = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


@pytest.fixture(autouse=True)
def no_id_numbers_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every identity test also checks that no log line carried an ID number."""
    caplog.set_level(logging.INFO)
    yield
    leaked = [r.getMessage() for r in caplog.records if _ID_SHAPED.search(r.getMessage())]
    assert not leaked, f"{len(leaked)} log line(s) carry an ID-shaped number"
