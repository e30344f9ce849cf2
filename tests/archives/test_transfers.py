"""Moving a record between two institutions of one cell (档随人走): the new institution asks
with the resident's consent, the managing one confirms or declines with a reason; on confirm
the record, its history and its open plans move once; the source keeps a trace."""

from __future__ import annotations

import uuid

import grpc
from archives.helpers import Archives, days_ago
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from support.errors import expect_error
from support.residents import XUZHOU_MAN, register_request
from support.residents import stub as resident_stub


def _consent() -> apb.TransferConsent:
    return apb.TransferConsent(
        method="signed_form", consent_date=days_ago(1), reference="同意书-001"
    )


def _setup(a: Archives) -> rec.HealthRecord:
    """The man's record at Quanshan, in the hypertension programme with one visit; he now
    lives in Tongshan and presents at its township hospital."""
    record = a.active("man")
    a.api.StartFollowUpPlan(
        apb.StartFollowUpPlanRequest(
            parent=record.name, program=rec.PROGRAM_HYPERTENSION, first_due_date=days_ago(40)
        ),
        metadata=a.md("qs-doctor"),
    )
    a.api.RecordFollowUp(
        apb.RecordFollowUpRequest(
            parent=record.name,
            follow_up=rec.FollowUp(
                program=rec.PROGRAM_HYPERTENSION, visit_date=days_ago(30),
                blood_pressure=rec.BloodPressure(systolic=150, diastolic=95),
            ),
        ),
        metadata=a.md("qs-doctor"),
    )  # fmt: skip
    resident_stub(a.running.channel).RegisterResident(
        register_request(XUZHOU_MAN, name="张三", region="320312"), metadata=a.md("ts-doctor")
    )
    return record


def _request(a: Archives, request_id: str = "", **fields) -> apb.RecordTransfer:  # type: ignore[no-untyped-def]
    return a.api.RequestRecordTransfer(
        apb.RequestRecordTransferRequest(
            resident=a.residents["man"],
            consent=fields.pop("consent", _consent()),
            reason=fields.pop("reason", "迁居铜山"),
            request_id=request_id,
        ),
        metadata=a.md(fields.pop("who", "ts-doctor")),
    )


def test_confirmed_transfer_moves_the_record_history_and_open_plans_once(
    archives: Archives,
) -> None:
    a = archives
    record = _setup(a)
    request_id = str(uuid.uuid4())
    transfer = _request(a, request_id)
    assert transfer.state == apb.TRANSFER_STATE_PENDING
    assert transfer.source_tenant == a.tenant("qs-chc") and transfer.destination_tenant == a.tenant(
        "ts-th"
    )
    assert transfer.consent.method == "signed_form"
    assert _request(a, request_id).name == transfer.name  # a retry, not a second request
    pending = a.api.GetHealthRecord(
        apb.GetHealthRecordRequest(name=record.name), metadata=a.md("qs-doctor")
    )
    assert pending.state == rec.RECORD_STATE_TRANSFER_PENDING
    expect_error(lambda: _request(a), grpc.StatusCode.FAILED_PRECONDITION, "RECORD_STATE")
    # Only the managing institution decides.
    confirm = apb.ConfirmRecordTransferRequest(name=transfer.name, request_id=str(uuid.uuid4()))
    expect_error(
        lambda: a.api.ConfirmRecordTransfer(confirm, metadata=a.md("ts-doctor")),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    done = a.api.ConfirmRecordTransfer(confirm, metadata=a.md("qs-doctor"))
    assert done.state == apb.TRANSFER_STATE_COMPLETED and done.moved_plans == 1
    again = a.api.ConfirmRecordTransfer(confirm, metadata=a.md("qs-doctor"))
    assert again.state == apb.TRANSFER_STATE_COMPLETED and again.decide_time == done.decide_time
    moved = a.api.GetHealthRecord(
        apb.GetHealthRecordRequest(name=record.name), metadata=a.md("ts-doctor")
    )
    assert moved.state == rec.RECORD_STATE_ACTIVE
    assert moved.managing_tenant == a.tenant("ts-th") and moved.creating_tenant == a.tenant(
        "qs-chc"
    )
    assert moved.record_number == record.record_number  # never renumbered
    events = a.api.ListRecordEvents(
        apb.ListRecordEventsRequest(parent=record.name), metadata=a.md("ts-doctor")
    )
    kinds = [e.kind for e in events.events]
    assert kinds == [
        "CREATED",
        "ACTIVATED",
        "PLAN_STARTED",
        "FOLLOW_UP",
        "TRANSFER_REQUESTED",
        "TRANSFERRED",
    ]
    visits = a.api.ListFollowUps(
        apb.ListFollowUpsRequest(parent=record.name), metadata=a.md("ts-doctor")
    )
    assert len(visits.follow_ups) == 1
    overdue = a.api.ListOverdueFollowUpPlans(
        apb.ListOverdueFollowUpPlansRequest(parent=a.tenant("ts-th")), metadata=a.md("ts-doctor")
    )
    assert [p.record for p in overdue.plans] == [record.name]
    old = a.api.ListOverdueFollowUpPlans(
        apb.ListOverdueFollowUpPlansRequest(parent=a.tenant("qs-chc")), metadata=a.md("qs-doctor")
    )
    assert list(old.plans) == []
    # The source no longer reads the record but keeps the trace of the handover.
    expect_error(
        lambda: a.api.GetHealthRecord(
            apb.GetHealthRecordRequest(name=record.name), metadata=a.md("qs-doctor")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    trace = a.api.ListRecordTransfers(
        apb.ListRecordTransfersRequest(parent=a.tenant("qs-chc")), metadata=a.md("qs-doctor")
    )
    assert [(t.record_number, t.state) for t in trace.transfers] == [
        (record.record_number, apb.TRANSFER_STATE_COMPLETED)
    ]
    got = a.api.GetRecordTransfer(
        apb.GetRecordTransferRequest(name=transfer.name), metadata=a.md("qs-doctor")
    )
    assert got.destination_tenant == a.tenant("ts-th")
    expect_error(
        lambda: a.api.GetRecordTransfer(
            apb.GetRecordTransferRequest(name=transfer.name), metadata=a.md("nj-doctor")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    # Exactly one record for the resident, now at Tongshan.
    listed = a.api.ListHealthRecords(
        apb.ListHealthRecordsRequest(resident=a.residents["man"]), metadata=a.md("xz-admin")
    )
    assert [(r.name, r.managing_tenant) for r in listed.records] == [
        (record.name, a.tenant("ts-th"))
    ]


def test_declined_transfer_needs_a_reason_and_leaves_the_record(archives: Archives) -> None:
    a = archives
    record = _setup(a)
    transfer = _request(a)
    decline = apb.DeclineRecordTransferRequest(name=transfer.name)
    expect_error(
        lambda: a.api.DeclineRecordTransfer(decline, metadata=a.md("qs-doctor")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REASON_REQUIRED",
    )
    decline.reason = "居民仍在本辖区居住"
    declined = a.api.DeclineRecordTransfer(decline, metadata=a.md("qs-doctor"))
    assert (
        declined.state == apb.TRANSFER_STATE_DECLINED and declined.decline_reason == decline.reason
    )
    kept = a.api.GetHealthRecord(
        apb.GetHealthRecordRequest(name=record.name), metadata=a.md("qs-doctor")
    )
    assert kept.state == rec.RECORD_STATE_ACTIVE and kept.managing_tenant == a.tenant("qs-chc")
    expect_error(
        lambda: a.api.ConfirmRecordTransfer(
            apb.ConfirmRecordTransferRequest(name=transfer.name), metadata=a.md("qs-doctor")
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "TRANSFER_STATE",
    )


def test_a_transfer_needs_consent_and_a_visible_resident(archives: Archives) -> None:
    a = archives
    _setup(a)
    error = expect_error(
        lambda: _request(a, consent=apb.TransferConsent(), reason=""),
        grpc.StatusCode.INVALID_ARGUMENT,
        "CONSENT_REQUIRED",
    )
    assert {v.field for v in error.violations} == {
        "consent.method",
        "consent.consent_date",
        "reason",
    }
    expect_error(
        lambda: _request(a, who="qs-doctor"), grpc.StatusCode.FAILED_PRECONDITION, "ALREADY_MANAGED"
    )
    expect_error(lambda: _request(a, who="nj-doctor"), grpc.StatusCode.PERMISSION_DENIED)
    expect_error(
        lambda: _request(a, who="qs-hosp-doctor"),
        grpc.StatusCode.FAILED_PRECONDITION,
        "TENANT_NOT_GRASSROOTS",
    )
