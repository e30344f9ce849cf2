"""Fixtures of the security suite: one platform per test module and backend (SQLite, and
PostgreSQL from RHIP_TEST_POSTGRES_URL), its world of principals and targets, and the RPCs
its gateway lists through reflection.

Each module reports what it sent (``report``): a line per module and backend on the
terminal, and appended as JSON to ``$RHIP_SECURITY_REPORT`` when set (``make fuzz`` and the
figures of the issue note)."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace

import pytest
from conftest import POSTGRES_URL, REQUIRE_POSTGRES
from rhip.kit.apis import methods
from security.platform import Platform, running_platform
from security.rpcs import Caller, Rpc, discover
from security.world import World, build_world
from support.two_cells import JIANGSU


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def platform(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Platform]:  # type: ignore[no-untyped-def]
    if request.param == "postgres" and not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("RHIP_TEST_POSTGRES_URL is not set but RHIP_TEST_REQUIRE_POSTGRES=1")
        pytest.skip("PostgreSQL case: set RHIP_TEST_POSTGRES_URL to run it")
    with running_platform(request.param, POSTGRES_URL, tmp_path_factory.mktemp("sec")) as p:
        yield p


@pytest.fixture(scope="module")
def world(platform: Platform) -> World:
    return build_world(platform)


@pytest.fixture(scope="module")
def rpcs(platform: Platform) -> list[Rpc]:
    """What the gateway forwards, and the cell-internal services a cell serves beside them
    (never forwarded, so reached on the Jiangsu cell itself: a caller inside the cluster's
    network must be refused there too)."""
    internal = {m.service for m in methods().values() if m.cell_internal}
    cell = platform.cell_channel(JIANGSU)
    direct = [
        replace(rpc, channel=cell)
        for rpc in discover(cell)
        if rpc.method.containing_service.full_name in internal
    ]
    assert direct, "no cell-internal service found on the cell"
    return discover(platform.channel) + direct


@pytest.fixture(scope="module")
def caller(platform: Platform, request: pytest.FixtureRequest) -> Iterator[Caller]:
    """The module's caller through the gateway; its counts are reported when the module is
    done."""
    through = Caller(platform.channel)
    yield through
    report(request.module.__name__, platform.backend, through.counts)


def report(module: str, backend: str, counts: Counter[str], **extra: object) -> None:
    line = {"module": module.rsplit(".", 1)[-1], "backend": backend, **counts, **extra}
    print(f"\n[security] {json.dumps(line, ensure_ascii=False)}")
    path = os.environ.get("RHIP_SECURITY_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
