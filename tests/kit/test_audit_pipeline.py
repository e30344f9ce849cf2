"""The read-audit writer's pipelined group commit on PostgreSQL (rhip.kit.audit_pipeline):
the same chain as ``append_many``, interleaved with it; a failed commit leaves nothing
half-written and the next one goes through; SQLite keeps the SQLAlchemy path."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import POSTGRES_URL, REQUIRE_POSTGRES, postgres_schema
from rhip.kit import audit
from rhip.kit.audit_pipeline import append_pipelined, pipeline_supported
from rhip.kit.db import Database, migrate
from rhip.kit.deadlines import ANSWER_MARGIN_SECONDS, reset_deadline, set_deadline


def _migrated(url: str, tmp_path: Path) -> Database:
    db = Database.connect(url, pool_size=2)
    empty = tmp_path / "no-service-migrations"
    empty.mkdir()
    migrate(db.engine, empty)  # the kit's own tables only
    return db


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("RHIP_TEST_POSTGRES_URL is not set but RHIP_TEST_REQUIRE_POSTGRES=1")
        pytest.skip("PostgreSQL case: set RHIP_TEST_POSTGRES_URL to run it")
    with postgres_schema("ap") as url:
        database = _migrated(url, tmp_path)
        yield database
        database.dispose()


def _event(n: int, resident: str = "") -> audit.AuditEvent:
    return audit.AuditEvent(
        "resident.get",
        f"residents/r{n}" if not resident else "residents",
        "86/32",
        detail={"resident": resident} if resident else {},
    )


def _rows(db: Database) -> list[tuple]:
    with db.read() as conn:
        return [
            tuple(r)
            for r in conn.exec_driver_sql(
                "SELECT seq, target, prev_hash, hash FROM audit_event ORDER BY seq"
            ).all()
        ]


def test_pipelined_and_statement_appends_make_one_chain(db: Database) -> None:
    assert pipeline_supported(db.engine)
    for round_ in range(3):
        append_pipelined(db.engine, [_event(10 * round_ + i) for i in range(3)], audit.chained_rows)
        with db.transaction() as tx:  # a change's own audit, between two group commits
            audit.append(tx, _event(10 * round_ + 9))
    append_pipelined(db.engine, [_event(99, resident="r-named")], audit.chained_rows)
    rows = _rows(db)
    assert [r[0] for r in rows] == list(range(1, 14))
    with db.read() as conn:
        assert audit.verify(conn).intact
        indexed = conn.exec_driver_sql(
            "SELECT resident_id, seq FROM audit_resident ORDER BY seq"
        ).all()
        head = conn.exec_driver_sql("SELECT seq, hash FROM audit_head").one()
    assert [r.resident_id for r in indexed] == [
        *(f"r{10 * k + i}" for k in range(3) for i in (0, 1, 2, 9)),
        "r-named",
    ]
    assert tuple(head) == (13, rows[-1][3])


def test_a_failed_pipelined_commit_writes_nothing_and_the_next_goes_through(
    db: Database,
) -> None:
    append_pipelined(db.engine, [_event(1)], audit.chained_rows)
    too_long = audit.AuditEvent("resident.get", "residents/" + "x" * 300, "86")  # column: 200
    with pytest.raises(Exception, match="too long"):
        append_pipelined(db.engine, [_event(2), too_long], audit.chained_rows)
    assert [r[1] for r in _rows(db)] == ["residents/r1"]
    append_pipelined(db.engine, [_event(3)], audit.chained_rows)
    assert [r[1] for r in _rows(db)] == ["residents/r1", "residents/r3"]
    with db.read() as conn:
        assert audit.verify(conn).intact


def test_the_writer_group_commits_through_the_pipeline_on_postgresql(db: Database) -> None:
    writer = audit.AuditWriter(db)
    try:
        writer.submit_all([_event(i) for i in range(5)])
        sizes: list[int] = []
        writer.on_flush = lambda events, _seconds: sizes.append(events)
        writer.submit(_event(5))
    finally:
        writer.stop()
    assert writer._pipelined and sizes == [1]
    assert len(_rows(db)) == 6


def test_sqlite_keeps_the_statement_path(tmp_path: Path) -> None:
    db = _migrated(f"sqlite:///{tmp_path / 'a.db'}", tmp_path)
    writer = audit.AuditWriter(db)
    try:
        writer.submit(_event(1))
    finally:
        writer.stop()
        assert not writer._pipelined
    with db.read() as conn:
        assert audit.verify(conn).intact
    db.dispose()


def test_a_change_appends_in_its_own_transaction_and_rolls_back_with_it(db: Database) -> None:
    """``audit.append`` in a change's transaction sends its rows and the head's update in one
    pipeline on PostgreSQL: they commit with the change, several appends of one transaction
    chain on, and a change that fails takes its audit rows and the head with it."""
    with db.transaction() as tx:
        assert pipeline_supported(tx)  # the pipelined path, not the statements' one
        assert audit.append(tx, _event(1, resident="r-a")) == 1
        assert audit.append(tx, _event(2)) == 2  # the head this transaction moved
        tx.exec_driver_sql("SELECT 1")  # the transaction goes on after the pipeline
    with pytest.raises(RuntimeError), db.transaction() as tx:
        audit.append(tx, _event(3))
        raise RuntimeError("the change fails after its audit append")
    with db.transaction() as tx:
        assert audit.append(tx, _event(4)) == 3
    rows = _rows(db)
    assert [(r[0], r[1]) for r in rows] == [(1, "residents"), (2, "residents/r2"),
                                            (3, "residents/r4")]  # fmt: skip
    with db.read() as conn:
        assert audit.verify(conn).intact
        indexed = conn.exec_driver_sql("SELECT resident_id FROM audit_resident ORDER BY seq")
        assert indexed.scalars().all() == ["r-a", "r2", "r4"]  # not r3: rolled back
        assert tuple(conn.exec_driver_sql("SELECT seq, hash FROM audit_head").one()) == (
            3, rows[-1][3],
        )  # fmt: skip


def test_append_and_commit_runs_the_writes_before_it_then_appends_and_commits(
    db: Database,
) -> None:
    """A change's last statements in two round trips (rhip.kit.audit.append_and_commit): the
    writes given run first, in the caller's transaction, then its audit rows chain after the
    head and the transaction commits; the chain verifies, interleaved with the usual path."""
    with db.transaction() as tx:
        tx.exec_driver_sql("CREATE TABLE counted (k text PRIMARY KEY, n int)")
    upsert = (
        "INSERT INTO counted (k, n) VALUES (%(k)s, %(n)s)"
        " ON CONFLICT (k) DO UPDATE SET n = counted.n + excluded.n"
    )
    for i in range(3):
        with db.transaction() as tx:
            tx.exec_driver_sql("INSERT INTO counted (k, n) VALUES ('own', %(n)s)"
                               " ON CONFLICT (k) DO UPDATE SET n = counted.n + 1", {"n": 1})  # fmt: skip
            before = [("SELECT pg_advisory_xact_lock(42)", [{}]),
                      (upsert, [{"k": "a", "n": 1}, {"k": "b", "n": 2}])]  # fmt: skip
            assert audit.append_and_commit(tx, [_event(i), _event(i, "r9")], before)
        with db.transaction() as tx:
            audit.append(tx, _event(100 + i))
    with db.read() as conn:
        counted = dict(conn.exec_driver_sql("SELECT k, n FROM counted").all())
        assert counted == {"own": 3, "a": 3, "b": 6}
        assert audit.verify(conn).intact
        residents = conn.exec_driver_sql("SELECT count(*) FROM audit_resident").scalar()
    assert len(_rows(db)) == 9 and residents == 9  # each event names one resident


def test_append_and_commit_leaves_nothing_when_a_write_before_it_fails(db: Database) -> None:
    with pytest.raises(Exception), db.transaction() as tx:
        tx.exec_driver_sql("CREATE TABLE kept (k text PRIMARY KEY)")
        audit.append_and_commit(tx, [_event(1)], [("SELECT 1 / 0", [{}])])
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT to_regclass('kept')").scalar() is None
        assert audit.verify(conn).intact
    assert _rows(db) == []


def test_append_and_commit_is_postgresql_only(tmp_path: Path) -> None:
    sqlite = _migrated(f"sqlite:///{tmp_path / 'a.db'}", tmp_path)
    try:
        with sqlite.transaction() as tx:
            assert not audit.append_and_commit(tx, [_event(1)])
    finally:
        sqlite.dispose()


def test_a_change_committed_by_append_and_commit_is_not_refused_afterwards(db: Database) -> None:
    """append_and_commit checks the caller's deadline before its COMMIT, which goes in its last
    round trip; the transaction's own check at its end would come after the commit and tell
    the caller DEADLINE_EXCEEDED of a change that was made (a retry would find it). Here the
    time runs short between the two: the change stands and nothing is raised."""
    with db.transaction() as tx:
        tx.exec_driver_sql("CREATE TABLE done (k int)")
    token = set_deadline(time.monotonic() + ANSWER_MARGIN_SECONDS + 0.3)
    try:
        with db.transaction() as tx:
            tx.exec_driver_sql("INSERT INTO done VALUES (1)")
            assert audit.append_and_commit(tx, [_event(1)])
            time.sleep(0.35)  # the commit's answer came back late: under the margin now
    finally:
        reset_deadline(token)
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM done").scalar() == 1
        assert audit.verify(conn).intact
    assert len(_rows(db)) == 1
