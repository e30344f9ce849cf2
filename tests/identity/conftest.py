"""Fixtures for identity tests: a running Jiangsu cell and the standard world."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from rhip.kit.config import Settings
from support.cells import RunningCell, World, build_world, start_cell


@pytest.fixture
def running(settings: Settings) -> Iterator[RunningCell]:
    running = start_cell(settings)
    yield running
    running.channel.close()
    running.cell.stop(0)


@pytest.fixture
def world(running: RunningCell) -> World:
    return build_world(running)


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
