"""A health record imported from another cell brings its history onto the target cell's
lifetime timeline (#16), on SQLite and PostgreSQL: two cells behind a gateway, each running
emr with its cell account. The Zaozhuang clinic that takes over the Xuzhou man's record sees
its past there (created, check-up, follow-up…) dated as Xuzhou dated it and naming the Xuzhou
institution, once however the import is retried; when the record comes back to Xuzhou, its
first stay there (on the timeline already, under the trace) is not added again."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from archives.helpers import days_ago
from archives.test_moving_back import _back_to_xuzhou, _by_number, _confirm, _visit
from archives.two_cells import TIMEOUT, TwoCells, _record_in_xuzhou, _request, tenant_of
from conftest import postgres_schema
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.api.emr.v1 import emr_service_pb2 as epb
from rhip.api.emr.v1 import emr_service_pb2_grpc
from rhip.api.identity.v1 import resident_service_pb2 as rspb
from rhip.archives.repository import ArchivesRepository
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from rhip.kit.db import Database
from rhip.kit.errors import Unavailable
from rhip.kit.outbox import backlog
from rhip.kit.timeline_feed import STREAM
from support.errors import expect_error
from support.residents import XUZHOU_MAN, document, stub
from support.two_cells import cells_behind_gateway

Metadata = list[tuple[str, str]]


@pytest.fixture
def two(tmp_path: Path, database_url: str) -> Iterator[TwoCells]:
    """Jiangsu and Shandong behind a gateway, each with emr and its cell account."""
    schemas = ExitStack()

    def url(name: str) -> str:
        if database_url.startswith("sqlite"):
            return f"sqlite:///{tmp_path / name}.db"
        return schemas.enter_context(postgres_schema("x"))

    with schemas, cells_behind_gateway(tmp_path, url) as (gateway_address, cells):
        channel = grpc.insecure_channel(gateway_address)
        yield TwoCells(channel, archives_service_pb2_grpc.ArchivesServiceStub(channel), cells)
        channel.close()


def _wait(until: Callable[[], object], what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not until():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _timeline(t: TwoCells, md: Metadata) -> list[epb.TimelineEntry]:
    """The archives entries on the man's timeline in the caller's cell, oldest first."""
    man = stub(t.channel).LookupResident(
        rspb.LookupResidentRequest(document=document(XUZHOU_MAN)), metadata=md, timeout=TIMEOUT
    )
    reply = emr_service_pb2_grpc.EmrServiceStub(t.channel).ListTimeline(
        epb.ListTimelineRequest(parent=f"residents/{man.resident_id}", page_size=200),
        metadata=md, timeout=TIMEOUT,
    )  # fmt: skip
    return [e for e in reversed(reply.entries) if e.source == "archives"]


def _check_up(t: TwoCells, record: str, md: Metadata, day: str) -> str:
    check_up = rec.CheckUp(
        exam_date=day, symptoms=[1], temperature_celsius=36.6, pulse=72, respiration=16,
        bp_left=rec.BloodPressure(systolic=128, diastolic=82), height_cm=172, weight_kg=70,
        waist_cm=86, exercise_frequency=2, smoking_status=1, health_evaluation=1,
    )  # fmt: skip
    made = t.api.CreateCheckUp(
        apb.CreateCheckUpRequest(parent=record, check_up=check_up), metadata=md, timeout=TIMEOUT
    )
    return str(made.name)


def _history(t: TwoCells, record: str, md: Metadata) -> list[apb.ResourceEvent]:
    request = apb.ListRecordEventsRequest(parent=record, page_size=100)
    return list(t.api.ListRecordEvents(request, metadata=md, timeout=TIMEOUT).events)


def _settled(t: TwoCells) -> None:
    """Every timeline entry archives queued in either cell is in emr: nothing left to send."""

    def drained(db: Database) -> bool:
        with db.read() as conn:
            waiting = backlog(conn, now=datetime.now(UTC))
        return not any(s.pending or s.dead for s in waiting if s.stream == STREAM)

    for db in [cell.cell.part("archives").db for cell in t.cells.values()]:
        _wait(lambda db=db: drained(db), "the outbox to drain")


def test_the_records_past_joins_the_target_cells_timeline_once(two: TwoCells) -> None:
    t = two
    xz, zz = t.md("xz-doctor-1", "320300"), t.md("zz-doctor-1", "370400")
    record = _record_in_xuzhou(t, xz)
    check_up = _check_up(t, record.name, xz, days_ago(30))
    _visit(t, record.name, xz)  # a follow-up visit, yesterday
    _wait(lambda: len(_timeline(t, xz)) == 5, "Xuzhou's own entries")
    at_source = {e.kind: e for e in _timeline(t, xz)}
    xz_name = at_source["RECORD_CREATED"].tenant_display_name
    assert xz_name and at_source["RECORD_CREATED"].tenant == f"tenants/{tenant_of(xz)}"

    transfer = _request(t, zz)
    assert _timeline(t, zz) == []  # nothing of the man's history in Zaozhuang yet
    # The source loses the import's answer (the target had committed) and confirms again: the
    # target's import answers its first result, and brings nothing twice.
    cells = t.cells["320000"].cell.part("archives").usecases.cells
    real_import = cells.import_record

    def import_then_fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        real_import(*args, **kwargs)
        raise Unavailable("the source lost the answer")

    cells.import_record = import_then_fail
    confirm = apb.ConfirmRecordTransferRequest(name=transfer.name, request_id=str(uuid.uuid4()))
    try:
        expect_error(
            lambda: t.api.ConfirmRecordTransfer(confirm, metadata=xz, timeout=TIMEOUT),
            grpc.StatusCode.UNAVAILABLE,
        )
    finally:
        cells.import_record = real_import
    done = t.api.ConfirmRecordTransfer(confirm, metadata=xz, timeout=TIMEOUT)
    assert done.state == apb.TRANSFER_STATE_COMPLETED
    [moved] = _by_number(t, record.record_number, zz)
    source_history = {e.kind: e for e in _history(t, record.name, xz)}
    # Everything in the bundle: the history as it stood when Xuzhou handed the record over.
    brought = [e.kind for e in _history(t, record.name, xz) if e.kind != "TRANSFERRED"]
    _wait(lambda: len(_timeline(t, zz)) == len(brought) + 1, "the history in Zaozhuang")
    _settled(t)
    here = _timeline(t, zz)
    kinds = Counter(e.kind for e in here)
    assert kinds == Counter([f"RECORD_{k}" for k in brought] + ["RECORD_TRANSFERRED_IN"])
    for e in here:
        assert e.target.startswith(moved.name)  # read here as the record is here
        if e.kind == "RECORD_TRANSFERRED_IN":
            assert e.tenant == f"tenants/{tenant_of(zz)}"  # what happened here, by whom here
            continue
        was = source_history[e.kind.removeprefix("RECORD_")]
        assert e.occur_time == was.event_time  # dated as the source dated it
        assert (e.tenant, e.tenant_display_name) == (f"tenants/{tenant_of(xz)}", xz_name)
    by_kind = {e.kind: e for e in here}
    assert by_kind["RECORD_CHECK_UP"].clinical_date == days_ago(30)  # the exam's day
    assert by_kind["RECORD_CHECK_UP"].target == f"{moved.name}/checkUps/" + check_up.split("/")[-1]
    assert by_kind["RECORD_FOLLOW_UP"].clinical_date == days_ago(1)  # the visit's day
    # The source's timeline keeps its own, for the institution that still reads the trace.
    assert Counter(e.kind for e in _timeline(t, xz))["RECORD_CREATED"] == 1


def test_a_record_that_comes_back_adds_only_what_happened_away(two: TwoCells) -> None:
    t = two
    xz, zz = t.md("xz-doctor-1", "320300"), t.md("zz-doctor-1", "370400")
    record = _record_in_xuzhou(t, xz)
    _confirm(t, _request(t, zz), xz)
    [in_zaozhuang] = _by_number(t, record.record_number, zz)
    _visit(t, in_zaozhuang.name, zz)  # what happens in Zaozhuang meanwhile
    _check_up(t, in_zaozhuang.name, zz, days_ago(2))
    _wait(lambda: any(e.kind == "RECORD_FOLLOW_UP" for e in _timeline(t, zz)), "the visit")
    _confirm(t, _back_to_xuzhou(t, record.resident, xz), zz)
    _wait(
        lambda: Counter(e.kind for e in _timeline(t, xz))["RECORD_TRANSFERRED_IN"] == 2,
        "the return",
    )  # its arrival in Zaozhuang (brought back) and here
    _settled(t)
    back = Counter(e.kind for e in _timeline(t, xz))
    # Each event of the record's life once: its first stay here (the trace's entries, up to
    # its leaving), the visit and the moves in Zaozhuang (brought back), its return.
    returned = next(
        r for r in _by_number(t, record.record_number, xz) if r.state == rec.RECORD_STATE_ACTIVE
    )
    lived = Counter(f"RECORD_{e.kind}" for e in _history(t, returned.name, xz))
    assert back == lived + Counter(["RECORD_TRANSFERRED"]), (back, lived)
    assert back["RECORD_CREATED"] == back["RECORD_FOLLOW_UP"] == back["RECORD_CHECK_UP"] == 1
    # The record came back under a new id, and so did its rows: the entry names the check-up
    # as it is here.
    [check_up] = t.api.ListCheckUps(
        apb.ListCheckUpsRequest(parent=returned.name), metadata=xz, timeout=TIMEOUT
    ).check_ups
    assert [e.target for e in _timeline(t, xz) if e.kind == "RECORD_CHECK_UP"] == [check_up.name]


def test_odd_values_in_a_bundle_never_fail_the_import_or_strand_an_entry(two: TwoCells) -> None:
    """The bundle comes from another cell: a name emr would refuse is dropped, an event whose
    kind emr would refuse stays in the history only, a detail that is no JSON names the record
    itself; the import succeeds and every entry it queued reaches emr."""
    t = two
    xz, zz = t.md("xz-doctor-1", "320300"), t.md("zz-doctor-1", "370400")
    record = _record_in_xuzhou(t, xz)
    transfer = _request(t, zz)
    jiangsu = t.cells["320000"].cell.part("archives")
    with jiangsu.db.read() as conn:
        bundle = ArchivesRepository(conn).export_bundle(record.record_id)
    bundle["keeper_name"] = "泉山\x00中心"
    events = sorted(bundle["events"], key=lambda e: e["id"])
    events[0]["kind"] = "A" * 38  # fits the history's column, not emr's kind
    events[1]["detail"] = "{not json"
    caller = Principal("user:xz", PrincipalKind.PRACTITIONER, "t", "320311")
    with acting_as(caller, xz[0][1].removeprefix("Bearer ")):
        jiangsu.usecases.cells.import_record(
            "370402", transfer.name.removeprefix("recordTransfers/"), bundle
        )
    _wait(lambda: any(e.kind == "RECORD_TRANSFERRED_IN" for e in _timeline(t, zz)), "the import")
    _settled(t)  # nothing waits or is dead-lettered
    here = _timeline(t, zz)
    assert len(here) == len(events)  # all but the odd kind, and the arrival
    assert {e.tenant_display_name for e in here if e.kind != "RECORD_TRANSFERRED_IN"} == {""}
    [odd] = [e for e in here if e.kind == f"RECORD_{events[1]['kind']}"]
    assert odd.target.startswith("healthRecords/") and odd.target.count("/") == 1
