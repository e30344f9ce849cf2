"""Record creation with the locator's claim outstanding, end to end across two cells behind a
real gateway (SQLite and PostgreSQL): the claim is sent first and the cell writes the record
while the locator answers; it commits only once the claim is made. Slowness is real: the
locator's claims table locked by the test, or a trigger sleeping in a real database.

- the claim and the cell's own writes run side by side (the creation takes about the longer
  of the two, not their sum);
- a refusal, or a locator that does not answer in time, after the cell has written the record
  leaves nothing behind (no record, history, timeline entry, audit event, request key or
  serial); a failure of the cell's own work releases a claim the locator made;
- while a claim is outstanding the cell's other work goes on (neither the audit chain's head
  nor, on SQLite, the database is held);
- two cells creating the person's record at once end with one open record, whatever the
  interleaving."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from archives.helpers import complete_form
from locator.platform import JIANGSU, SHANDONG, TIMEOUT, Platform
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.archives.locator_client import TIMEOUT_SECONDS
from rhip.kit.db import Database
from sqlalchemy.engine import make_url
from support.residents import register_request, stub, with_check

DELAY = 1.0  # seconds each slowed side takes


def _person(n: int) -> str:
    return with_check(f"5401021991{n // 28 % 12 + 1:02d}{n % 28 + 1:02d}{n % 997:03d}")


def _register(p: Platform, md, number: str, region: str) -> str:  # type: ignore[no-untyped-def]
    request = register_request(number, name="次仁", region=region)
    return stub(p.channel).RegisterResident(request, metadata=md, timeout=TIMEOUT).resident.name


def _create(p: Platform, md, resident: str, timeout: float = TIMEOUT):  # type: ignore[no-untyped-def]
    return p.archives.CreateHealthRecord(
        apb.CreateHealthRecordRequest(
            resident=resident, township_code="001", village_code="101",
            basic_info=complete_form(), request_id=str(uuid.uuid4()),
        ),
        metadata=md, timeout=timeout,
    )  # fmt: skip


def _archives(p: Platform, cell: str) -> Database:
    return p.cells[cell].cell.part("archives").db  # type: ignore[no-any-return]


def _postgres(p: Platform) -> bool:
    return not p.locator_url.startswith("sqlite")


@contextmanager
def _locator_held(p: Platform) -> Iterator[None]:
    """The locator's claims table locked by another transaction until the block ends: every
    claim waits in the locator (PostgreSQL: an ACCESS EXCLUSIVE lock, which its read of the
    person's claims waits for too; SQLite: the database's write lock)."""
    url = make_url(p.locator_url)
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(str(url.database), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = sa.create_engine(url)
    try:
        with engine.connect() as holder:
            holder.execute(sa.text("LOCK TABLE open_record_claim IN ACCESS EXCLUSIVE MODE"))
            try:
                yield
            finally:
                holder.rollback()
    finally:
        engine.dispose()


@contextmanager
def _slow_inserts(engine: sa.Engine, table: str, seconds: float) -> Iterator[None]:
    """Each insert into ``table`` sleeps ``seconds`` in PostgreSQL (a trigger)."""
    with engine.begin() as conn:
        conn.execute(sa.text(
            "CREATE FUNCTION rhip_test_slow() RETURNS trigger LANGUAGE plpgsql AS"
            f" $$ BEGIN PERFORM pg_sleep({seconds}); RETURN NEW; END $$"
        ))  # fmt: skip
        conn.execute(sa.text(
            f"CREATE TRIGGER rhip_test_slow BEFORE INSERT ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION rhip_test_slow()"
        ))  # fmt: skip
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TRIGGER rhip_test_slow ON {table}"))
            conn.execute(sa.text("DROP FUNCTION rhip_test_slow()"))


def _until_written(p: Platform, *cells: str) -> None:
    """Until each cell's transaction has written its record, uncommitted (PostgreSQL: its
    lock on the table, seen in pg_locks), while the claim is held up in the locator. On
    SQLite the transaction starts only once the claim is answered: a moment for the call to
    reach the locator."""
    if not _postgres(p):
        time.sleep(0.5)
        return
    query = sa.text(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'health_record'"
        " AND n.nspname = current_schema() AND l.mode = 'RowExclusiveLock' AND l.granted"
        " AND l.pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + 10
    for cell in cells:
        with _archives(p, cell).engine.connect() as conn:
            while not conn.execute(query).scalar():
                assert time.monotonic() < deadline, f"{cell} wrote no record while the claim waited"
                time.sleep(0.02)


def _written(p: Platform, cell: str) -> dict[str, Any]:
    """What a creation leaves in a cell's archives database: records, their history, timeline
    entries, request keys, serials, and record.create audit events."""
    with _archives(p, cell).engine.connect() as conn:

        def count(sql: str) -> int:
            return int(conn.execute(sa.text(sql)).scalar_one())

        return {
            "records": count("SELECT count(*) FROM health_record"),
            "history": count("SELECT count(*) FROM record_event"),
            "timeline": count("SELECT count(*) FROM outbox_event"),
            "request keys": count("SELECT count(*) FROM request_key"),
            "audit": count("SELECT count(*) FROM audit_event WHERE action = 'record.create'"),
            "serials": sorted(
                tuple(r) for r in conn.execute(sa.text("SELECT * FROM record_serial"))
            ),
        }


def _claims(p: Platform) -> list[tuple[str, str]]:
    return sorted((str(r["cell"]), str(r["record_id"])) for r in p.claim_rows())


def _id(record: Any) -> str:
    return str(record.name).removeprefix("healthRecords/")


def _refusal(call: Future) -> grpc.RpcError:  # type: ignore[type-arg]
    with pytest.raises(grpc.RpcError) as refused:
        call.result(timeout=TIMEOUT)
    return refused.value


def _reason(error: grpc.RpcError) -> str:
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    for detail in rpc_status.from_call(error).details:  # type: ignore[union-attr]
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return str(info.reason)
    return ""


@pytest.mark.postgres_only  # the slow sides are PostgreSQL triggers; SQLite awaits the claim first
def test_the_claim_and_the_cells_own_writes_run_side_by_side(platform: Platform) -> None:
    p = platform
    xz = p.md("xz-doctor-1", "320300")
    _create(p, xz, _register(p, xz, _person(1), "320311"))  # warm: token, channels, caches
    started = time.monotonic()
    _create(p, xz, _register(p, xz, _person(2), "320311"))
    alone = time.monotonic() - started
    resident = _register(p, xz, _person(3), "320311")
    locator = sa.create_engine(p.locator_url)
    try:
        with (
            _slow_inserts(locator, "open_record_claim", DELAY),
            _slow_inserts(_archives(p, JIANGSU).engine, "health_record", DELAY),
        ):
            started = time.monotonic()
            record = _create(p, xz, resident)
            took = time.monotonic() - started
    finally:
        locator.dispose()
    assert took >= DELAY  # both sides were slowed
    # One after the other it would take both delays (2 s) on top of the creation's own time.
    assert took < alone + 1.5 * DELAY, (took, alone)
    assert (JIANGSU, _id(record)) in _claims(p)


def test_a_refused_claim_after_the_cells_writes_leaves_nothing_written(platform: Platform) -> None:
    p = platform
    xz, zz = p.md("xz-doctor-1", "320300"), p.md("zz-doctor-1", "370400")
    number = _person(4)
    held = _create(p, xz, _register(p, xz, number, "320311"))
    resident = _register(p, zz, number, "370402")
    _create(p, zz, _register(p, zz, _person(5), "370402"))  # the institution's serial exists
    before = _written(p, SHANDONG)
    with ThreadPoolExecutor(1) as pool:
        with _locator_held(p):
            call = pool.submit(_create, p, zz, resident)
            _until_written(p, SHANDONG)
        refused = _refusal(call)
    assert refused.code() == grpc.StatusCode.ALREADY_EXISTS
    assert _reason(refused) == "RECORD_EXISTS"
    assert _written(p, SHANDONG) == before  # serial, audit, history, timeline: all rolled back
    assert (JIANGSU, _id(held)) in _claims(p)
    assert all(cell == JIANGSU or record != _id(held) for cell, record in _claims(p))
    # The institution's next record takes the number the refused one had for a moment.
    following = _create(p, zz, _register(p, zz, _person(6), "370402"))
    serial = dict((r[0], r[1]) for r in before["serials"])
    assert int(following.record_number[-5:]) == max(serial.values())


def test_a_locator_not_answering_in_time_after_the_cells_writes_leaves_nothing(
    platform: Platform,
) -> None:
    p = platform
    xz = p.md("xz-doctor-1", "320300")
    _create(p, xz, _register(p, xz, _person(7), "320311"))
    resident = _register(p, xz, _person(8), "320311")
    before, claims = _written(p, JIANGSU), _claims(p)
    with ThreadPoolExecutor(1) as pool, _locator_held(p):
        call = pool.submit(_create, p, xz, resident)
        _until_written(p, JIANGSU)
        time.sleep(TIMEOUT_SECONDS + 0.5)  # past the claim's deadline
        down = _refusal(call)
    assert down.code() == grpc.StatusCode.UNAVAILABLE
    assert _reason(down) == "LOCATOR_UNAVAILABLE"
    assert _written(p, JIANGSU) == before
    time.sleep(0.5)  # the locator, free again, does not commit a claim its caller gave up on
    assert _claims(p) == claims
    assert _create(p, xz, resident).state  # once the locator answers again


def test_a_cell_refusal_while_the_claim_is_out_releases_the_claim_once_made(
    platform: Platform,
) -> None:
    p = platform
    xz = p.md("xz-doctor-1", "320300")
    resident = _register(p, xz, _person(9), "320311")
    record = _create(p, xz, resident)
    claims = _claims(p)
    with ThreadPoolExecutor(1) as pool:
        with _locator_held(p):
            call = pool.submit(_create, p, xz, resident)  # a second record in the same cell
            time.sleep(0.5)
        refused = _refusal(call)
    assert refused.code() == grpc.StatusCode.ALREADY_EXISTS
    assert _reason(refused) == "RECORD_EXISTS"
    # The locator made the second claim once free (the same cell's): released, as nothing
    # was written for it.
    assert _claims(p) == claims and (JIANGSU, _id(record)) in claims


@pytest.mark.postgres_only  # a commit that fails: a deferred PostgreSQL constraint trigger
def test_a_commit_failing_after_the_claim_was_made_releases_it(platform: Platform) -> None:
    p = platform
    xz = p.md("xz-doctor-1", "320300")
    _create(p, xz, _register(p, xz, _person(10), "320311"))
    resident = _register(p, xz, _person(11), "320311")
    before, claims = _written(p, JIANGSU), _claims(p)
    engine = _archives(p, JIANGSU).engine
    with engine.begin() as conn:  # the commit fails, as on a serialization failure
        conn.execute(sa.text(
            "CREATE FUNCTION rhip_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " RAISE EXCEPTION 'test: commit refused' USING ERRCODE = '40001'; END $$"
        ))  # fmt: skip
        conn.execute(sa.text(
            "CREATE CONSTRAINT TRIGGER rhip_test_fail AFTER INSERT ON health_record"
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION rhip_test_fail()"
        ))  # fmt: skip
    try:
        with pytest.raises(grpc.RpcError) as failed:
            _create(p, xz, resident)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TRIGGER rhip_test_fail ON health_record"))
            conn.execute(sa.text("DROP FUNCTION rhip_test_fail()"))
    assert failed.value.code() == grpc.StatusCode.UNAVAILABLE
    assert _written(p, JIANGSU) == before
    assert _claims(p) == claims  # made, then released
    assert _create(p, xz, resident).state


def test_a_slow_claim_holds_up_no_other_work_of_the_cell(platform: Platform) -> None:
    """Neither the audit chain's head (every audited call of the cell takes it) nor, on
    SQLite, the database's write lock is held while the claim is outstanding."""
    p = platform
    xz = p.md("xz-doctor-1", "320300")
    other = _create(p, xz, _register(p, xz, _person(12), "320311"))
    resident = _register(p, xz, _person(13), "320311")
    with ThreadPoolExecutor(1) as pool:
        with _locator_held(p):
            call = pool.submit(_create, p, xz, resident)
            _until_written(p, JIANGSU)
            started = time.monotonic()
            read = p.archives.GetHealthRecord(
                apb.GetHealthRecordRequest(name=other.name), metadata=xz, timeout=5
            )
            active = p.archives.ActivateHealthRecord(
                apb.ActivateHealthRecordRequest(name=other.name), metadata=xz, timeout=5
            )
            took = time.monotonic() - started
            waiting = not call.done()
        made = call.result(timeout=TIMEOUT)
    assert read.name == other.name and active.state
    assert waiting and took < DELAY, took  # done while the creation still waited
    assert (JIANGSU, _id(made)) in _claims(p)


@pytest.mark.parametrize("held", [True, False], ids=["claims-queued", "free"])
def test_two_cells_creating_the_persons_record_at_once_leave_one_open(
    platform: Platform, held: bool
) -> None:
    """Both cells write their record, uncommitted, while both claims wait in the locator
    (``held``), or in whatever order the machine runs them: one record is committed."""
    p = platform
    md = {JIANGSU: p.md("xz-doctor-1", "320300"), SHANDONG: p.md("zz-doctor-1", "370400")}
    region = {JIANGSU: "320311", SHANDONG: "370402"}
    for round_ in range(3):
        number = _person(20 + round_ + 10 * held)
        residents = {cell: _register(p, md[cell], number, region[cell]) for cell in md}
        start = threading.Barrier(2)

        def create(cell: str, start=start, residents=residents):  # type: ignore[no-untyped-def]
            start.wait(10)
            return _create(p, md[cell], residents[cell])

        with ThreadPoolExecutor(2) as pool:
            if held:
                with _locator_held(p):
                    calls = {cell: pool.submit(create, cell) for cell in md}
                    _until_written(p, JIANGSU, SHANDONG)
            else:
                calls = {cell: pool.submit(create, cell) for cell in md}
            outcomes: dict[str, Any] = {}
            for cell, call in calls.items():
                try:
                    outcomes[cell] = call.result(timeout=TIMEOUT)
                except grpc.RpcError as error:
                    outcomes[cell] = _reason(error)
        made = {cell: o for cell, o in outcomes.items() if not isinstance(o, str)}
        assert sorted(map(str, (o for o in outcomes.values() if isinstance(o, str)))) == [
            "RECORD_EXISTS"
        ], outcomes
        ((cell, record),) = made.items()
        assert (cell, _id(record)) in _claims(p)
        for each in md:
            listed = p.archives.ListHealthRecords(
                apb.ListHealthRecordsRequest(resident=residents[each], page_size=10),
                metadata=md[each], timeout=TIMEOUT,
            ).records  # fmt: skip
            assert [r.name for r in listed] == ([record.name] if each == cell else [])
