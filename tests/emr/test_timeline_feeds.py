"""The lifetime timeline fed by archives and referral (#16): their entries reach emr's index
through their outboxes, in time order beside emr's documents, shown only to callers who may
read them at their source (a record transferred to another institution takes its entries with
it), exactly once even after emr was away, and a redelivery writes nothing. A cell with its own account (the feed's token) running every service."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from archives.helpers import complete_form, days_ago
from conftest import make_settings, postgres_schema
from emr.helpers import Emr, stamp, summary
from google.protobuf.timestamp_pb2 import Timestamp
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.api.emr.v1 import emr_internal_service_pb2 as ipb
from rhip.api.emr.v1 import emr_internal_service_pb2_grpc
from rhip.api.emr.v1 import emr_service_pb2 as pb
from rhip.api.identity.v1 import identity_service_pb2 as idpb
from rhip.api.referral.v1 import referral_pb2 as rpb
from rhip.api.referral.v1 import referral_service_pb2 as refpb
from rhip.api.referral.v1 import referral_service_pb2_grpc
from rhip.cell import build_cell
from rhip.kit.outbox_delivery import DeliveryFailed, Message, OutboxDelivery
from rhip.kit.tenancy import tenant_scope
from support.cells import RunningCell, start_cell
from support.errors import expect_error
from support.residents import register_request
from support.residents import stub as resident_stub

CELL_ID, CELL_SECRET = "cell-320000", "cell-secret-0123456789"
ARCHIVES_READ = "rhip.api.archives.v1.ArchivesService/GetHealthRecord"


@pytest.fixture
def running(
    tmp_path: Path, database_url: str, service_urls: dict[str, str]
) -> Iterator[RunningCell]:
    """The emr tests' cell, with the cell account (the feed's token) and referral's database."""
    if database_url.startswith("sqlite"):
        referral = f"sqlite:///{tmp_path / 'referral'}.db"
        schema = None
    else:
        schema = postgres_schema("r")
        referral = schema.__enter__()
    settings = make_settings(
        tmp_path, database_url,
        RHIP_ARCHIVES_DATABASE_URL=service_urls["archives"],
        RHIP_EMR_DATABASE_URL=service_urls["emr"], RHIP_REFERRAL_DATABASE_URL=referral,
        RHIP_CELL_CLIENT_ID=CELL_ID, RHIP_CELL_CLIENT_SECRET=CELL_SECRET,
    )  # fmt: skip
    cell = start_cell(settings)
    yield cell
    cell.channel.close()
    cell.cell.stop(0)
    if schema is not None:
        schema.__exit__(None, None, None)


def _delivery(emr: Emr, service: str) -> OutboxDelivery:
    delivery = emr.running.cell.part(service).timeline
    assert delivery is not None, f"{service} runs no timeline delivery"
    return delivery


def _timeline(emr: Emr, who: str, resident: str = "man") -> list[pb.TimelineEntry]:
    return list(
        emr.api.ListTimeline(
            pb.ListTimelineRequest(parent=emr.residents[resident], page_size=100),
            metadata=emr.md(who),
        ).entries
    )


def _wait(until: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not until():
        assert time.monotonic() < deadline, "the timeline did not catch up"
        time.sleep(0.2)


def _record_with_visits(emr: Emr) -> rec.HealthRecord:
    """The man's record at the Quanshan centre, activated, a check-up and a follow-up."""
    api = archives_service_pb2_grpc.ArchivesServiceStub(emr.running.channel)
    md = emr.md("qs-doctor")
    record = api.CreateHealthRecord(
        apb.CreateHealthRecordRequest(
            resident=emr.residents["man"], township_code="001", village_code="101",
            basic_info=complete_form(),
        ),
        metadata=md,
    )  # fmt: skip
    api.ActivateHealthRecord(apb.ActivateHealthRecordRequest(name=record.name), metadata=md)
    check_up = rec.CheckUp(
        exam_date=days_ago(3), symptoms=[1], temperature_celsius=36.6, pulse=72, respiration=16,
        bp_left=rec.BloodPressure(systolic=128, diastolic=82), height_cm=172, weight_kg=70,
        waist_cm=86, exercise_frequency=2, smoking_status=1, health_evaluation=1,
    )  # fmt: skip
    api.CreateCheckUp(apb.CreateCheckUpRequest(parent=record.name, check_up=check_up), metadata=md)
    api.StartFollowUpPlan(
        apb.StartFollowUpPlanRequest(parent=record.name, program=rec.PROGRAM_HYPERTENSION),
        metadata=md,
    )
    visit = rec.FollowUp(
        program=rec.PROGRAM_HYPERTENSION, visit_date=days_ago(1),
        blood_pressure=rec.BloodPressure(systolic=128, diastolic=80),
    )  # fmt: skip
    api.RecordFollowUp(apb.RecordFollowUpRequest(parent=record.name, follow_up=visit), metadata=md)
    return record


def _referral(emr: Emr) -> rpb.Referral:
    """Up from the Quanshan centre to the county hospital (hosp), submitted."""
    stub = referral_service_pb2_grpc.ReferralServiceStub(emr.running.channel)
    draft = rpb.Referral(
        direction=rpb.DIRECTION_UP, resident=emr.residents["man"],
        receiving_tenant=emr.tenant("hosp"), receiving_department="心内科",
        outward=rpb.OutwardForm(
            initial_impression="高血压3级", reason="连续两次血压未控制", past_history="高血压5年",
            treatment_so_far="氨氯地平5mg qd", allergy_history="无", referring_doctor="社区医生",
            referring_doctor_phone="0516-00000000",
        ),
        consent=rpb.ReferralConsent(
            method="signed_form", consent_date="2026-01-02", reference="同意书-1"
        ),
    )  # fmt: skip
    md = emr.md("qs-doctor")
    created = stub.CreateReferral(refpb.CreateReferralRequest(referral=draft), metadata=md)
    return stub.SubmitReferral(refpb.SubmitReferralRequest(name=created.name), metadata=md)


RECORD_KINDS = {
    "RECORD_CREATED", "RECORD_ACTIVATED", "RECORD_CHECK_UP", "RECORD_PLAN_STARTED",
    "RECORD_FOLLOW_UP",
}  # fmt: skip


def test_archives_and_referral_entries_join_emr_documents_in_time_order(emr: Emr) -> None:
    emr.submit(summary(emr.numbers["man"], "MZ-OLD", effective_time=stamp(30)))
    record = _record_with_visits(emr)
    referral = _referral(emr)
    emr.submit(summary(emr.numbers["man"], "MZ-NEW", effective_time=stamp(0)))

    def shown(who: str) -> list[pb.TimelineEntry]:
        return [e for e in _timeline(emr, who) if e.source != "emr"]

    # The keeper sees the record's events and the referral it sent.
    _wait(lambda: len(shown("qs-doctor")) == len(RECORD_KINDS) + 1)
    keeper = _timeline(emr, "qs-doctor")
    kinds = {e.kind for e in keeper if e.source == "archives"}
    assert kinds == RECORD_KINDS
    [sent] = [e for e in keeper if e.source == "referral"]
    assert sent.kind == "REFERRAL_SUBMITTED" and sent.target == referral.name
    check_up = next(e for e in keeper if e.kind == "RECORD_CHECK_UP")
    assert check_up.target.startswith(f"{record.name}/checkUps/")
    follow_up = next(e for e in keeper if e.kind == "RECORD_FOLLOW_UP")
    assert follow_up.target.startswith(f"{record.name}/followUps/")
    assert all(e.tenant == emr.tenant("qs-chc") for e in keeper if e.source == "archives")
    times = [(e.occur_time.seconds, e.occur_time.nanos) for e in keeper]
    assert times == sorted(times, reverse=True)  # newest first across the sources
    # The referral moves archives writes into the history come once, from referral.
    assert not any(e.kind.startswith("RECORD_REFERRAL_") for e in keeper)

    # The receiving hospital: its own documents and the referral, not the record's events
    # (it may not read the record at archives).
    hospital = _timeline(emr, "hosp-doctor")
    assert {e.source for e in hospital} == {"emr", "referral"}
    assert [e.target for e in hospital if e.source == "referral"] == [referral.name]
    docs = [e for e in hospital if e.source == "emr"]
    assert len(docs) == 2 and docs[0].occur_time.ToSeconds() > docs[1].occur_time.ToSeconds()
    # Another hospital of the county reads neither.
    assert not [e for e in _timeline(emr, "hosp2-doctor") if e.source != "emr"]


def test_entries_made_while_emr_is_away_arrive_once_it_is_back(emr: Emr) -> None:
    delivery = _delivery(emr, "archives")
    working = delivery.sender
    tries: list[str] = []

    def emr_down(message: Message) -> None:
        tries.append(message.event_id)
        raise DeliveryFailed("emr answered UNAVAILABLE")

    delivery.sender = emr_down
    try:
        _record_with_visits(emr)
        _wait(lambda: len(tries) >= 1)
        assert not [e for e in _timeline(emr, "qs-doctor") if e.source == "archives"]
    finally:
        delivery.sender = working  # emr is back: the retries (backoff of a few seconds) land
    _wait(lambda: {e.kind for e in _timeline(emr, "qs-doctor")} >= RECORD_KINDS)
    time.sleep(3)  # the later passes find nothing left to send
    entries = [e for e in _timeline(emr, "qs-doctor") if e.source == "archives"]
    assert sorted(e.kind for e in entries) == sorted(RECORD_KINDS)  # each exactly once


def test_a_record_transferred_in_the_cell_takes_its_entries_to_the_new_keeper(emr: Emr) -> None:
    """The record's past (created, activated, check-up, follow-up…) is read by its keeper at
    archives: after the transfer the Tongshan township hospital sees it on the timeline and
    the Quanshan centre, which may no longer read the record, no longer does."""
    record = _record_with_visits(emr)
    api = archives_service_pb2_grpc.ArchivesServiceStub(emr.running.channel)
    resident_stub(emr.running.channel).RegisterResident(
        register_request(emr.numbers["man"], name="张三", region="320312"),
        metadata=emr.md("ts-doctor"),
    )  # the man presents at the township hospital of Tongshan, where he now lives

    def archives_seen(who: str) -> list[str]:
        return sorted(
            e.target + " " + e.kind for e in _timeline(emr, who) if e.source == "archives"
        )

    _wait(lambda: len(archives_seen("qs-doctor")) == len(RECORD_KINDS))
    assert archives_seen("ts-doctor") == []
    transfer = api.RequestRecordTransfer(
        apb.RequestRecordTransferRequest(
            resident=emr.residents["man"], reason="迁居铜山", request_id=str(uuid.uuid4()),
            consent=apb.TransferConsent(
                method="signed_form", consent_date=days_ago(1), reference="同意书-9"
            ),
        ),
        metadata=emr.md("ts-doctor"),
    )  # fmt: skip
    api.ConfirmRecordTransfer(
        apb.ConfirmRecordTransferRequest(name=transfer.name, request_id=str(uuid.uuid4())),
        metadata=emr.md("qs-doctor"),
    )
    everything = len(RECORD_KINDS) + 2  # TRANSFER_REQUESTED, TRANSFERRED
    _wait(lambda: len(archives_seen("ts-doctor")) == everything)
    assert {k.split(" ")[1] for k in archives_seen("ts-doctor")} == RECORD_KINDS | {
        "RECORD_TRANSFER_REQUESTED", "RECORD_TRANSFERRED",
    }  # fmt: skip
    assert all(k.startswith(record.name) for k in archives_seen("ts-doctor"))
    # Exactly what archives shows each of them now.
    expect_error(
        lambda: api.GetHealthRecord(
            apb.GetHealthRecordRequest(name=record.name), metadata=emr.md("qs-doctor")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert archives_seen("qs-doctor") == []
    api.GetHealthRecord(apb.GetHealthRecordRequest(name=record.name), metadata=emr.md("ts-doctor"))


def _cell_stub(emr: Emr) -> tuple[emr_internal_service_pb2_grpc.EmrInternalServiceStub, list]:
    reply = emr.running.stub.Login(
        idpb.LoginRequest(
            client=idpb.ClientCredentials(client_id=CELL_ID, client_secret=CELL_SECRET)
        )
    )
    md = [("authorization", f"Bearer {reply.access_token}")]
    return emr_internal_service_pb2_grpc.EmrInternalServiceStub(emr.running.channel), md


def _entry(emr: Emr, event_id: str, scope: str) -> ipb.SourceTimelineEntry:
    when = Timestamp()
    when.GetCurrentTime()
    return ipb.SourceTimelineEntry(
        event_id=event_id, source="archives", resident=emr.residents["man"], occur_time=when,
        kind="RECORD_CHECK_UP", target="healthRecords/x", tenant=emr.tenant("qs-chc"),
        scope_paths=[scope], read_method=ARCHIVES_READ,
    )  # fmt: skip


def test_a_redelivery_writes_nothing_and_only_the_cell_writes(emr: Emr) -> None:
    stub, md = _cell_stub(emr)
    entry = _entry(emr, str(uuid.uuid4()), tenant_scope("320311", emr.world.tenants["qs-chc"]))
    request = ipb.RecordTimelineEntriesRequest(entries=[entry])
    assert stub.RecordTimelineEntries(request, metadata=md).recorded == 1
    assert stub.RecordTimelineEntries(request, metadata=md).recorded == 0
    assert [e.target for e in _timeline(emr, "qs-doctor")] == ["healthRecords/x"]  # once
    expect_error(
        lambda: stub.RecordTimelineEntries(request, metadata=emr.md("qs-doctor")),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    bad = _entry(emr, str(uuid.uuid4()), "86/32")
    bad.read_method = "rhip.api.emr.v1.EmrService/GetDocument"
    expect_error(
        lambda: stub.RecordTimelineEntries(
            ipb.RecordTimelineEntriesRequest(entries=[bad]), metadata=md
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="entries[0].read_method",
    )
    long = _entry(emr, str(uuid.uuid4()), "86/32")
    long.resident = "residents/" + "9" * 5000
    expect_error(
        lambda: stub.RecordTimelineEntries(
            ipb.RecordTimelineEntriesRequest(entries=[long]), metadata=md
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="entries[0].resident",
    )


def test_emr_answers_the_feed_on_its_own_loopback_port(emr: Emr) -> None:
    cell = emr.running.cell
    assert "emr" in cell.internal  # the sources' sends never wait on the public pool
    assert cell.part("archives").usecases.timeline and cell.part("referral").usecases.timeline


def test_a_cell_without_emr_runs_no_timeline_delivery_and_queues_nothing(
    tmp_path: Path, database_url: str, service_urls: dict[str, str]
) -> None:
    settings = make_settings(
        tmp_path, database_url,
        RHIP_ARCHIVES_DATABASE_URL=service_urls["archives"],
        RHIP_REFERRAL_DATABASE_URL=f"sqlite:///{tmp_path / 'referral'}.db",
        RHIP_CELL_CLIENT_ID=CELL_ID, RHIP_CELL_CLIENT_SECRET=CELL_SECRET,
    )  # fmt: skip
    cell = build_cell(settings, ("identity", "archives", "referral"))
    try:
        for service in ("archives", "referral"):
            part = cell.part(service)
            assert part.timeline is None and not part.usecases.timeline
            assert not cell.built[service].outboxes
        assert cell.part("referral").teleconsults.timeline is False
    finally:
        cell.stop(0)
