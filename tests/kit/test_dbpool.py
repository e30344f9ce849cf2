"""Pooled PostgreSQL connections ended by the server (a restart, an administrator's
terminate) are replaced before they are handed out: not one request fails on them
(rhip.kit.dbpool, issue 12)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack

import psycopg
import pytest
from conftest import POSTGRES_URL, REQUIRE_POSTGRES, _psycopg_dsn, postgres_schema
from rhip.kit.db import Database
from rhip.kit.driver_reads import DriverRead
from sqlalchemy import Column, Integer, MetaData, Table, bindparam, select

META = MetaData()
ITEM = Table("item", META, Column("id", Integer, primary_key=True))
POOL = 4


@pytest.fixture
def db() -> Iterator[Database]:
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("RHIP_TEST_POSTGRES_URL is not set but RHIP_TEST_REQUIRE_POSTGRES=1")
        pytest.skip("PostgreSQL case: set RHIP_TEST_POSTGRES_URL to run it")
    with postgres_schema("pool") as url:
        database = Database.connect(url, pool_size=POOL)
        META.create_all(database.engine)
        yield database
        database.dispose()


def _fill_pools(db: Database) -> list[int]:
    """Every connection of both pools (reads, transactions) opened, then returned idle; their
    backends' pids."""
    with ExitStack() as stack:
        pids = []
        for _ in range(POOL):
            for connection in (
                stack.enter_context(db.read()),
                stack.enter_context(db.transaction()),
            ):
                pids.append(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
    return pids


def test_connections_ended_while_idle_in_the_pool_cost_no_request(db: Database) -> None:
    pids = _fill_pools(db)
    # What a restart does to each of them: FATAL 57P01 (AdminShutdown), then end of file.
    with psycopg.connect(_psycopg_dsn(POSTGRES_URL), autocommit=True) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        # pg_terminate_backend only signals; a restart is over once the backends are gone.
        deadline = time.monotonic() + 10
        while admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)
        ).fetchone()[0]:  # type: ignore[index]
            assert time.monotonic() < deadline, "backends did not end"
            time.sleep(0.01)
    read = DriverRead(select(ITEM.c.id).where(ITEM.c.id >= bindparam("low")))
    for i in range(POOL * 2):  # more than the pool holds: every old connection is met
        with db.transaction() as tx:
            tx.execute(ITEM.insert().values(id=i))
        with db.read() as connection:
            assert len(read.all(connection, {"low": 0})) == i + 1
    assert not set(pids) & set(_fill_pools(db))  # all replaced
