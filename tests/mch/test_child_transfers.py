"""A child's health management and vision record follow the child (DOMAIN §3.3, §3.4): the
managing institution asks another institution of the cell with the guardian's consent, only
the target accepts or declines, one open transfer per child; on acceptance the record with its
schedule, visits and vision history is the target's, the source keeps the transfer as its trace
and can no longer write; a handover to a school-health institution only at school entry
(5½–7 years); the source withdraws a pending transfer (with a reason) and the child's record
shows the open transfer meanwhile; a target in another cell is refused here (tests/mch/
test_child_transfers_cross_cell.py covers two cells); isolation and bad input."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import grpc
import pytest
from mch.child_support import A, N
from mch.child_support import enroll as _enroll
from mch.child_support import record_visit as _visit
from mch.child_support import register_child as _child
from mch.conftest import Mch, days_ago, error_info, error_reason, rid
from rhip.api.identity.v1 import qualification_service_pb2 as qpb
from rhip.api.mch.v1 import child_transfer_pb2 as tpb
from rhip.api.mch.v1 import indicators_pb2 as ipb
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.kit.errors import FailedPrecondition
from rhip.mch.child_transfers.domain import require_school_entry_age, require_under_seven
from rhip.mch.children.domain import add_months
from support.residents import document, register_request, with_check
from support.residents import pb as rpb
from support.residents import stub as resident_stub

PENDING = tpb.CHILD_TRANSFER_STATE_PENDING
ACCEPTED = tpb.CHILD_TRANSFER_STATE_ACCEPTED
DECLINED = tpb.CHILD_TRANSFER_STATE_DECLINED
WITHDRAWN = tpb.CHILD_TRANSFER_STATE_WITHDRAWN
TONGSHAN = "铜山镇卫生院"  # ts-th's name in the standard world (support/cells.py)


@pytest.fixture
def mch_env() -> dict[str, str]:
    # The target institution is looked up with the cell's own account.
    return {
        "RHIP_CELL_CLIENT_ID": "cell-320000",
        "RHIP_CELL_CLIENT_SECRET": "cell-secret-0123456789",
    }


def _request(mch: Mch, record: str, target: str, who: str = "qs-doctor", **fields):  # type: ignore[no-untyped-def]
    values = {
        "guardian_consent_reference": "GC-2026-0042",
        "consent_date": days_ago(1),
        "reason": "the family moved to Tongshan",
        "request_id": rid(),
        **fields,
    }
    return mch.api.RequestChildTransfer(
        mpb.RequestChildTransferRequest(name=record, target_tenant=mch.tenant(target), **values),
        metadata=mch.md(who),
    )


def _accept(mch: Mch, name: str, who: str = "ts-doctor") -> tpb.ChildTransfer:
    return mch.api.AcceptChildTransfer(
        mpb.AcceptChildTransferRequest(name=name), metadata=mch.md(who)
    )


def _decline(mch: Mch, name: str, reason: str, who: str = "ts-doctor") -> tpb.ChildTransfer:
    return mch.api.DeclineChildTransfer(
        mpb.DeclineChildTransferRequest(name=name, reason=reason), metadata=mch.md(who)
    )


def _withdraw(mch: Mch, name: str, reason: str, who: str = "qs-doctor") -> tpb.ChildTransfer:
    return mch.api.WithdrawChildTransfer(
        mpb.WithdrawChildTransferRequest(name=name, reason=reason), metadata=mch.md(who)
    )


def _get_record(mch: Mch, name: str, who: str = "qs-doctor"):  # type: ignore[no-untyped-def]
    return mch.api.GetChildRecord(mpb.GetChildRecordRequest(name=name), metadata=mch.md(who))


def _refused(call, code: grpc.StatusCode, reason: str | None = None):  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as caught:
        call()
    assert caught.value.code() == code, caught.value.details()
    info, fields = error_info(caught.value)
    if reason is not None:
        assert info is not None and info.reason == reason
    return info, fields


def _aged(mch: Mch, months: int, days: int = 0, seq: str = "013") -> str:
    """A child registered by ID number, ``months`` months (and ``days`` days) old today."""
    today = date.today()
    birth = add_months(today, -months)
    birth = date.fromordinal(birth.toordinal() - days)
    number = with_check(f"320311{birth:%Y%m%d}{seq}")
    reply = resident_stub(mch.running.channel).RegisterResident(
        register_request(number, name="王小明", region="320311"), metadata=mch.md("qs-doctor")
    )
    return reply.resident.name


def _records(mch: Mch, tenant: str, who: str) -> list[str]:
    listed = mch.api.ListChildRecords(
        mpb.ListChildRecordsRequest(parent=mch.tenant(tenant)), metadata=mch.md(who)
    )
    return [r.name for r in listed.records]


def _child_figures(mch: Mch, tenant: str) -> dict[str, tuple[int, int]]:
    """The institution's child-health management and eye-check coverage (num, den)."""
    got = mch.api.GetMchIndicators(
        ipb.GetMchIndicatorsRequest(parent=mch.tenant(tenant)), metadata=mch.md("xz-admin")
    )
    kinds = {
        ipb.MCH_INDICATOR_KIND_CHILD_HEALTH_MANAGEMENT_RATE: "managed",
        ipb.MCH_INDICATOR_KIND_EYE_CHECK_COVERAGE: "eye",
    }
    return {kinds[i.kind]: (i.numerator, i.denominator) for i in got.indicators if i.kind in kinds}


def test_accepted_transfer_moves_the_child_with_its_visits_and_vision_history(mch: Mch) -> None:
    record = _enroll(mch, _child(mch, 100))
    _visit(mch, record.name, days_ago(70), weight_kg=4.1)
    asked = _request(mch, record.name, "ts-th")
    assert asked.state == PENDING and asked.kind == tpb.CHILD_TRANSFER_KIND_TRANSFER
    assert (asked.source_tenant, asked.target_tenant) == (mch.tenant("qs-chc"), mch.tenant("ts-th"))
    # Until accepted the child stays at the source, which still writes (and nothing written
    # meanwhile is lost by the move).
    assert _records(mch, "qs-chc", "qs-doctor") == [record.name]
    seen = _visit(mch, record.name, days_ago(0), eye={"EYE_APPEARANCE": N, "RED_BALL": A})
    assert _child_figures(mch, "qs-chc") == {"managed": (1, 1), "eye": (1, 1)}
    assert _child_figures(mch, "ts-th") == {"managed": (0, 0), "eye": (0, 0)}
    done = _accept(mch, asked.name)
    assert done.state == ACCEPTED and done.moved_visits == 2 and done.HasField("decide_time")
    assert _accept(mch, asked.name) == done  # a retry: the child moved once
    # The same record, now the target's: schedule, visits, open referral with it.
    got = mch.api.GetChildRecord(
        mpb.GetChildRecordRequest(name=record.name), metadata=mch.md("ts-doctor")
    )
    assert got.managing_tenant == mch.tenant("ts-th") and got.open_referral == seen.name
    assert any(s.visit == seen.name for s in got.schedule)
    assert _records(mch, "ts-th", "ts-doctor") == [record.name]
    assert _records(mch, "qs-chc", "qs-doctor") == []
    vision = mch.api.GetChildVisionRecord(
        mpb.GetChildVisionRecordRequest(name=f"{record.name}/visionRecord"),
        metadata=mch.md("ts-doctor"),
    )
    assert [e.visit for e in vision.entries] == [seen.name]  # the weight-only visit has no eyes
    assert vision.entries[0].tenant == mch.tenant("qs-chc")  # recorded before the move
    assert {e.item: e.finding for e in vision.entries[0].eye} == {
        "EYE_APPEARANCE": N,
        "RED_BALL": A,
    }
    assert list(vision.transfers) == [asked.name]
    # The institution figures follow the child.
    assert _child_figures(mch, "qs-chc") == {"managed": (0, 0), "eye": (0, 0)}
    assert _child_figures(mch, "ts-th") == {"managed": (1, 1), "eye": (1, 1)}
    # The source can no longer write or read the child; it keeps the trace of the transfer.
    _refused(lambda: _visit(mch, record.name, days_ago(0)), grpc.StatusCode.PERMISSION_DENIED)
    _refused(
        lambda: mch.api.GetChildRecord(
            mpb.GetChildRecordRequest(name=record.name), metadata=mch.md("qs-doctor")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    _refused(lambda: _request(mch, record.name, "qs-hosp"), grpc.StatusCode.PERMISSION_DENIED)
    trace = mch.api.GetChildTransfer(
        mpb.GetChildTransferRequest(name=asked.name), metadata=mch.md("qs-doctor")
    )
    assert trace.state == ACCEPTED and trace.target_tenant == mch.tenant("ts-th")
    assert trace.decide_time == done.decide_time
    # The target writes: a visit with acuity history later shows in the vision record.
    after = _visit(mch, record.name, days_ago(0), who="ts-doctor", weight_kg=6.0)
    assert after.tenant == mch.tenant("ts-th")
    # Nothing duplicated: one record, now pointing at the target when the source tries again.
    info, _ = _refused(
        lambda: _enroll(mch, got.child), grpc.StatusCode.ALREADY_EXISTS, "CHILD_RECORD_EXISTS"
    )
    assert info.metadata["managing_tenant"] == mch.tenant("ts-th")


def test_only_the_target_accepts_or_declines_and_a_decline_keeps_the_child(mch: Mch) -> None:
    record = _enroll(mch, _child(mch, 100))
    asked = _request(mch, record.name, "ts-th")
    _refused(
        lambda: _accept(mch, asked.name, who="qs-doctor"),
        grpc.StatusCode.PERMISSION_DENIED,
        "TARGET_ONLY",
    )
    _refused(
        lambda: _decline(mch, asked.name, "no", who="qs-doctor"),
        grpc.StatusCode.PERMISSION_DENIED,
        "TARGET_ONLY",
    )
    for outsider in ("nj-doctor", "qs-hosp-doctor", "xz-admin"):
        info, _ = _refused(
            lambda who=outsider: _accept(mch, asked.name, who=who),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        assert info is None or info.reason != "TARGET_ONLY"  # nothing told about the transfer
    _refused(
        lambda: mch.api.GetChildTransfer(
            mpb.GetChildTransferRequest(name=asked.name), metadata=mch.md("nj-doctor")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    _, fields = _refused(lambda: _decline(mch, asked.name, "  "), grpc.StatusCode.INVALID_ARGUMENT)
    assert [f for f, _ in fields] == ["reason"]
    declined = _decline(mch, asked.name, "no capacity for eye care")
    assert declined.state == DECLINED and declined.decline_reason == "no capacity for eye care"
    assert _decline(mch, asked.name, "no capacity for eye care") == declined  # a retry
    _refused(
        lambda: _accept(mch, asked.name), grpc.StatusCode.FAILED_PRECONDITION, "TRANSFER_STATE"
    )
    # The child stays where it was, and the source still writes.
    assert _records(mch, "qs-chc", "qs-doctor") == [record.name]
    assert _visit(mch, record.name, days_ago(0), weight_kg=6.0).tenant == mch.tenant("qs-chc")


def test_the_record_shows_its_open_transfer_and_the_source_withdraws_it(mch: Mch) -> None:
    record = _enroll(mch, _child(mch, 100))
    assert not _get_record(mch, record.name).HasField("pending_transfer")
    asked = _request(mch, record.name, "ts-th")
    assert asked.target_tenant_display_name == TONGSHAN
    shown = _get_record(mch, record.name).pending_transfer
    assert (shown.transfer, shown.target_tenant, shown.target_tenant_display_name) == (
        asked.name, mch.tenant("ts-th"), TONGSHAN,
    )  # fmt: skip
    listed = mch.api.ListChildRecords(
        mpb.ListChildRecordsRequest(parent=mch.tenant("qs-chc")), metadata=mch.md("qs-doctor")
    )
    assert [r.pending_transfer.transfer for r in listed.records] == [asked.name]
    # A reason is required; only the source withdraws; an outsider learns nothing.
    _, fields = _refused(lambda: _withdraw(mch, asked.name, " "), grpc.StatusCode.INVALID_ARGUMENT)
    assert fields and fields[0][0] == "reason"
    info, _ = _refused(
        lambda: _withdraw(mch, asked.name, "x" * 501), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert info.reason == "TEXT_TOO_LONG"
    _refused(
        lambda: _withdraw(mch, asked.name, "not ours", who="ts-doctor"),
        grpc.StatusCode.PERMISSION_DENIED,
        "SOURCE_ONLY",
    )
    for outsider in ("nj-doctor", "qs-hosp-doctor"):
        info, _ = _refused(
            lambda who=outsider: _withdraw(mch, asked.name, "no", who=who),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        assert info is None or info.reason != "SOURCE_ONLY"
    still = mch.api.GetChildTransfer(
        mpb.GetChildTransferRequest(name=asked.name), metadata=mch.md("qs-doctor")
    )
    assert still.state == PENDING  # nothing written by the refused calls
    done = _withdraw(mch, asked.name, "the family stays in Quanshan")
    assert done.state == WITHDRAWN and done.withdraw_reason == "the family stays in Quanshan"
    assert done.HasField("decide_time") and done.decline_reason == ""
    assert _withdraw(mch, asked.name, "the family stays in Quanshan") == done  # a retry
    _refused(
        lambda: _withdraw(mch, asked.name, "another reason"),
        grpc.StatusCode.FAILED_PRECONDITION,
        "TRANSFER_STATE",
    )
    # The target can no longer answer it; the child stays, the record shows nothing open.
    _refused(
        lambda: _accept(mch, asked.name), grpc.StatusCode.FAILED_PRECONDITION, "TRANSFER_STATE"
    )
    _refused(
        lambda: _decline(mch, asked.name, "no"),
        grpc.StatusCode.FAILED_PRECONDITION,
        "TRANSFER_STATE",
    )
    got = _get_record(mch, record.name)
    assert got.managing_tenant == mch.tenant("qs-chc") and not got.HasField("pending_transfer")
    assert _visit(mch, record.name, days_ago(0), weight_kg=6.0).tenant == mch.tenant("qs-chc")
    listed_withdrawn = mch.api.ListChildTransfers(
        mpb.ListChildTransfersRequest(parent=mch.tenant("ts-th"), state=WITHDRAWN),
        metadata=mch.md("ts-doctor"),
    )
    assert [t.name for t in listed_withdrawn.transfers] == [asked.name]  # the target sees why
    again = _request(mch, record.name, "qs-hosp")  # the child may be asked for again
    assert _get_record(mch, record.name).pending_transfer.transfer == again.name


def test_only_a_pending_transfer_is_withdrawn(mch: Mch) -> None:
    record = _enroll(mch, _child(mch, 100))
    accepted = _request(mch, record.name, "ts-th")
    _accept(mch, accepted.name)
    _refused(
        lambda: _withdraw(mch, accepted.name, "too late"),
        grpc.StatusCode.FAILED_PRECONDITION,
        "TRANSFER_STATE",
    )  # the source still reaches its trace, but the child has moved
    other = _enroll(mch, _child(mch, 200))
    declined = _request(mch, other.name, "ts-th")
    _decline(mch, declined.name, "no capacity")
    _refused(
        lambda: _withdraw(mch, declined.name, "too late"),
        grpc.StatusCode.FAILED_PRECONDITION,
        "TRANSFER_STATE",
    )


def test_one_open_transfer_per_child_and_idempotent_requests(mch: Mch) -> None:
    record = _enroll(mch, _child(mch, 100))
    key = rid()
    asked = _request(mch, record.name, "ts-th", request_id=key)
    assert _request(mch, record.name, "ts-th", request_id=key) == asked  # a retry
    info, _ = _refused(
        lambda: _request(mch, record.name, "qs-hosp"),
        grpc.StatusCode.FAILED_PRECONDITION,
        "TRANSFER_PENDING",
    )
    assert info.metadata["target_tenant"] == mch.tenant("ts-th")
    assert info.metadata["transfer"] == asked.name
    _decline(mch, asked.name, "not ours")
    again = _request(mch, record.name, "qs-hosp")  # closed: the child may be asked for again
    assert again.state == PENDING and again.name != asked.name


def test_school_handover_only_at_school_entry_age(mch: Mch) -> None:
    mch.grant("qs-hosp", qpb.QUALIFICATION_KIND_SCHOOL_HEALTH)
    baby = _enroll(mch, _child(mch, 100))
    _refused(
        lambda: _request(mch, baby.name, "qs-hosp"),
        grpc.StatusCode.FAILED_PRECONDITION,
        "CHILD_NOT_SCHOOL_AGE",
    )
    almost = _enroll(mch, _aged(mch, 66, days=-1, seq="015"))  # a day short of 5½
    _refused(
        lambda: _request(mch, almost.name, "qs-hosp"),
        grpc.StatusCode.FAILED_PRECONDITION,
        "CHILD_NOT_SCHOOL_AGE",
    )
    six = _enroll(mch, _aged(mch, 72, seq="017"))
    _visit(
        mch, six.name, days_ago(0), acuity_left=0.8, acuity_right=0.5,
        eye={"VISUAL_ACUITY": N, "EYE_APPEARANCE": N},
    )  # fmt: skip
    handed = _request(mch, six.name, "qs-hosp", reason="school entry")
    assert handed.kind == tpb.CHILD_TRANSFER_KIND_SCHOOL_HANDOVER
    assert _accept(mch, handed.name, who="qs-hosp-doctor").state == ACCEPTED
    vision = mch.api.GetChildVisionRecord(
        mpb.GetChildVisionRecordRequest(name=f"{six.name}/visionRecord"),
        metadata=mch.md("qs-hosp-doctor"),
    )
    assert [(e.acuity_left, e.acuity_right) for e in vision.entries] == [(0.8, 0.5)]
    # A young child still moves to an institution without the school-health qualification.
    assert _request(mch, baby.name, "ts-th").kind == tpb.CHILD_TRANSFER_KIND_TRANSFER


def test_the_age_rules_hold_again_on_the_day_of_acceptance(mch: Mch) -> None:
    """A request made in time but accepted after the child left the age range is refused at
    acceptance and stays pending, for the target to decline."""
    mch.grant("qs-hosp", qpb.QUALIFICATION_KIND_SCHOOL_HEALTH)
    usecases = mch.running.cell.part("mch").usecases
    late = _enroll(mch, _aged(mch, 84, days=-2, seq="019"))  # turns 7 in two days
    handed = _request(mch, late.name, "qs-hosp", reason="school entry")
    assert handed.kind == tpb.CHILD_TRANSFER_KIND_SCHOOL_HANDOVER
    real = usecases.clock
    usecases.clock = lambda: real() + timedelta(days=3)  # accepted three days later
    try:
        _refused(
            lambda: _accept(mch, handed.name, who="qs-hosp-doctor"),
            grpc.StatusCode.FAILED_PRECONDITION,
            "CHILD_TOO_OLD",
        )
    finally:
        usecases.clock = real
    still = mch.api.GetChildTransfer(
        mpb.GetChildTransferRequest(name=handed.name), metadata=mch.md("qs-hosp-doctor")
    )
    assert still.state == tpb.CHILD_TRANSFER_STATE_PENDING
    assert late.name in _records(mch, "qs-chc", "qs-doctor")  # still the source's


def test_targets_in_another_cell_unknown_or_the_source_itself_are_refused(mch: Mch) -> None:
    record = _enroll(mch, _child(mch, 100))
    # Another cell's institution: the child's document is required, and a cell without the
    # gateway and its own account cannot reach it (two cells: test_child_transfers_cross_cell.py).
    _, fields = _refused(
        lambda: _request(mch, record.name, "ts-th", target_region="370102"),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert [f for f, _ in fields] == ["child_document"]
    _refused(
        lambda: _request(
            mch, record.name, "ts-th", target_region="370102",
            child_document=document(with_check("32031120260101001")),
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "CROSS_CELL_DISABLED",
    )  # fmt: skip
    _refused(
        lambda: mch.api.RequestChildTransfer(
            mpb.RequestChildTransferRequest(
                name=record.name, target_tenant=f"tenants/{rid()}",
                guardian_consent_reference="GC-1", consent_date=days_ago(0), reason="moved",
            ),
            metadata=mch.md("qs-doctor"),
        ),
        grpc.StatusCode.NOT_FOUND,
        "TARGET_NOT_FOUND",
    )  # fmt: skip
    _refused(
        lambda: _request(mch, record.name, "ts-th", target_region="320106"),  # not Tongshan
        grpc.StatusCode.NOT_FOUND,
        "TARGET_NOT_FOUND",
    )
    _refused(
        lambda: _request(mch, record.name, "qs-chc"),
        grpc.StatusCode.FAILED_PRECONDITION,
        "ALREADY_MANAGED",
    )
    assert _request(mch, record.name, "ts-th", target_region="320312").state == PENDING


def test_bad_requests_are_invalid_argument_and_write_nothing(mch: Mch) -> None:
    record = _enroll(mch, _child(mch, 100))
    for fields, field, reason in (
        ({"guardian_consent_reference": " "}, "guardian_consent_reference", "CONSENT_REQUIRED"),
        ({"guardian_consent_reference": "x" * 201}, "guardian_consent_reference", "TEXT_TOO_LONG"),
        ({"consent_date": days_ago(-1)}, "consent_date", "DATE_IN_FUTURE"),
        ({"consent_date": ""}, "consent_date", "DATE_REQUIRED"),
        ({"reason": ""}, "reason", "REASON_REQUIRED"),
        ({"target_region": "32"}, "target_region", "REGION_CODE"),
        ({"request_id": "not-a-uuid"}, "request_id", "REQUEST_ID_FORMAT"),
    ):
        _, violations = _refused(
            lambda f=fields: _request(mch, record.name, "ts-th", **f),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert field in [f for f, _ in violations], (field, reason, violations)
    _, violations = _refused(
        lambda: mch.api.RequestChildTransfer(
            mpb.RequestChildTransferRequest(name="childRecords/", target_tenant="ts-th"),
            metadata=mch.md("qs-doctor"),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert {"name", "target_tenant", "reason"} <= {f for f, _ in violations}
    _refused(
        lambda: mch.api.GetChildVisionRecord(
            mpb.GetChildVisionRecordRequest(name=record.name), metadata=mch.md("qs-doctor")
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "RESOURCE_NAME",
    )
    listed = mch.api.ListChildTransfers(
        mpb.ListChildTransfersRequest(parent=mch.tenant("qs-chc")), metadata=mch.md("qs-doctor")
    )
    assert list(listed.transfers) == []


def test_lists_are_per_institution_paginated_filtered_and_isolated(mch: Mch) -> None:
    first = _request(mch, _enroll(mch, _child(mch, 100)).name, "ts-th")
    second = _request(mch, _enroll(mch, _child(mch, 200)).name, "ts-th")
    third = _request(mch, _enroll(mch, _child(mch, 300)).name, "qs-hosp")
    _accept(mch, first.name)

    def names(tenant: str, who: str, **fields) -> list[str]:  # type: ignore[no-untyped-def]
        out, token = [], ""
        while True:
            page = mch.api.ListChildTransfers(
                mpb.ListChildTransfersRequest(
                    parent=mch.tenant(tenant), page_size=1, page_token=token, **fields
                ),
                metadata=mch.md(who),
            )
            out += [t.name for t in page.transfers]
            token = page.next_page_token
            if not token:
                return out

    assert names("qs-chc", "qs-doctor") == [third.name, second.name, first.name]
    assert names("qs-chc", "qs-doctor", state=PENDING) == [third.name, second.name]
    assert names("qs-chc", "qs-doctor", state=ACCEPTED) == [first.name]
    assert names("ts-th", "ts-doctor") == [second.name, first.name]  # incoming only
    assert names("qs-hosp", "qs-hosp-doctor") == [third.name]
    assert names("qs-chc", "xz-admin") == [third.name, second.name, first.name]
    for who in ("nj-doctor", "nj-admin", "ts-doctor"):
        _refused(lambda w=who: names("qs-chc", w), grpc.StatusCode.PERMISSION_DENIED)
    _refused(
        lambda: mch.api.GetChildVisionRecord(
            mpb.GetChildVisionRecordRequest(name=f"{first.child_record}/visionRecord"),
            metadata=mch.md("nj-doctor"),
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    # The county sees the trace from its side; the source's practitioner sees it, the target's
    # sees its own incoming, a sibling institution nothing.
    got = mch.api.GetChildTransfer(
        mpb.GetChildTransferRequest(name=second.name), metadata=mch.md("qs-admin")
    )
    assert got.state == PENDING
    _refused(
        lambda: mch.api.GetChildTransfer(
            mpb.GetChildTransferRequest(name=second.name), metadata=mch.md("qs-hosp-doctor")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )


def test_racing_requests_and_accepts_move_the_child_once(mch: Mch) -> None:
    record = _enroll(mch, _child(mch, 100))
    targets = ["ts-th", "qs-hosp"] * 4
    start = threading.Barrier(len(targets))

    def ask(target: str) -> tuple[str, str]:
        start.wait()
        try:
            return "OK", _request(mch, record.name, target).name
        except grpc.RpcError as error:
            return error.code().name, error_reason(error)

    with ThreadPoolExecutor(len(targets)) as pool:
        outcomes = list(pool.map(ask, targets))
    won = [name for code, name in outcomes if code == "OK"]
    assert len(won) == 1, outcomes
    assert sorted(o for o in outcomes if o[0] != "OK") == [
        ("FAILED_PRECONDITION", "TRANSFER_PENDING")
    ] * (len(targets) - 1)
    transfer = mch.api.GetChildTransfer(
        mpb.GetChildTransferRequest(name=won[0]), metadata=mch.md("qs-doctor")
    )
    who = "ts-doctor" if transfer.target_tenant == mch.tenant("ts-th") else "qs-hosp-doctor"
    accept_start = threading.Barrier(4)

    def accept(_: int) -> tpb.ChildTransfer:
        accept_start.wait()
        return _accept(mch, won[0], who=who)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(accept, range(4)))
    assert {(a.state, a.moved_visits, a.decide_time.ToNanoseconds()) for a in answers} == {
        (ACCEPTED, 0, answers[0].decide_time.ToNanoseconds())
    }


def test_a_deceased_child_is_not_transferred(mch: Mch) -> None:
    record = _enroll(mch, _child(mch, 100))
    resident_stub(mch.running.channel).MarkResidentDeceased(
        rpb.MarkResidentDeceasedRequest(name=record.child, death_date=days_ago(1)),
        metadata=mch.md("qs-admin"),
    )
    _refused(
        lambda: _request(mch, record.name, "ts-th"),
        grpc.StatusCode.FAILED_PRECONDITION,
        "RESIDENT_DECEASED",
    )


def test_age_limits_of_a_transfer_and_a_school_handover() -> None:
    # Plain rules with dates no running service can reach today (a child enrolled before 7
    # who has turned 7 since): management, and so a transfer, ends at 7.
    birth = date(2019, 3, 31)
    require_under_seven(birth, date(2026, 3, 30))
    with pytest.raises(FailedPrecondition) as caught:
        require_under_seven(birth, date(2026, 3, 31))
    assert caught.value.reason == "CHILD_TOO_OLD"
    require_school_entry_age(birth, date(2024, 9, 30))  # 5½ to the day
    for day in (date(2024, 9, 29), date(2026, 3, 31)):
        with pytest.raises(FailedPrecondition) as caught:
            require_school_entry_age(birth, day)
        assert caught.value.reason == "CHILD_NOT_SCHOOL_AGE"
