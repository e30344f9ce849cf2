"""A child's record follows the child to an institution of another cell (DOMAIN §3.3, §3.4),
with archives' guarantees for record migration: two real cells (Jiangsu, Shandong) behind the
real gateway, on SQLite and PostgreSQL. The guardian's consent and the child's document go
with the request; the child must be registered in the target cell; the target accepts in its
own cell; the record with its schedule, visits and vision history arrives once however the
calls fail or are retried; the source keeps the transfer as its trace and loses the child.
Declines, withdrawals and refusals leave the child where it was."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from archives.two_cells import TIMEOUT, tenant_of
from conftest import postgres_schema
from mch.conftest import error_reason
from mch.timeline_support import wait
from rhip.api.emr.v1 import emr_service_pb2 as epb
from rhip.api.emr.v1 import emr_service_pb2_grpc
from rhip.api.identity.v1 import identity_service_pb2 as id_pb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.api.identity.v1 import resident_service_pb2 as rspb
from rhip.api.mch.v1 import child_pb2 as cpb
from rhip.api.mch.v1 import child_transfer_pb2 as tpb
from rhip.api.mch.v1 import indicators_pb2 as ipb
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import mch_service_pb2_grpc
from rhip.demo import DEMO_PASSWORD
from rhip.kit.errors import Unavailable
from rhip.kit.timestamps import clinical_day
from support.cells import RunningCell
from support.residents import document, register_request, stub, with_check
from support.two_cells import JIANGSU, SHANDONG, cells_behind_gateway

PENDING = tpb.CHILD_TRANSFER_STATE_PENDING
ACCEPTED = tpb.CHILD_TRANSFER_STATE_ACCEPTED
DECLINED = tpb.CHILD_TRANSFER_STATE_DECLINED
WITHDRAWN = tpb.CHILD_TRANSFER_STATE_WITHDRAWN
HANDING_OVER = tpb.CHILD_TRANSFER_STATE_HANDING_OVER
N, A = cpb.EYE_FINDING_NORMAL, cpb.EYE_FINDING_ABNORMAL
ZZ_CLINIC = "市中区光明路街道社区卫生服务中心"  # zz-doctor-1's institution (rhip.demo)


def rid() -> str:
    return str(uuid.uuid4())


def days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


@dataclass
class Cells:
    channel: grpc.Channel  # to the gateway
    api: mch_service_pb2_grpc.MchServiceStub
    cells: dict[str, RunningCell]
    xz: list[tuple[str, str]]  # xz-doctor-1, Quanshan (Jiangsu)
    zz: list[tuple[str, str]]  # zz-doctor-1, Shizhong (Shandong)

    def md(self, username: str, region: str) -> list[tuple[str, str]]:
        login = identity_service_pb2_grpc.IdentityServiceStub(self.channel).Login(
            id_pb.LoginRequest(
                password=id_pb.PasswordCredentials(username=username, password=DEMO_PASSWORD)
            ),
            metadata=[("x-rhip-region", region)],
            timeout=TIMEOUT,
        )
        return [("authorization", f"Bearer {login.access_token}")]

    def usecases(self, cell: str):  # type: ignore[no-untyped-def]
        return self.cells[cell].cell.part("mch").usecases


@pytest.fixture
def two(tmp_path: Path, database_url: str) -> Iterator[Cells]:
    schemas = ExitStack()

    def url(name: str) -> str:
        if database_url.startswith("sqlite"):
            return f"sqlite:///{tmp_path / name}.db"
        return schemas.enter_context(postgres_schema("x"))

    with schemas, cells_behind_gateway(tmp_path, url) as (gateway_address, cells):
        channel = grpc.insecure_channel(gateway_address)
        t = Cells(channel, mch_service_pb2_grpc.MchServiceStub(channel), cells, [], [])
        t.xz, t.zz = t.md("xz-doctor-1", "320300"), t.md("zz-doctor-1", "370400")
        yield t
        channel.close()


def _child(t: Cells, seq: str, *, in_zaozhuang: bool = True) -> tuple[str, str]:
    """A child about three months old registered in Xuzhou (and, by default, in Zaozhuang under the
    same document and name): (its ID number, its child health record in Xuzhou)."""
    birth = date.today() - timedelta(days=100)
    number = with_check(f"320311{birth:%Y%m%d}{seq}")
    residents = stub(t.channel)
    child = residents.RegisterResident(
        register_request(number, name="王小明", region="320311"), metadata=t.xz, timeout=TIMEOUT
    ).resident
    if in_zaozhuang:
        residents.RegisterResident(
            register_request(number, name="王小明", region="370402"),
            metadata=t.zz, timeout=TIMEOUT,
        )  # fmt: skip
    record = t.api.EnrollChild(
        mpb.EnrollChildRequest(child=child.name, request_id=rid()), metadata=t.xz, timeout=TIMEOUT
    )
    return number, record.name


def _visit(t: Cells, record: str, day: str, md: list[tuple[str, str]], **fields) -> cpb.ChildVisit:  # type: ignore[no-untyped-def]
    eye = [cpb.EyeResult(item=k, finding=v) for k, v in fields.pop("eye", {}).items()]
    return t.api.RecordChildVisit(
        mpb.RecordChildVisitRequest(
            parent=record, visit=cpb.ChildVisit(visit_date=day, eye=eye, **fields),
            request_id=rid(),
        ),
        metadata=md, timeout=TIMEOUT,
    )  # fmt: skip


def _request(t: Cells, record: str, number: str, **fields) -> tpb.ChildTransfer:  # type: ignore[no-untyped-def]
    values = {
        "target_tenant": f"tenants/{tenant_of(t.zz)}",
        "target_region": "370402",
        "guardian_consent_reference": "GC-2026-0815",
        "consent_date": days_ago(1),
        "reason": "the family moved to Zaozhuang",
        "request_id": rid(),
        "child_document": document(number),
        **fields,
    }
    return t.api.RequestChildTransfer(
        mpb.RequestChildTransferRequest(name=record, **values), metadata=t.xz, timeout=TIMEOUT
    )


def _get(t: Cells, name: str, md: list[tuple[str, str]]) -> tpb.ChildTransfer:
    return t.api.GetChildTransfer(
        mpb.GetChildTransferRequest(name=name), metadata=md, timeout=TIMEOUT
    )


def _accept(t: Cells, name: str, md: list[tuple[str, str]] | None = None) -> tpb.ChildTransfer:
    return t.api.AcceptChildTransfer(
        mpb.AcceptChildTransferRequest(name=name), metadata=md or t.zz, timeout=TIMEOUT
    )


def _refused(call, code: grpc.StatusCode, reason: str | None = None) -> grpc.RpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as caught:
        call()
    assert caught.value.code() == code, caught.value.details()
    if reason is not None:
        assert error_reason(caught.value) == reason, caught.value.details()
    return caught.value


def _record(t: Cells, name: str, md: list[tuple[str, str]]) -> cpb.ChildRecord:
    return t.api.GetChildRecord(mpb.GetChildRecordRequest(name=name), metadata=md, timeout=TIMEOUT)


def _figures(t: Cells, md: list[tuple[str, str]]) -> dict[str, tuple[int, int]]:
    """The caller's institution's child-health management and eye-check coverage (num, den),
    as its county administrator reads them (``md`` names the institution)."""
    admin = t.md("qs-admin", "320300") if md is t.xz else t.md("szq-admin", "370400")
    got = t.api.GetMchIndicators(
        ipb.GetMchIndicatorsRequest(parent=f"tenants/{tenant_of(md)}"),
        metadata=admin, timeout=TIMEOUT,
    )  # fmt: skip
    kinds = {
        ipb.MCH_INDICATOR_KIND_CHILD_HEALTH_MANAGEMENT_RATE: "managed",
        ipb.MCH_INDICATOR_KIND_EYE_CHECK_COVERAGE: "eye",
    }
    return {kinds[i.kind]: (i.numerator, i.denominator) for i in got.indicators if i.kind in kinds}


def _vision(t: Cells, name: str, md: list[tuple[str, str]]) -> tpb.ChildVisionRecord:
    return t.api.GetChildVisionRecord(
        mpb.GetChildVisionRecordRequest(name=f"{name}/visionRecord"), metadata=md, timeout=TIMEOUT
    )


def test_the_child_moves_to_another_cell_with_its_schedule_visits_and_vision_history(
    two: Cells,
) -> None:
    t = two
    # Each cell knows its own token issuer: its own account is never taken for another cell's.
    assert {c: t.usecases(c).issuer for c in (JIANGSU, SHANDONG)} == {
        c: f"rhip-identity/{c}" for c in (JIANGSU, SHANDONG)
    }
    number, record = _child(t, "031")
    weighed = _visit(t, record, days_ago(40), t.xz, weight_kg=9.1)
    eyes = _visit(t, record, days_ago(0), t.xz, eye={"EYE_APPEARANCE": N, "RED_BALL": A})
    assert _figures(t, t.xz) == {"managed": (1, 1), "eye": (1, 1)}
    assert _figures(t, t.zz) == {"managed": (0, 0), "eye": (0, 0)}
    key = rid()
    asked = _request(t, record, number, request_id=key)
    assert asked.state == PENDING and asked.peer_region == "370402"
    assert asked.target_tenant_display_name == ZZ_CLINIC  # as the target's cell answered
    assert _request(t, record, number, request_id=key) == asked  # a retry: one transfer
    shown = _record(t, record, t.xz).pending_transfer
    assert (shown.transfer, shown.target_tenant_display_name) == (asked.name, ZZ_CLINIC)
    # The target's cell holds the same transfer, which only its institution answers.
    incoming = t.api.ListChildTransfers(
        mpb.ListChildTransfersRequest(parent=f"tenants/{tenant_of(t.zz)}"),
        metadata=t.zz, timeout=TIMEOUT,
    )  # fmt: skip
    assert [(x.name, x.state) for x in incoming.transfers] == [(asked.name, PENDING)]
    _refused(lambda: _accept(t, asked.name, t.xz), grpc.StatusCode.PERMISSION_DENIED)
    _refused(lambda: _record(t, record, t.zz), grpc.StatusCode.PERMISSION_DENIED)  # not yet
    done = _accept(t, asked.name)
    assert done.state == ACCEPTED and done.moved_visits == 2
    assert _accept(t, asked.name) == done  # a retry: the child arrived once
    # The target's record: the same record, schedule, visits and vision history, under the
    # child's resident of the target cell.
    got = _record(t, record, t.zz)
    assert got.managing_tenant == f"tenants/{tenant_of(t.zz)}" and got.open_referral == eyes.name
    assert eyes.name in {s.visit for s in got.schedule}
    assert weighed.slot or weighed.missed_slot  # kept as recorded (outside or in a window)
    assert not got.HasField("pending_transfer")
    vision = _vision(t, record, t.zz)
    assert [e.visit for e in vision.entries] == [eyes.name]
    assert vision.entries[0].tenant == f"tenants/{tenant_of(t.xz)}"  # examined in Xuzhou
    assert {e.item: e.finding for e in vision.entries[0].eye} == {
        "EYE_APPEARANCE": N,
        "RED_BALL": A,
    }
    assert list(vision.transfers) == [asked.name]
    # The institutions' figures follow the child (kept on write in each cell).
    assert _figures(t, t.xz) == {"managed": (0, 0), "eye": (0, 0)}
    assert _figures(t, t.zz) == {"managed": (1, 1), "eye": (1, 1)}
    zz_child = stub(t.channel).LookupResident(
        rspb.LookupResidentRequest(document=document(number)), metadata=t.zz, timeout=TIMEOUT
    )
    assert got.child == f"residents/{zz_child.resident_id}"
    # The target writes from now on.
    assert (
        _visit(t, record, days_ago(0), t.zz, weight_kg=9.8).tenant == f"tenants/{tenant_of(t.zz)}"
    )
    # The source: a trace of the transfer, no child any more.
    trace = _get(t, asked.name, t.xz)
    assert trace.state == ACCEPTED and trace.moved_visits == 2
    assert _request(t, record, number, request_id=key) == trace  # a retry, once it is done
    _refused(  # … and the same id for another request still refused, not answered with it
        lambda: _request(t, record, number, request_id=key, reason="another reason"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REQUEST_ID_REUSED",
    )
    _refused(lambda: _record(t, record, t.xz), grpc.StatusCode.PERMISSION_DENIED)
    _refused(lambda: _visit(t, record, days_ago(0), t.xz), grpc.StatusCode.PERMISSION_DENIED)
    listed = t.api.ListChildRecords(
        mpb.ListChildRecordsRequest(parent=f"tenants/{tenant_of(t.xz)}"),
        metadata=t.xz, timeout=TIMEOUT,
    )  # fmt: skip
    assert record not in [r.name for r in listed.records]


def _mch_timeline(t: Cells, number: str, md: list[tuple[str, str]]) -> list[tuple[str, ...]]:
    """The mch entries on the timeline of the child (its resident in the caller's cell), oldest
    first: (kind, clinical date, institution, its name)."""
    child = stub(t.channel).LookupResident(
        rspb.LookupResidentRequest(document=document(number)), metadata=md, timeout=TIMEOUT
    )
    reply = emr_service_pb2_grpc.EmrServiceStub(t.channel).ListTimeline(
        epb.ListTimelineRequest(parent=f"residents/{child.resident_id}", page_size=100),
        metadata=md, timeout=TIMEOUT,
    )  # fmt: skip
    return [
        (e.kind, e.clinical_date, e.tenant, e.tenant_display_name)
        for e in reversed(reply.entries)
        if e.source == "mch"
    ]


def test_the_childs_past_joins_the_target_cells_timeline_and_leaves_the_sources(
    two: Cells,
) -> None:
    """On the lifetime timeline, as at mch: the target's institution sees the child's arrival
    and the visits it brought (dated and attributed as recorded in Xuzhou), once however the
    accept is retried; the source's institution no longer sees the child's record there."""
    t = two
    number, record = _child(t, "047")
    xz_tenant, zz_tenant = f"tenants/{tenant_of(t.xz)}", f"tenants/{tenant_of(t.zz)}"
    _visit(t, record, days_ago(40), t.xz, weight_kg=9.1)
    _visit(t, record, days_ago(3), t.xz, weight_kg=9.4)
    wait(lambda: len(_mch_timeline(t, number, t.xz)) == 3)
    assert [k for k, *_ in _mch_timeline(t, number, t.xz)] == [
        "CHILD_ENROLLED", "CHILD_VISIT", "CHILD_VISIT",
    ]  # fmt: skip
    assert _mch_timeline(t, number, t.zz) == []
    asked = _request(t, record, number)
    assert _accept(t, asked.name).state == ACCEPTED
    assert _accept(t, asked.name).state == ACCEPTED  # a retry brings nothing twice
    arrived = [
        ("CHILD_VISIT", days_ago(40), xz_tenant, ""),  # another cell's institution: no name here
        ("CHILD_VISIT", days_ago(3), xz_tenant, ""),
        # The arrival's own day of care: today in China Standard Time (from 16:00 UTC on,
        # tomorrow's date in UTC terms), as every entry without a day of its own.
        ("CHILD_TRANSFERRED_IN", clinical_day(datetime.now(UTC)).isoformat(), zz_tenant, ZZ_CLINIC),
    ]
    wait(lambda: len(_mch_timeline(t, number, t.zz)) == len(arrived))
    assert _mch_timeline(t, number, t.zz) == arrived
    wait(lambda: _mch_timeline(t, number, t.xz) == [])
    _refused(lambda: _record(t, record, t.xz), grpc.StatusCode.PERMISSION_DENIED)  # as at mch
    _visit(t, record, days_ago(0), t.zz, weight_kg=9.8)
    wait(lambda: len(_mch_timeline(t, number, t.zz)) == len(arrived) + 1)
    assert _mch_timeline(t, number, t.zz)[-1] == ("CHILD_VISIT", days_ago(0), zz_tenant, ZZ_CLINIC)
    assert _mch_timeline(t, number, t.xz) == []


def test_a_retried_accept_after_a_failure_on_either_side_moves_the_child_once(
    two: Cells,
) -> None:
    """The target dies after the source handed the record over (before its import), then the
    source is unreachable after the import: each retry of the accept resumes where it broke;
    nothing is lost or doubled, and the source's record is frozen while it is on its way."""
    t = two
    number, record = _child(t, "033")
    _visit(t, record, days_ago(0), t.xz, eye={"EYE_APPEARANCE": N})
    asked = _request(t, record, number)
    target = t.usecases(SHANDONG)
    real_import, real_cells = target._import, target.other_cells

    def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the target cell died before its import committed")

    target._import = crash
    try:
        _refused(lambda: _accept(t, asked.name), grpc.StatusCode.INTERNAL)
    finally:
        target._import = real_import
    assert _get(t, asked.name, t.xz).state == HANDING_OVER  # at the source: on its way
    assert _get(t, asked.name, t.zz).state == PENDING
    _refused(
        lambda: _visit(t, record, days_ago(0), t.xz, weight_kg=9.5),
        grpc.StatusCode.FAILED_PRECONDITION, "CHILD_HANDING_OVER",
    )  # fmt: skip
    _refused(
        lambda: t.api.WithdrawChildTransfer(
            mpb.WithdrawChildTransferRequest(name=asked.name, reason="changed our mind"),
            metadata=t.xz, timeout=TIMEOUT,
        ),
        grpc.StatusCode.FAILED_PRECONDITION, "TRANSFER_STATE",
    )  # fmt: skip

    class SourceUnreachable:
        """The real client, except that the source cannot be reached to complete."""

        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(real_cells, name)

        def complete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise Unavailable("the source cell is unreachable")

    target.other_cells = SourceUnreachable()
    try:
        _refused(lambda: _accept(t, asked.name), grpc.StatusCode.UNAVAILABLE)
    finally:
        target.other_cells = real_cells
    assert _get(t, asked.name, t.zz).state == ACCEPTED  # imported once
    assert _get(t, asked.name, t.xz).state == HANDING_OVER
    done = _accept(t, asked.name)  # the retry only tells the source
    assert done.state == ACCEPTED and done.moved_visits == 1
    assert _get(t, asked.name, t.xz).state == ACCEPTED
    assert len(_vision(t, record, t.zz).entries) == 1  # one visit, not two
    _refused(lambda: _record(t, record, t.xz), grpc.StatusCode.PERMISSION_DENIED)


def test_an_open_whose_answer_is_lost_is_retried_once_or_withdrawn_on_both_sides(
    two: Cells,
) -> None:
    """The target's cell opened the transfer but its answer never came back. With a request
    id the caller's retry opens nothing twice (idempotent by transfer id on both sides);
    without one the source withdraws its request and tells the target, which closes it."""
    t = two
    number, record = _child(t, "039")
    source = t.usecases(JIANGSU)
    real_cells = source.other_cells

    class AnswerLost:
        """The real client, except that the target's answer to an open is lost."""

        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(real_cells, name)

        def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            real_cells.open(*args, **kwargs)
            raise Unavailable("the answer was lost")

    key = rid()
    source.other_cells = AnswerLost()
    try:
        _refused(lambda: _request(t, record, number, request_id=key), grpc.StatusCode.UNAVAILABLE)
    finally:
        source.other_cells = real_cells
    opened = _request(t, record, number, request_id=key)  # the caller retries
    assert opened.state == PENDING and opened.target_tenant_display_name == ZZ_CLINIC
    incoming = t.api.ListChildTransfers(
        mpb.ListChildTransfersRequest(parent=f"tenants/{tenant_of(t.zz)}"),
        metadata=t.zz, timeout=TIMEOUT,
    )  # fmt: skip
    assert [x.name for x in incoming.transfers] == [opened.name]  # one, not two
    t.api.WithdrawChildTransfer(
        mpb.WithdrawChildTransferRequest(name=opened.name, reason="asked again later"),
        metadata=t.xz, timeout=TIMEOUT,
    )  # fmt: skip
    # No request id: nobody will retry, so the source withdraws the request on both sides.
    source.other_cells = AnswerLost()
    try:
        _refused(lambda: _request(t, record, number, request_id=""), grpc.StatusCode.UNAVAILABLE)
    finally:
        source.other_cells = real_cells
    outgoing = t.api.ListChildTransfers(
        mpb.ListChildTransfersRequest(parent=f"tenants/{tenant_of(t.xz)}", state=PENDING),
        metadata=t.xz, timeout=TIMEOUT,
    )  # fmt: skip
    assert list(outgoing.transfers) == []
    incoming = t.api.ListChildTransfers(
        mpb.ListChildTransfersRequest(parent=f"tenants/{tenant_of(t.zz)}", state=PENDING),
        metadata=t.zz, timeout=TIMEOUT,
    )  # fmt: skip
    assert list(incoming.transfers) == []
    assert not _record(t, record, t.xz).HasField("pending_transfer")
    assert _request(t, record, number).state == PENDING  # the child may be asked for again


def test_declines_withdrawals_and_refusals_leave_the_child_where_it_was(two: Cells) -> None:
    t = two
    number, record = _child(t, "035")
    # The target declines in its own cell; the source's row follows.
    asked = _request(t, record, number)
    _refused(
        lambda: t.api.DeclineChildTransfer(
            mpb.DeclineChildTransferRequest(name=asked.name, reason=" "), metadata=t.zz,
            timeout=TIMEOUT,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )  # fmt: skip
    declined = t.api.DeclineChildTransfer(
        mpb.DeclineChildTransferRequest(name=asked.name, reason="no eye care capacity"),
        metadata=t.zz, timeout=TIMEOUT,
    )  # fmt: skip
    assert declined.state == DECLINED
    seen = _get(t, asked.name, t.xz)
    assert (seen.state, seen.decline_reason) == (DECLINED, "no eye care capacity")
    assert not _record(t, record, t.xz).HasField("pending_transfer")
    # The source withdraws; the target can no longer accept.
    again = _request(t, record, number)
    withdrawn = t.api.WithdrawChildTransfer(
        mpb.WithdrawChildTransferRequest(name=again.name, reason="the family stays"),
        metadata=t.xz, timeout=TIMEOUT,
    )  # fmt: skip
    assert withdrawn.state == WITHDRAWN
    assert _get(t, again.name, t.zz).state == WITHDRAWN
    _refused(lambda: _accept(t, again.name), grpc.StatusCode.FAILED_PRECONDITION, "TRANSFER_STATE")
    # A withdrawal the target never heard of: its accept learns it from the source.
    third = _request(t, record, number)
    source = t.usecases(JIANGSU)
    real = source._retract_there
    source._retract_there = lambda *args, **kwargs: None  # the retract is lost on the way
    try:
        t.api.WithdrawChildTransfer(
            mpb.WithdrawChildTransferRequest(name=third.name, reason="the family stays"),
            metadata=t.xz, timeout=TIMEOUT,
        )  # fmt: skip
    finally:
        source._retract_there = real
    assert _get(t, third.name, t.zz).state == PENDING
    _refused(lambda: _accept(t, third.name), grpc.StatusCode.FAILED_PRECONDITION, "TRANSFER_STATE")
    assert _get(t, third.name, t.zz).state == WITHDRAWN
    # The child stays, and the source still writes.
    assert _record(t, record, t.xz).managing_tenant == f"tenants/{tenant_of(t.xz)}"
    assert (
        _visit(t, record, days_ago(0), t.xz, weight_kg=9.9).tenant == f"tenants/{tenant_of(t.xz)}"
    )
    _refused(lambda: _record(t, record, t.zz), grpc.StatusCode.PERMISSION_DENIED)


def test_a_child_not_registered_in_the_target_cell_or_a_wrong_document_is_refused(
    two: Cells,
) -> None:
    t = two
    number, record = _child(t, "037", in_zaozhuang=False)
    _refused(
        lambda: _request(t, record, number), grpc.StatusCode.FAILED_PRECONDITION,
        "CHILD_NOT_REGISTERED",
    )  # fmt: skip
    assert not _record(t, record, t.xz).HasField("pending_transfer")  # nothing stays open
    other = with_check("32031120200101003")
    error = _refused(
        lambda: _request(t, record, other), grpc.StatusCode.INVALID_ARGUMENT, "DOCUMENT_MISMATCH"
    )
    assert error is not None
    _refused(
        lambda: t.api.RequestChildTransfer(
            mpb.RequestChildTransferRequest(
                name=record, target_tenant=f"tenants/{tenant_of(t.zz)}", target_region="370402",
                guardian_consent_reference="GC-1", consent_date=days_ago(0), reason="moved",
            ),
            metadata=t.xz, timeout=TIMEOUT,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )  # fmt: skip
    # Registered there now: the request goes through.
    stub(t.channel).RegisterResident(
        register_request(number, name="王小明", region="370402"), metadata=t.zz, timeout=TIMEOUT
    )
    assert _request(t, record, number).state == PENDING
