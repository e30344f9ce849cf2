"""A resident who moves back gets their record back (档随人走, issue 5): Xuzhou → Zaozhuang →
Xuzhou → Zaozhuang across cells, and Quanshan → Tongshan → Quanshan within one. The record
number never changes, everything that happened meanwhile comes along once, the trace each cell
keeps of an earlier move stays that trace, and open tasks travel with the record: open once at
the destination, no longer open at the source."""

from __future__ import annotations

import uuid

import grpc
from archives.helpers import Archives, days_ago
from archives.test_transfers import _consent, _setup
from archives.test_transfers import _request as _request_within
from archives.two_cells import TIMEOUT, TwoCells, _get, _record_in_xuzhou, _request, tenant_of
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from support.errors import expect_error
from support.residents import XUZHOU_MAN, document

Metadata = list[tuple[str, str]]


def _urgent_visit(t: TwoCells | Archives, record: str, md: Metadata) -> None:
    """A hypertension visit with an emergency sign: open urgent-referral and referral
    follow-up tasks."""
    t.api.RecordFollowUp(
        apb.RecordFollowUpRequest(
            parent=record,
            follow_up=rec.FollowUp(
                program=rec.PROGRAM_HYPERTENSION, visit_date=days_ago(2),
                blood_pressure=rec.BloodPressure(systolic=185, diastolic=112),
                emergency_signs=[rec.EMERGENCY_SIGN_SEVERE_HEADACHE],
            ),
        ),
        metadata=md, timeout=TIMEOUT,
    )  # fmt: skip


def _visit(t: TwoCells, record: str, md: Metadata) -> None:
    t.api.RecordFollowUp(
        apb.RecordFollowUpRequest(
            parent=record,
            follow_up=rec.FollowUp(
                program=rec.PROGRAM_HYPERTENSION, visit_date=days_ago(1),
                blood_pressure=rec.BloodPressure(systolic=128, diastolic=82),
            ),
        ),
        metadata=md, timeout=TIMEOUT,
    )  # fmt: skip


def _both(state: str) -> list[tuple[int, str]]:
    """The two tasks of an urgent visit (referral follow-up and urgent referral) in ``state``."""
    return [(rec.TASK_KIND_REFERRAL_FOLLOW_UP, state), (rec.TASK_KIND_URGENT_REFERRAL, state)]


def _tasks(t: TwoCells | Archives, record: str, md: Metadata) -> list[tuple[int, str]]:
    tasks = t.api.ListTasks(apb.ListTasksRequest(parent=record), metadata=md).tasks
    return sorted((task.kind, task.state) for task in tasks)


def _follow_ups(t: TwoCells, record: str, md: Metadata) -> list[str]:
    return sorted(
        f.visit_date
        for f in t.api.ListFollowUps(
            apb.ListFollowUpsRequest(parent=record), metadata=md
        ).follow_ups
    )


def _kinds(t: TwoCells, record: str, md: Metadata) -> list[str]:
    request = apb.ListRecordEventsRequest(parent=record, page_size=100)
    return [e.kind for e in t.api.ListRecordEvents(request, metadata=md).events]


def _by_number(t: TwoCells, number: str, md: Metadata) -> list[rec.HealthRecord]:
    request = apb.ListHealthRecordsRequest(record_number=number)
    return list(t.api.ListHealthRecords(request, metadata=md).records)


def _confirm(t: TwoCells, transfer: apb.RecordTransfer, md: Metadata) -> apb.RecordTransfer:
    confirm = apb.ConfirmRecordTransferRequest(name=transfer.name, request_id=str(uuid.uuid4()))
    done = t.api.ConfirmRecordTransfer(confirm, metadata=md, timeout=TIMEOUT)
    assert done.state == apb.TRANSFER_STATE_COMPLETED
    again = t.api.ConfirmRecordTransfer(confirm, metadata=md, timeout=TIMEOUT)  # a retry
    assert again.state == apb.TRANSFER_STATE_COMPLETED
    return done


def _in_force(t: TwoCells, region: str, md: Metadata) -> int:
    """Records in force in the region (the usage rate's denominator): a trace is not one."""
    reply = t.api.GetIndicators(
        apb.GetIndicatorsRequest(parent=f"regions/{region}"), metadata=md, timeout=TIMEOUT
    )
    [usage] = [i for i in reply.indicators if i.kind == apb.INDICATOR_KIND_USAGE_RATE]
    return int(usage.denominator)


def _back_to_xuzhou(t: TwoCells, resident: str, xz: Metadata) -> apb.RecordTransfer:
    return t.api.RequestRecordTransfer(
        apb.RequestRecordTransferRequest(
            resident=resident,
            consent=apb.TransferConsent(
                method="signed_form", consent_date=days_ago(0), reference="F-2"
            ),
            reason="迁回徐州", request_id=str(uuid.uuid4()), source_region="370402",
            document=document(XUZHOU_MAN), consent_form_reference="F-2",
        ),
        metadata=xz, timeout=TIMEOUT,
    )  # fmt: skip


def test_a_record_moves_to_zaozhuang_and_back_and_keeps_everything_once(
    two_cells: TwoCells,
) -> None:
    t = two_cells
    xz, zz = t.md("xz-doctor-1", "320300"), t.md("zz-doctor-1", "370400")
    city, zz_city = t.md("xz-admin", "320300"), t.md("zz-admin", "370400")
    record = _record_in_xuzhou(t, xz)
    counted = {"320300": _in_force(t, "320300", city), "370400": _in_force(t, "370400", zz_city)}
    number = record.record_number
    _urgent_visit(t, record.name, xz)
    assert _tasks(t, record.name, xz) == _both("open")

    # Xuzhou → Zaozhuang: the urgent task arrives open once and is no longer open here.
    first = _request(t, zz)
    _confirm(t, first, xz)
    [in_zaozhuang] = _by_number(t, number, zz)
    assert in_zaozhuang.state == rec.RECORD_STATE_ACTIVE
    assert _tasks(t, in_zaozhuang.name, zz) == _both("open")
    assert _tasks(t, record.name, xz) == _both("moved")
    _visit(t, in_zaozhuang.name, zz)  # what happens in Zaozhuang meanwhile
    # Counted where it is in force, once: the Xuzhou trace no longer counts.
    assert _in_force(t, "320300", city) == counted["320300"] - 1
    assert _in_force(t, "370400", zz_city) == counted["370400"] + 1

    # … and back to Xuzhou, where the trace of the first move still lies under its id.
    back = _back_to_xuzhou(t, record.resident, xz)
    assert back.state == apb.TRANSFER_STATE_PENDING
    assert _get(t, back.name, zz).record_number == number
    _confirm(t, back, zz)
    assert _get(t, back.name, xz).state == apb.TRANSFER_STATE_COMPLETED
    here = {r.state: r for r in _by_number(t, number, city)}
    assert sorted(here) == [rec.RECORD_STATE_ACTIVE, rec.RECORD_STATE_TRANSFERRED]
    trace, returned = here[rec.RECORD_STATE_TRANSFERRED], here[rec.RECORD_STATE_ACTIVE]
    assert trace.name == record.name and returned.name != record.name
    assert returned.record_number == number
    assert returned.managing_tenant == record.managing_tenant
    # The returned record holds both periods, once; the trace only the first.
    assert _follow_ups(t, returned.name, xz) == [days_ago(2), days_ago(1)]
    assert _follow_ups(t, trace.name, xz) == [days_ago(2)]
    assert _tasks(t, returned.name, xz) == _both("open")
    assert _tasks(t, trace.name, xz) == _both("moved")
    history = _kinds(t, returned.name, xz)
    assert history.count("TRANSFERRED_IN") == 2 and history.count("FOLLOW_UP") == 2
    assert history[-1] == "TRANSFERRED_IN"
    assert _kinds(t, trace.name, xz)[-1] == "TRANSFERRED"
    assert _in_force(t, "320300", city) == counted["320300"]  # the returned one, not the trace
    assert _in_force(t, "370400", zz_city) == counted["370400"]
    [zaozhuang_trace] = _by_number(t, number, zz)
    assert zaozhuang_trace.state == rec.RECORD_STATE_TRANSFERRED
    assert _tasks(t, zaozhuang_trace.name, zz) == _both("moved")

    # And once more to Zaozhuang, which keeps its own trace: one record in force per cell.
    again = _request(t, zz)
    _confirm(t, again, xz)
    states = sorted(r.state for r in _by_number(t, number, t.md("zz-admin", "370400")))
    assert states == [rec.RECORD_STATE_ACTIVE, rec.RECORD_STATE_TRANSFERRED]
    assert [r.state for r in _by_number(t, number, city)] == [rec.RECORD_STATE_TRANSFERRED] * 2
    [live] = [r for r in _by_number(t, number, zz) if r.state == rec.RECORD_STATE_ACTIVE]
    assert _follow_ups(t, live.name, zz) == [days_ago(2), days_ago(1)]
    assert _tasks(t, live.name, zz) == _both("open")


def test_a_record_moves_to_tongshan_and_back_within_the_cell(archives: Archives) -> None:
    a = archives
    qs, ts = a.md("qs-doctor"), a.md("ts-doctor")
    record = _setup(a)
    _urgent_visit(a, record.name, qs)
    first = _request_within(a, str(uuid.uuid4()))
    a.api.ConfirmRecordTransfer(
        apb.ConfirmRecordTransferRequest(name=first.name, request_id=str(uuid.uuid4())),
        metadata=qs,
    )
    assert _tasks(a, record.name, ts) == _both("open")
    back = a.api.RequestRecordTransfer(
        apb.RequestRecordTransferRequest(
            resident=a.residents["man"], consent=_consent(), reason="迁回泉山",
            request_id=str(uuid.uuid4()),
        ),
        metadata=qs,
    )  # fmt: skip
    assert back.source_tenant == a.tenant("ts-th") and back.destination_tenant == a.tenant("qs-chc")
    done = a.api.ConfirmRecordTransfer(
        apb.ConfirmRecordTransferRequest(name=back.name, request_id=str(uuid.uuid4())),
        metadata=ts,
    )
    assert done.state == apb.TRANSFER_STATE_COMPLETED and done.moved_plans == 1
    home = a.api.GetHealthRecord(apb.GetHealthRecordRequest(name=record.name), metadata=qs)
    assert home.state == rec.RECORD_STATE_ACTIVE
    assert home.managing_tenant == a.tenant("qs-chc") and home.record_number == record.record_number
    assert _tasks(a, record.name, qs) == _both("open")  # the same tasks, once, here again
    listed = a.api.ListRecordTransfers(
        apb.ListRecordTransfersRequest(parent=a.tenant("ts-th")), metadata=ts
    ).transfers
    assert {t.name for t in listed} == {first.name, back.name}  # Tongshan's trace of both
    records = a.api.ListHealthRecords(
        apb.ListHealthRecordsRequest(record_number=record.record_number), metadata=a.md("xz-admin")
    ).records
    assert [r.name for r in records] == [record.name]


def test_a_finding_on_a_record_that_left_the_cell_is_not_fixed_on_its_trace(
    two_cells: TwoCells,
) -> None:
    """A spot-check finding stays with the cell that marked it; once the record has gone to
    Zaozhuang, neither fixing that finding nor marking another may write onto the trace."""
    t = two_cells
    xz, zz = t.md("xz-doctor-1", "320300"), t.md("zz-doctor-1", "370400")
    admin = t.md("xz-admin", "320300")
    record = _record_in_xuzhou(t, xz)
    check = t.api.CreateSpotCheck(
        apb.CreateSpotCheckRequest(
            parent=f"tenants/{tenant_of(xz)}", sample_size=5, request_id=str(uuid.uuid4())
        ),
        metadata=admin, timeout=TIMEOUT,
    )  # fmt: skip
    assert record.name in check.records

    def mark(item: str) -> apb.SpotCheckFinding:
        finding = apb.SpotCheckFinding(record=record.name, item=item, description="与化验单不符")
        return t.api.RecordSpotCheckFinding(
            apb.RecordSpotCheckFindingRequest(parent=check.name, finding=finding),
            metadata=admin, timeout=TIMEOUT,
        )  # fmt: skip

    marked = mark("basic_info.blood_type_abo")
    _confirm(t, _request(t, zz), xz)
    history = _kinds(t, record.name, xz)
    expect_error(
        lambda: t.api.ResolveSpotCheckFinding(
            apb.ResolveSpotCheckFindingRequest(name=marked.name, resolution="已更正"),
            metadata=xz,
            timeout=TIMEOUT,
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "RECORD_STATE",
    )
    expect_error(
        lambda: mark("basic_info.blood_type_rh"),
        grpc.StatusCode.FAILED_PRECONDITION,
        "RECORD_STATE",
    )
    assert _kinds(t, record.name, xz) == history  # nothing written onto the trace
