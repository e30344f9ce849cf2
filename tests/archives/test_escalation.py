"""Escalation of a transfer the two institutions cannot agree on (档随人走, issue 5): after a
decline, or a request left unanswered for the configured days, either institution escalates;
the county/district administrators of both sides (or one above them) approve, and the
transfer proceeds like a confirm, or either rejects with a reason and it is CLOSED for good."""

from __future__ import annotations

import grpc
import pytest
from archives.helpers import Archives
from archives.test_transfers import _request, _setup
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.archives.transfers.domain import TransferState, require_escalation, require_transfer_move
from rhip.identity.directory.usecases import UserDraft
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from rhip.kit.errors import FailedPrecondition
from support.cells import PASSWORD
from support.errors import expect_error


def _add_tongshan_admin(a: Archives) -> None:
    admin = Principal(
        f"user:{a.world.users['xz-admin']}", PrincipalKind.REGIONAL_ADMIN, "", "320300"
    )
    with acting_as(admin):
        user = a.running.usecases.create_user(
            UserDraft("ts-admin", "ts-admin", PrincipalKind.REGIONAL_ADMIN, "", "320312"),
            PASSWORD,
            "",
        )
    a.world.users["ts-admin"] = user.user_id


def _declined(a: Archives) -> tuple[rec.HealthRecord, apb.RecordTransfer]:
    record = _setup(a)
    transfer = _request(a)
    a.api.DeclineRecordTransfer(
        apb.DeclineRecordTransferRequest(name=transfer.name, reason="居民仍在本辖区居住"),
        metadata=a.md("qs-doctor"),
    )
    return record, transfer


def _escalate(a: Archives, name: str, who: str = "ts-doctor", reason: str = "双方意见不一致"):  # type: ignore[no-untyped-def]
    return a.api.EscalateRecordTransfer(
        apb.EscalateRecordTransferRequest(name=name, reason=reason), metadata=a.md(who)
    )


def _approve(a: Archives, name: str, who: str) -> apb.RecordTransfer:
    return a.api.ApproveRecordTransfer(
        apb.ApproveRecordTransferRequest(name=name), metadata=a.md(who)
    )


def _record(a: Archives, name: str, who: str = "xz-admin") -> rec.HealthRecord:
    return a.api.GetHealthRecord(apb.GetHealthRecordRequest(name=name), metadata=a.md(who))


def test_the_escalation_moves_of_the_state_machine() -> None:
    require_transfer_move(TransferState.DECLINED, TransferState.ESCALATED)
    require_transfer_move(TransferState.ESCALATED, TransferState.CLOSED)
    require_transfer_move(TransferState.ESCALATED, TransferState.HANDING_OVER)
    for state, target in (
        (TransferState.CLOSED, TransferState.ESCALATED),
        (TransferState.CLOSED, TransferState.COMPLETED),
        (TransferState.COMPLETED, TransferState.ESCALATED),
        (TransferState.HANDING_OVER, TransferState.ESCALATED),
        (TransferState.HANDING_OVER, TransferState.CLOSED),
        (TransferState.ESCALATED, TransferState.DECLINED),
    ):
        with pytest.raises(FailedPrecondition):
            require_transfer_move(state, target)
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 1, 20, tzinfo=UTC)
    with pytest.raises(FailedPrecondition) as early:
        require_escalation(TransferState.PENDING, now - timedelta(days=13), now, 14)
    assert early.value.reason == "ESCALATION_TOO_EARLY"
    require_escalation(TransferState.PENDING, now - timedelta(days=14), now, 14)
    require_escalation(TransferState.DECLINED, now, now, 14)


def test_both_counties_approve_and_the_record_moves_once(archives: Archives) -> None:
    a = archives
    _add_tongshan_admin(a)
    record, transfer = _declined(a)
    # A declined transfer cannot be confirmed; the other admins cannot decide before escalation.
    expect_error(
        lambda: _approve(a, transfer.name, "qs-admin"),
        grpc.StatusCode.FAILED_PRECONDITION,
        "TRANSFER_STATE",
    )
    expect_error(
        lambda: _escalate(a, transfer.name, reason=""),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REASON_REQUIRED",
    )
    expect_error(
        lambda: _escalate(a, transfer.name, "nj-doctor"), grpc.StatusCode.PERMISSION_DENIED
    )
    escalated = _escalate(a, transfer.name)
    assert escalated.state == apb.TRANSFER_STATE_ESCALATED
    assert escalated.escalation.escalated_by == apb.TRANSFER_SIDE_DESTINATION
    assert escalated.escalation.reason == "双方意见不一致"
    assert _escalate(a, transfer.name, "qs-doctor").state == apb.TRANSFER_STATE_ESCALATED
    assert _record(a, record.name).state == rec.RECORD_STATE_TRANSFER_PENDING
    # While escalated, the institutions no longer decide.
    expect_error(
        lambda: a.api.ConfirmRecordTransfer(
            apb.ConfirmRecordTransferRequest(name=transfer.name), metadata=a.md("qs-doctor")
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "TRANSFER_ESCALATED",
    )
    # Administrators outside both counties, and clinicians, are refused.
    for who in ("nj-admin", "qs-doctor", "ts-doctor", "js-auditor"):
        expect_error(
            lambda who=who: _approve(a, transfer.name, who), grpc.StatusCode.PERMISSION_DENIED
        )
    source = _approve(a, transfer.name, "qs-admin")
    assert source.state == apb.TRANSFER_STATE_ESCALATED
    assert source.escalation.source_approved and not source.escalation.destination_approved
    again = _approve(a, transfer.name, "qs-admin")  # idempotent
    assert again.state == apb.TRANSFER_STATE_ESCALATED and again.escalation == source.escalation
    assert _record(a, record.name).managing_tenant == a.tenant("qs-chc")
    done = _approve(a, transfer.name, "ts-admin")
    assert done.state == apb.TRANSFER_STATE_COMPLETED and done.moved_plans == 1
    assert done.escalation.source_approved and done.escalation.destination_approved
    assert _approve(a, transfer.name, "ts-admin").state == apb.TRANSFER_STATE_COMPLETED
    moved = _record(a, record.name, "ts-doctor")
    assert moved.state == rec.RECORD_STATE_ACTIVE and moved.managing_tenant == a.tenant("ts-th")
    listed = a.api.ListHealthRecords(
        apb.ListHealthRecordsRequest(resident=a.residents["man"]), metadata=a.md("xz-admin")
    )
    assert [r.name for r in listed.records] == [record.name]
    expect_error(
        lambda: a.api.RejectRecordTransfer(
            apb.RejectRecordTransferRequest(name=transfer.name, reason="迟到的反对"),
            metadata=a.md("qs-admin"),
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "TRANSFER_STATE",
    )


def test_a_city_admin_above_both_counties_approves_for_both(archives: Archives) -> None:
    a = archives
    record, transfer = _declined(a)
    _escalate(a, transfer.name, "qs-doctor")
    done = _approve(a, transfer.name, "xz-admin")
    assert done.state == apb.TRANSFER_STATE_COMPLETED
    assert _record(a, record.name).managing_tenant == a.tenant("ts-th")


def test_either_side_rejects_with_a_reason_and_it_closes_for_good(archives: Archives) -> None:
    a = archives
    _add_tongshan_admin(a)
    record, transfer = _declined(a)
    _escalate(a, transfer.name)
    _approve(a, transfer.name, "qs-admin")
    reject = apb.RejectRecordTransferRequest(name=transfer.name)
    expect_error(
        lambda: a.api.RejectRecordTransfer(reject, metadata=a.md("ts-admin")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REASON_REQUIRED",
    )
    reject.reason = "居民未实际迁居"
    expect_error(
        lambda: a.api.RejectRecordTransfer(reject, metadata=a.md("nj-admin")),
        grpc.StatusCode.PERMISSION_DENIED,
        "NOT_SIDE_ADMIN",
    )
    assert _record(a, record.name).state == rec.RECORD_STATE_TRANSFER_PENDING
    closed = a.api.RejectRecordTransfer(reject, metadata=a.md("ts-admin"))
    assert closed.state == apb.TRANSFER_STATE_CLOSED
    assert closed.escalation.close_reason == "居民未实际迁居"
    assert closed.escalation.closed_by == apb.TRANSFER_SIDE_DESTINATION
    assert a.api.RejectRecordTransfer(reject, metadata=a.md("ts-admin")) == closed  # idempotent
    kept = _record(a, record.name)
    assert kept.state == rec.RECORD_STATE_ACTIVE and kept.managing_tenant == a.tenant("qs-chc")
    for call in (
        lambda: _approve(a, transfer.name, "ts-admin"),
        lambda: _escalate(a, transfer.name),
        lambda: a.api.ConfirmRecordTransfer(
            apb.ConfirmRecordTransferRequest(name=transfer.name), metadata=a.md("qs-doctor")
        ),
    ):
        expect_error(call, grpc.StatusCode.FAILED_PRECONDITION)
    # The record is free again: a new request may be made.
    assert _request(a).state == apb.TRANSFER_STATE_PENDING


def test_an_unanswered_request_escalates_only_after_the_configured_days(
    archives: Archives,
) -> None:
    a = archives
    record = _setup(a)
    transfer = _request(a)
    expect_error(
        lambda: _escalate(a, transfer.name),
        grpc.StatusCode.FAILED_PRECONDITION,
        "ESCALATION_TOO_EARLY",
    )
    assert _record(a, record.name).state == rec.RECORD_STATE_TRANSFER_PENDING
    uc = a.running.cell.part("archives").usecases
    uc.escalate_after_days = 0
    escalated = _escalate(a, transfer.name)
    assert escalated.state == apb.TRANSFER_STATE_ESCALATED
    assert _record(a, record.name).state == rec.RECORD_STATE_TRANSFER_PENDING


@pytest.mark.cell_env(RHIP_ARCHIVES_TRANSFER_ESCALATION_DAYS="3")
def test_the_escalation_deadline_comes_from_the_setting(archives: Archives) -> None:
    a = archives
    _setup(a)
    transfer = _request(a)
    error = expect_error(
        lambda: _escalate(a, transfer.name),
        grpc.StatusCode.FAILED_PRECONDITION,
        "ESCALATION_TOO_EARLY",
    )
    assert error.metadata["after_days"] == "3"
    assert a.running.cell.part("archives").usecases.escalate_after_days == 3


def test_escalating_a_missing_transfer_reveals_nothing(archives: Archives) -> None:
    a = archives
    missing = "recordTransfers/01890000-0000-7000-8000-000000000000"
    expect_error(lambda: _escalate(a, missing), grpc.StatusCode.PERMISSION_DENIED)
    expect_error(lambda: _approve(a, missing, "qs-admin"), grpc.StatusCode.PERMISSION_DENIED)
    expect_error(lambda: _approve(a, missing, "js-admin"), grpc.StatusCode.NOT_FOUND)
