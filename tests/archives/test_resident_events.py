"""Identity's resident changes reach health records, on SQLite and PostgreSQL, with a real
identity and a real archives on loopback and the consumer running in the background: a death
terminates the open record, a merge moves records to the survivor (two open records are both
kept and flagged), an undo moves back exactly what moved, a replay changes nothing, and the
consumer outlives identity being down and catches up in pages."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from archives.helpers import QUANSHAN_WOMAN, TONGSHAN_MAN, Archives, days_ago
from archives.test_transfers import _request as _request_transfer
from archives.test_transfers import _setup as _setup_transfer
from conftest import make_settings
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.archives.settings import load_archives_settings
from rhip.cell import build_cell
from rhip.identity.residents.change_store import head_sequence
from rhip.kit import audit
from rhip.kit.config import ConfigError, Settings
from rhip.kit.resident_changes import ResidentChangesConsumer
from rhip.kit.schema import audit_event
from rhip.kit.telemetry import build_tracer_provider
from support.cells import RunningCell, World, build_world, start_cell
from support.platform import free_port
from support.residents import XUZHOU_MAN, pb, register_request
from support.residents import stub as resident_stub

CELL_ACCOUNT = {
    "RHIP_CELL_CLIENT_ID": "cell-320000",
    "RHIP_CELL_CLIENT_SECRET": "cell-secret-0123456789",
}
INTERVAL = {"RHIP_ARCHIVES_RESIDENT_EVENTS_INTERVAL_MS": "100"}
SYSTEM = "system:resident-events"


@pytest.fixture
def running(tmp_path: Path, database_url: str, archives_url: str) -> Iterator[RunningCell]:
    """An all-in-one cell whose archives follows identity's changes every 100 ms."""
    settings = make_settings(
        tmp_path, database_url, RHIP_ARCHIVES_DATABASE_URL=archives_url, **CELL_ACCOUNT, **INTERVAL
    )
    running = start_cell(settings)
    yield running
    running.channel.close()
    running.cell.stop(0)


def eventually(check: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    """Poll ``check`` until it returns something truthy (the consumer runs on its own)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _consumer(a: Archives) -> ResidentChangesConsumer:
    consumer = a.running.cell.part("archives").resident_events
    assert consumer is not None
    return consumer


def _get(a: Archives, name: str) -> rec.HealthRecord:
    return a.api.GetHealthRecord(apb.GetHealthRecordRequest(name=name), metadata=a.md("qs-doctor"))


def _events(a: Archives, name: str) -> list[Any]:
    reply = a.api.ListRecordEvents(
        apb.ListRecordEventsRequest(parent=name), metadata=a.md("qs-doctor")
    )
    return list(reply.events)


def _tasks(a: Archives, name: str) -> list[rec.Task]:
    reply = a.api.ListTasks(apb.ListTasksRequest(parent=name), metadata=a.md("qs-doctor"))
    return list(reply.tasks)


def _caught_up(a: Archives) -> bool:
    """The consumer's cursor reached identity's feed head."""
    with a.running.cell.part("identity").db.read() as conn:
        head = head_sequence(conn)
    return _consumer(a).events.cursor() == head


def _merge(a: Archives, survivor: str, merged: str) -> str:
    merge = resident_stub(a.running.channel).MergeResidents(
        pb.MergeResidentsRequest(
            survivor=a.residents[survivor], merged=a.residents[merged], reason="same person",
            request_id=str(uuid.uuid4()),
        ),
        metadata=a.md("qs-admin"),
    )  # fmt: skip
    return str(merge.name)


def _undo(a: Archives, merge: str) -> None:
    resident_stub(a.running.channel).UndoResidentMerge(
        pb.UndoResidentMergeRequest(name=merge, reason="two people after all"),
        metadata=a.md("qs-admin"),
    )


def _die(a: Archives, resident: str, day: str) -> None:
    resident_stub(a.running.channel).MarkResidentDeceased(
        pb.MarkResidentDeceasedRequest(name=a.residents[resident], death_date=day),
        metadata=a.md("qs-admin"),
    )


def test_a_death_terminates_the_open_record_and_closes_its_plans(archives: Archives) -> None:
    record = archives.active("man")
    archives.api.StartFollowUpPlan(
        apb.StartFollowUpPlanRequest(
            parent=record.name, program=rec.PROGRAM_HYPERTENSION, first_due_date=days_ago(3)
        ),
        metadata=archives.md("qs-doctor"),
    )
    overdue = apb.ListOverdueFollowUpPlansRequest(parent=archives.tenant("qs-chc"))
    listed = archives.api.ListOverdueFollowUpPlans(overdue, metadata=archives.md("qs-doctor"))
    assert [p.record for p in listed.plans] == [record.name]
    died = days_ago(2)
    _die(archives, "man", died)
    ended = eventually(
        lambda: (r := _get(archives, record.name)).state == rec.RECORD_STATE_TERMINATED and r,
        "the record to be terminated",
    )
    assert ended.termination_reason == rec.TERMINATION_REASON_DEATH
    assert ended.termination_date == died
    listed = archives.api.ListOverdueFollowUpPlans(overdue, metadata=archives.md("qs-doctor"))
    assert not listed.plans  # the plan closed with the record
    last = _events(archives, record.name)[-1]
    assert (last.kind, last.actor) == ("TERMINATED", SYSTEM)
    assert f"user:{archives.world.users['qs-admin']}" in last.detail_json  # on whose behalf
    with archives.running.cell.part("archives").db.read() as conn:
        rows = conn.execute(
            audit_event.select().where(audit_event.c.action == "record.terminate")
        ).all()
    assert [(r.actor, r.target) for r in rows] == [(SYSTEM, record.name)]


def test_a_death_declines_a_transfer_pending_within_the_cell(archives: Archives) -> None:
    """The man's record is asked for by Tongshan when he dies: the record ends, and the
    transfer with it (Quanshan cannot confirm what no longer moves)."""
    a = archives
    record = _setup_transfer(a)
    transfer = _request_transfer(a, str(uuid.uuid4()))
    assert _get(a, record.name).state == rec.RECORD_STATE_TRANSFER_PENDING
    _die(a, "man", days_ago(1))
    eventually(
        lambda: _get(a, record.name).state == rec.RECORD_STATE_TERMINATED,
        "the record to be terminated",
    )
    got = a.api.GetRecordTransfer(
        apb.GetRecordTransferRequest(name=transfer.name), metadata=a.md("qs-doctor")
    )
    assert got.state == apb.TRANSFER_STATE_DECLINED and "died" in got.decline_reason
    kinds = [(e.kind, e.actor) for e in _events(a, record.name)][-2:]
    assert kinds == [("TERMINATED", SYSTEM), ("TRANSFER_DECLINED", SYSTEM)]
    confirm = apb.ConfirmRecordTransferRequest(name=transfer.name, request_id=str(uuid.uuid4()))
    with pytest.raises(grpc.RpcError) as refused:
        a.api.ConfirmRecordTransfer(confirm, metadata=a.md("qs-doctor"))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_a_death_without_an_open_record_changes_nothing_and_moves_on(archives: Archives) -> None:
    _die(archives, "elder", days_ago(1))
    eventually(lambda: _caught_up(archives), "the consumer to pass the death")
    record = archives.active("man")  # later changes still arrive
    _die(archives, "man", days_ago(1))
    eventually(
        lambda: _get(archives, record.name).state == rec.RECORD_STATE_TERMINATED,
        "the second death to arrive",
    )


def test_a_merge_moves_every_record_to_the_survivor_and_its_undo_moves_them_back(
    archives: Archives,
) -> None:
    md = archives.md("qs-doctor")
    old = archives.active("elder")
    archives.api.TerminateHealthRecord(
        apb.TerminateHealthRecordRequest(
            name=old.name, reason=rec.TERMINATION_REASON_LOST_TO_FOLLOW_UP,
            termination_date=days_ago(30),
        ),
        metadata=md,
    )  # fmt: skip
    current = archives.active("elder")
    merge = _merge(archives, survivor="man", merged="elder")
    for name in (old.name, current.name):
        eventually(
            lambda name=name: _get(archives, name).resident == archives.residents["man"],
            "the record to follow the survivor",
        )
    assert _events(archives, current.name)[-1].kind == "RESIDENT_MERGED"
    # The survivor's records list them now.
    listed = archives.api.ListHealthRecords(
        apb.ListHealthRecordsRequest(resident=archives.residents["man"]), metadata=md
    )
    assert {r.name for r in listed.records} == {old.name, current.name}
    _undo(archives, merge)
    for name in (old.name, current.name):
        eventually(
            lambda name=name: _get(archives, name).resident == archives.residents["elder"],
            "the record to move back",
        )
    assert _get(archives, current.name).state == rec.RECORD_STATE_ACTIVE
    assert [e.kind for e in _events(archives, current.name)][-2:] == [
        "RESIDENT_MERGED",
        "RESIDENT_MERGE_UNDONE",
    ]


def test_an_undo_moves_back_only_what_the_merge_moved(archives: Archives) -> None:
    """A record the survivor had before the merge stays with the survivor after the undo."""
    own = archives.active("man")
    merge = _merge(archives, survivor="man", merged="elder")  # the elder has no record yet
    eventually(lambda: _caught_up(archives), "the merge to be applied")
    _undo(archives, merge)
    eventually(lambda: _caught_up(archives), "the undo to be applied")
    assert _get(archives, own.name).resident == archives.residents["man"]
    assert [e.kind for e in _events(archives, own.name)] == ["CREATED", "ACTIVATED"]


def test_two_open_records_of_one_person_are_both_kept_and_flagged(archives: Archives) -> None:
    kept = archives.active("man")
    duplicate = archives.active("elder")
    merge = _merge(archives, survivor="man", merged="elder")

    def flagged() -> list[rec.Task]:
        return [t for t in _tasks(archives, duplicate.name) if t.state == "open"]

    (task,) = eventually(flagged, "the duplicate to be flagged")
    assert (task.kind, task.related_record) == (rec.TASK_KIND_DUPLICATE_RECORD, kept.name)
    (other,) = _tasks(archives, kept.name)
    assert (other.kind, other.related_record, other.state) == (
        rec.TASK_KIND_DUPLICATE_RECORD, duplicate.name, "open",
    )  # fmt: skip
    # Neither record was dropped or moved: one open record per resident still holds.
    assert _get(archives, duplicate.name).state == rec.RECORD_STATE_ACTIVE
    assert _get(archives, duplicate.name).resident == archives.residents["elder"]
    assert _get(archives, kept.name).resident == archives.residents["man"]
    _undo(archives, merge)
    eventually(
        lambda: [t.state for t in _tasks(archives, kept.name)] == ["cancelled"],
        "the duplicate tasks to be cancelled",
    )
    assert [t.state for t in _tasks(archives, duplicate.name)] == ["cancelled"]


def test_replayed_changes_change_nothing(archives: Archives) -> None:
    moved = archives.active("elder")
    merge = _merge(archives, survivor="man", merged="elder")
    _undo(archives, merge)
    eventually(lambda: _caught_up(archives), "the merge and its undo to be applied")
    record = archives.active("man")
    _die(archives, "man", days_ago(1))
    eventually(
        lambda: (
            _caught_up(archives)
            and _get(archives, record.name).state == rec.RECORD_STATE_TERMINATED
        ),
        "every change to be applied",
    )

    def snapshot() -> tuple[Any, ...]:
        with archives.running.cell.part("archives").db.read() as conn:
            audited = audit.verify(conn).rows_checked
        return (
            audited,
            *[(_get(archives, n), _events(archives, n)) for n in (moved.name, record.name)],
        )

    before = snapshot()
    consumer = _consumer(archives)
    consumer.stop()  # one pass, run here
    consumer.events.reset_cursor(0)  # an operator replays the whole feed
    assert consumer.run_once() == 3
    assert _caught_up(archives)
    # The reads above were audited too: compare the records, their histories, and that the
    # replay itself audited nothing (only the snapshot's own reads were added).
    after = snapshot()
    assert after[1:] == before[1:]
    reads_per_snapshot = 4
    assert after[0] - before[0] == reads_per_snapshot


def _start(settings: Settings, services: tuple[str, ...], address: str) -> RunningCell:
    spans = InMemorySpanExporter()
    provider = build_tracer_provider("memory", "test-cell", memory=spans)
    cell = build_cell(settings, services, tracer_provider=provider)
    port = cell.start(address)
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    return RunningCell(cell, channel, identity_service_pb2_grpc.IdentityServiceStub(channel), spans)


def test_the_consumer_survives_identity_being_down_and_catches_up_in_pages(
    tmp_path: Path, database_url: str, archives_url: str
) -> None:
    """Identity and archives in separate cells (processes in production): identity stops,
    the consumer's passes fail and back off; identity comes back with three deaths recorded
    and the consumer applies them, two per page."""
    identity_address = f"127.0.0.1:{free_port()}"
    id_settings = make_settings(
        tmp_path, database_url, RHIP_ARCHIVES_DATABASE_URL=archives_url, **CELL_ACCOUNT
    )
    ar_settings = make_settings(
        tmp_path / "archives", database_url, RHIP_ARCHIVES_DATABASE_URL=archives_url,
        RHIP_IDENTITY_ADDRESS=identity_address, **CELL_ACCOUNT, **INTERVAL,
    )  # fmt: skip
    identity = _start(id_settings, ("identity",), identity_address)
    archives_cell = _start(ar_settings, ("archives",), "127.0.0.1:0")
    try:
        world: World = build_world(identity)
        # The archives process reads the grants from identity's database on its own schedule.
        archives_cell.cell.part("archives").authorizer.refresh()
        consumer = archives_cell.cell.part("archives").resident_events
        assert consumer is not None
        consumer.page_size = 2
        a = Archives(
            identity, world, archives_service_pb2_grpc.ArchivesServiceStub(archives_cell.channel)
        )
        residents = resident_stub(identity.channel)
        numbers = (XUZHOU_MAN, QUANSHAN_WOMAN, TONGSHAN_MAN)
        records = []
        for i, number in enumerate(numbers):
            reply = residents.RegisterResident(
                register_request(number, name="张三", region="320311"), metadata=a.md("qs-doctor")
            )
            a.residents[f"r{i}"] = reply.resident.name
            records.append(a.active(f"r{i}"))
        identity.channel.close()
        identity.cell.stop(0)
        failed_before = consumer.failures
        eventually(lambda: consumer.failures > failed_before, "a pass to fail")
        identity = _start(id_settings, ("identity",), identity_address)
        a.running = identity
        for i in range(len(numbers)):
            _die(a, f"r{i}", days_ago(1))
        for record in records:
            eventually(
                lambda record=record: _get(a, record.name).state == rec.RECORD_STATE_TERMINATED,
                "every death to arrive after identity came back",
            )
        eventually(lambda: consumer.failures == 0, "the consumer to report success")
        assert consumer.events.cursor() == 3
    finally:
        for running in (archives_cell, identity):
            running.channel.close()
            running.cell.stop(0)


@pytest.mark.parametrize("millis", ["soon", "10", "3600001"])
def test_the_interval_setting_is_validated(millis: str) -> None:
    assert load_archives_settings({}).resident_events_interval_seconds == 5.0
    assert load_archives_settings(INTERVAL).resident_events_interval_seconds == 0.1  # 100 ms
    with pytest.raises(ConfigError, match="RHIP_ARCHIVES_RESIDENT_EVENTS_INTERVAL_MS"):
        load_archives_settings({"RHIP_ARCHIVES_RESIDENT_EVENTS_INTERVAL_MS": millis})
