"""Child health 0–6 with eye care (DOMAIN §3.3, §3.4, §9): the 13-visit schedule from the
birth date with its eye items (county-level ones marked), blood routine and hearing ages;
visits fill their slots or are tagged with the slot they missed; county-level eye items need
the child eye-care qualification at a county-level institution; abnormal findings open a
referral and the 8-month visit asks about the 6-month referral; overdue lists; isolation and
bad input."""

from __future__ import annotations

from datetime import date, timedelta

import grpc
import pytest
from mch.child_support import A, N
from mch.child_support import enroll as _enroll
from mch.child_support import record_visit as _visit
from mch.child_support import register_child as _child
from mch.conftest import Mch, days_ago, error_info, error_reason
from rhip.api.identity.v1 import qualification_service_pb2 as qpb
from rhip.api.identity.v1 import tenant_pb2
from rhip.api.mch.v1 import child_pb2 as cpb
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb
from rhip.mch.children.domain import add_months
from support.residents import register_request, with_check
from support.residents import stub as resident_stub


def _slots(r: cpb.ChildRecord) -> dict[str, int]:
    return {s.code: s.state for s in r.schedule}


def test_the_schedule_has_13_visits_with_their_eye_items_and_screenings(mch: Mch) -> None:
    record = _enroll(mch, _child(mch, 100))
    assert [s.code for s in record.schedule] == [
        "NEWBORN", "M1", "M3", "M6", "M8", "M12", "M18", "M24", "M30", "M36", "Y4", "Y5", "Y6",
    ]  # fmt: skip
    birth = date.today() - timedelta(days=100)
    slots = {s.code: s for s in record.schedule}
    assert slots["M1"].window_start_date == (birth + timedelta(days=28)).isoformat()
    assert slots["M1"].window_end_date == (birth + timedelta(days=30)).isoformat()
    assert _slots(record)["NEWBORN"] == _slots(record)["M1"] == pb.SLOT_STATE_MISSED
    assert _slots(record)["M3"] == pb.SLOT_STATE_DUE
    m6 = {i.item: i.county_level for i in slots["M6"].eye_items}
    assert m6 == {
        "EYE_APPEARANCE": False, "VISUAL_BEHAVIOUR": False, "RED_REFLEX": True,
        "EYE_POSITION": True, "COVER_AVERSION": True,
    }  # fmt: skip
    assert {i.item for i in slots["M1"].eye_items} == {
        "EYE_APPEARANCE", "HIGH_RISK_FACTORS", "LIGHT_REACTION",
    }  # fmt: skip
    assert "VISUAL_ACUITY" in {i.item for i in slots["Y4"].eye_items}
    assert [s.code for s in record.schedule if s.blood_routine] == ["M6", "M8", "M18", "M30"]
    assert [s.code for s in record.schedule if s.hearing_screening] == ["M6", "M12", "M24", "M36"]


def test_a_visit_fills_its_slot_and_an_abnormal_finding_opens_a_referral(mch: Mch) -> None:
    record = _enroll(mch, _child(mch, 100))
    visit = _visit(
        mch, record.name, days_ago(0), weight_kg=6.2, length_cm=61.0,
        eye={"EYE_APPEARANCE": N, "RED_BALL": A},
    )  # fmt: skip
    assert visit.slot == "M3" and visit.age_days == 100 and visit.referral
    got = mch.api.GetChildRecord(
        mpb.GetChildRecordRequest(name=record.name), metadata=mch.md("qs-doctor")
    )
    assert _slots(got)["M3"] == pb.SLOT_STATE_DONE
    assert got.open_referral == visit.name


def test_county_level_eye_items_need_the_child_eye_care_qualification(mch: Mch) -> None:
    record = _enroll(mch, _child(mch, 190), who="qs-hosp-doctor")  # 6 months and a few days
    six_months = add_months(date.today() - timedelta(days=190), 6).isoformat()
    with pytest.raises(grpc.RpcError) as caught:
        _visit(mch, record.name, six_months, who="qs-hosp-doctor", eye={"RED_REFLEX": N})
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    info, _ = error_info(caught.value)
    assert info.reason == "QUALIFICATION_REQUIRED"
    assert info.metadata["qualification"] == "CHILD_EYE_CARE"
    visit = _visit(mch, record.name, six_months, who="qs-hosp-doctor", eye={"EYE_APPEARANCE": N})
    assert visit.slot == "M6"
    mch.grant("qs-hosp", qpb.QUALIFICATION_KIND_CHILD_EYE_CARE)
    visit = _visit(mch, record.name, six_months, who="qs-hosp-doctor", eye={"RED_REFLEX": N})
    assert visit.slot == "M6"


def test_county_level_eye_items_stop_when_the_institution_is_below_county_level(
    mch: Mch,
) -> None:
    """Identity grants child eye care at county level only (tests/mch/test_qualifications.py);
    an institution reclassified below the county after its grant stops doing the county-level
    items, and still does the others."""
    mch.grant("qs-hosp", qpb.QUALIFICATION_KIND_CHILD_EYE_CARE)
    record = _enroll(mch, _child(mch, 190), who="qs-hosp-doctor")
    six_months = add_months(date.today() - timedelta(days=190), 6).isoformat()
    mch.update_tenant("qs-hosp", type=tenant_pb2.TENANT_TYPE_TOWNSHIP_HOSPITAL)
    with pytest.raises(grpc.RpcError) as caught:
        _visit(mch, record.name, six_months, who="qs-hosp-doctor", eye={"RED_REFLEX": N})
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    info, _ = error_info(caught.value)
    assert info.reason == "INSTITUTION_LEVEL_REQUIRED" and info.metadata["required"] == "COUNTY"
    got = mch.api.GetChildRecord(
        mpb.GetChildRecordRequest(name=record.name), metadata=mch.md("qs-hosp-doctor")
    )
    assert _slots(got)["M6"] != pb.SLOT_STATE_DONE  # nothing written
    visit = _visit(mch, record.name, six_months, who="qs-hosp-doctor", eye={"EYE_APPEARANCE": N})
    assert visit.slot == "M6"
    mch.update_tenant("qs-hosp", type=tenant_pb2.TENANT_TYPE_COUNTY_HOSPITAL)
    assert (
        _visit(mch, record.name, six_months, who="qs-hosp-doctor", eye={"RED_REFLEX": N}).slot
        == "M6"
    )


def test_at_8_months_the_6_month_referral_is_asked_about(mch: Mch) -> None:
    mch.grant("qs-hosp", qpb.QUALIFICATION_KIND_CHILD_EYE_CARE)
    birth = date.today() - timedelta(days=250)
    record = _enroll(mch, _child(mch, 250), who="qs-hosp-doctor")
    referred = _visit(
        mch, record.name, (add_months(birth, 6) + timedelta(days=2)).isoformat(),
        who="qs-hosp-doctor", eye={"RED_REFLEX": A},
    )  # fmt: skip
    assert referred.slot == "M6" and referred.referral
    asked = _visit(mch, record.name, days_ago(0), who="qs-hosp-doctor", eye={"EYE_APPEARANCE": N})
    assert asked.slot == "M8" and asked.six_month_referral_pending
    confirmed = _visit(
        mch, record.name, days_ago(0), who="qs-hosp-doctor", eye={"EYE_APPEARANCE": N},
        referral_followed_up=True,
    )  # fmt: skip
    assert not confirmed.six_month_referral_pending
    got = mch.api.GetChildRecord(
        mpb.GetChildRecordRequest(name=record.name), metadata=mch.md("qs-hosp-doctor")
    )
    assert got.open_referral == ""


def test_the_overdue_list_follows_the_next_visit(mch: Mch) -> None:
    record = _enroll(mch, _child(mch, 100))
    fresh = _enroll(mch, _child(mch, 5))
    _visit(mch, record.name, days_ago(90))  # at 10 days, after the newborn week: M1 next, closed

    def overdue() -> list[str]:
        return [
            r.name
            for r in mch.api.ListChildRecords(
                mpb.ListChildRecordsRequest(parent=mch.tenant("qs-chc"), overdue_only=True),
                metadata=mch.md("qs-admin"),
            ).records
        ]

    assert overdue() == [record.name]
    _visit(mch, record.name, days_ago(0))  # the 3-month visit: M6 next
    assert overdue() == []
    assert fresh.name not in overdue()


def test_visit_outside_every_window_is_tagged_and_acuity_comes_from_age_4(mch: Mch) -> None:
    number = with_check("32031120220601002")  # born 2022-06-01
    four = (
        resident_stub(mch.running.channel)
        .RegisterResident(
            register_request(number, name="刘小宝", region="320311"), metadata=mch.md("qs-doctor")
        )
        .resident
    )
    record = _enroll(mch, four.name)
    day = add_months(date(2022, 6, 1), 54)  # 4½ years: between the Y4 and Y5 windows
    visit = _visit(
        mch, record.name, day.isoformat(), acuity_left=0.8, acuity_right=0.6,
        eye={"VISUAL_ACUITY": N},
    )  # fmt: skip
    assert (visit.slot, visit.missed_slot) == ("", "Y4")
    baby = _enroll(mch, _child(mch, 100))
    with pytest.raises(grpc.RpcError) as caught:
        _visit(mch, baby.name, days_ago(0), acuity_left=0.5)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(caught.value) == "ACUITY_TOO_YOUNG"


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"day": days_ago(101)}, "visit.visit_date", "VISIT_BEFORE_BIRTH"),
        ({"day": days_ago(-1)}, "visit.visit_date", "DATE_IN_FUTURE"),
        ({"weight_kg": 80.0}, "visit.weight_kg", "MEASURE_OUT_OF_RANGE"),
        ({"length_cm": float("nan")}, "visit.length_cm", "MEASURE_OUT_OF_RANGE"),
        ({"eye": {"VISUAL_ACUITY": N}}, "visit.eye[0].item", "EYE_ITEM_NOT_DUE"),
        ({"eye": {"X-RAY": N}}, "visit.eye[0].item", "EYE_ITEM_UNKNOWN"),
        ({"eye": {"EYE_APPEARANCE": 0}}, "visit.eye[0].finding", "FINDING_REQUIRED"),
    ],
)
def test_bad_child_visits_are_invalid_argument_and_write_nothing(
    mch: Mch, fields: dict, field: str, reason: str
) -> None:
    record = _enroll(mch, _child(mch, 100))
    fields = dict(fields)  # the parameters are shared by both backends' runs
    day = fields.pop("day", days_ago(0))
    with pytest.raises(grpc.RpcError) as caught:
        _visit(mch, record.name, day, **fields)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    info, violations = error_info(caught.value)
    assert field in [f for f, _ in violations] and info.reason == reason
    got = mch.api.GetChildRecord(
        mpb.GetChildRecordRequest(name=record.name), metadata=mch.md("qs-doctor")
    )
    assert not any(s.visit for s in got.schedule)


def test_one_record_per_child_and_isolation(mch: Mch) -> None:
    child = _child(mch, 30)
    record = _enroll(mch, child)
    with pytest.raises(grpc.RpcError) as caught:
        _enroll(mch, child, who="qs-hosp-doctor")
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    info, _ = error_info(caught.value)
    assert info.reason == "CHILD_RECORD_EXISTS"
    assert info.metadata["managing_tenant"] == mch.tenant("qs-chc")
    for who in ("nj-doctor", "ts-doctor", "nj-admin", "qs-hosp-doctor"):
        with pytest.raises(grpc.RpcError) as caught:
            mch.api.GetChildRecord(
                mpb.GetChildRecordRequest(name=record.name), metadata=mch.md(who)
            )
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.RpcError) as caught:
            _visit(mch, record.name, days_ago(0), who=who)
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as caught:
        mch.api.ListChildRecords(
            mpb.ListChildRecordsRequest(parent=mch.tenant("qs-chc")), metadata=mch.md("nj-admin")
        )
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    listed = mch.api.ListChildRecords(
        mpb.ListChildRecordsRequest(parent=mch.tenant("qs-chc")), metadata=mch.md("xz-admin")
    )
    assert [r.name for r in listed.records] == [record.name]
