"""Fixtures for identity tests: a running Jiangsu cell and the standard world."""

from __future__ import annotations

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
