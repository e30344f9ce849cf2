"""Newborn home visits (DOMAIN §3.3): the first within a week after discharge (from the
delivery record, else the stated discharge, else the birth), and for a low-birth-weight,
preterm, twin or birth-defect newborn the first within 3 days and two more a week apart
(NB2, NB3); the birth facts come from the child's delivery record of this cell or from the
enrolling institution, a contradicting statement refused; the newborn-visit rate counts the
extra visits. A factor found later, at a visit (a birth defect seen at the home visit), turns
the child high-risk and adds the extra visits still to come within the newborn period."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from mch.child_support import enroll as _enroll
from mch.child_support import record_visit as _visit
from mch.child_support import register_child as _child
from mch.conftest import Mch, days_ago, error_info, rid
from rhip.api.mch.v1 import child_pb2 as cpb
from rhip.api.mch.v1 import indicators_pb2 as ipb
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb
from rhip.kit.timestamps import clinical_day

THIRTEEN = ["NEWBORN", "M1", "M3", "M6", "M8", "M12", "M18", "M24", "M30", "M36", "Y4", "Y5", "Y6"]


def _day(n: int) -> date:
    return date.today() - timedelta(days=n)


def _deliver(
    mch: Mch, born_days_ago: int, discharged_days_ago: int, weights: list[int]
) -> pb.Delivery:
    """A delivery at the county hospital ``born_days_ago`` days ago of babies of ``weights``."""
    stamp = Timestamp()
    stamp.FromDatetime(datetime.combine(_day(born_days_ago), time(3), UTC))  # 11:00 in China
    return mch.api.RecordDelivery(
        mpb.RecordDeliveryRequest(
            delivery=pb.Delivery(
                mother=mch.residents["woman"], delivery_date=clinical_day(stamp.ToDatetime(tzinfo=UTC)).isoformat(),
                discharge_date=days_ago(discharged_days_ago), mode=pb.DELIVERY_MODE_VAGINAL,
                newborns=[
                    pb.Newborn(
                        birth_order=i, sex=pb.NEWBORN_SEX_FEMALE, birth_time=stamp, weight_g=w,
                        length_cm=48.0, apgar_1min=9, live_birth=True,
                    )
                    for i, w in enumerate(weights, 1)
                ],
            ),
            request_id=rid(),
        ),
        metadata=mch.md("qs-hosp-doctor"),
    )  # fmt: skip


def _windows(record: cpb.ChildRecord) -> dict[str, tuple[str, str]]:
    return {s.code: (s.window_start_date, s.window_end_date) for s in record.schedule}


def _states(record: cpb.ChildRecord) -> dict[str, int]:
    return {s.code: s.state for s in record.schedule}


def _get(mch: Mch, name: str) -> cpb.ChildRecord:
    return mch.api.GetChildRecord(
        mpb.GetChildRecordRequest(name=name), metadata=mch.md("qs-doctor")
    )


def test_the_home_visit_is_due_within_a_week_after_the_discharge(mch: Mch) -> None:
    mch.register(lmp_days_ago=295, registration_date=days_ago(200))  # delivered at 39+2 weeks
    delivery = _deliver(mch, born_days_ago=20, discharged_days_ago=15, weights=[3300])
    record = _enroll(mch, delivery.newborns[0].resident)
    assert [s.code for s in record.schedule] == THIRTEEN
    assert record.birth.from_delivery and list(record.birth.high_risk_factors) == []
    assert (record.birth.birth_weight_g, record.birth.discharge_date) == (3300, days_ago(15))
    assert record.birth.gestational_weeks == 39
    assert _windows(record)["NEWBORN"] == (days_ago(15), days_ago(8))
    late = _visit(mch, record.name, days_ago(5))  # 10 days after the discharge
    assert (late.slot, late.missed_slot) == ("", "NEWBORN")
    on_time = _visit(mch, record.name, days_ago(8))  # the 7th day after it
    assert on_time.slot == "NEWBORN"
    # No delivery record and nothing stated: the week runs from the birth.
    other = _enroll(mch, _child(mch, 3))
    assert not other.birth.from_delivery
    assert _windows(other)["NEWBORN"] == (days_ago(3), (_day(3) + timedelta(days=7)).isoformat())


def test_a_low_birth_weight_preterm_twin_gets_two_more_newborn_visits(mch: Mch) -> None:
    mch.register(lmp_days_ago=262, registration_date=days_ago(150))  # born at 35+ weeks
    delivery = _deliver(mch, born_days_ago=12, discharged_days_ago=6, weights=[2100, 2600])
    first = _enroll(mch, delivery.newborns[0].resident)
    assert list(first.birth.high_risk_factors) == [
        cpb.NEWBORN_RISK_FACTOR_LOW_BIRTH_WEIGHT, cpb.NEWBORN_RISK_FACTOR_PRETERM,
        cpb.NEWBORN_RISK_FACTOR_MULTIPLE_BIRTH,
    ]  # fmt: skip
    assert [s.code for s in first.schedule] == ["NEWBORN", "NB2", "NB3", *THIRTEEN[1:]]
    windows = _windows(first)
    assert windows["NEWBORN"] == (days_ago(6), days_ago(3))  # within 3 days of the discharge
    assert windows["NB2"] == (days_ago(2), days_ago(-4))
    assert windows["NB3"] == (days_ago(-5), days_ago(-11))
    assert _states(first)["NEWBORN"] == pb.SLOT_STATE_MISSED
    assert _states(first)["NB2"] == pb.SLOT_STATE_DUE
    # The second twin weighs 2600 g and was born preterm too: a twin either way.
    second = _enroll(mch, delivery.newborns[1].resident)
    assert list(second.birth.high_risk_factors) == [
        cpb.NEWBORN_RISK_FACTOR_PRETERM, cpb.NEWBORN_RISK_FACTOR_MULTIPLE_BIRTH,
    ]  # fmt: skip
    assert _visit(mch, first.name, days_ago(4)).slot == "NEWBORN"
    assert _visit(mch, second.name, days_ago(1)).slot == "NB2"
    got = _get(mch, first.name)
    assert _states(got)["NEWBORN"] == pb.SLOT_STATE_DONE
    # Both twins were visited at home in a newborn window: the newborn-visit rate counts both.
    reply = mch.api.GetMchIndicators(
        ipb.GetMchIndicatorsRequest(parent="regions/320311"), metadata=mch.md("qs-admin")
    )
    newborn = next(
        i for i in reply.indicators if i.kind == ipb.MCH_INDICATOR_KIND_NEWBORN_VISIT_RATE
    )
    assert (newborn.numerator, newborn.denominator) == (2, 2)


def test_a_late_discharge_keeps_the_full_month_check_open(mch: Mch) -> None:
    """Discharged on day 24 of life: the extra newborn visit and the full-month check share
    days 28–30; the first visit in them fills the newborn visit, the next the full month."""
    mch.register(lmp_days_ago=280, registration_date=days_ago(200))
    delivery = _deliver(mch, born_days_ago=40, discharged_days_ago=16, weights=[2000])
    record = _enroll(mch, delivery.newborns[0].resident)
    assert [s.code for s in record.schedule][:4] == ["NEWBORN", "NB2", "M1", "NB3"]
    assert _visit(mch, record.name, days_ago(12)).slot == "NB2"  # day 28
    assert _visit(mch, record.name, days_ago(11)).slot == "M1"  # day 29
    got = _get(mch, record.name)
    assert _states(got)["M1"] == _states(got)["NB2"] == pb.SLOT_STATE_DONE


def test_stated_birth_facts_make_the_schedule_without_a_delivery_record(mch: Mch) -> None:
    child = _child(mch, 10)
    record = mch.api.EnrollChild(
        mpb.EnrollChildRequest(
            child=child, request_id=rid(),
            birth=cpb.BirthFacts(birth_defect=True, gestational_weeks=39, discharge_date=days_ago(7)),
        ),
        metadata=mch.md("qs-doctor"),
    )  # fmt: skip
    assert not record.birth.from_delivery
    assert list(record.birth.high_risk_factors) == [cpb.NEWBORN_RISK_FACTOR_BIRTH_DEFECT]
    assert _windows(record)["NEWBORN"] == (days_ago(7), days_ago(4))
    assert "NB3" in _windows(record)


def test_a_statement_the_delivery_record_contradicts_is_refused(mch: Mch) -> None:
    mch.register(lmp_days_ago=280, registration_date=days_ago(200))
    delivery = _deliver(mch, born_days_ago=5, discharged_days_ago=3, weights=[3100])
    baby = delivery.newborns[0].resident
    with pytest.raises(grpc.RpcError) as caught:
        mch.api.EnrollChild(
            mpb.EnrollChildRequest(
                child=baby, request_id=rid(),
                birth=cpb.BirthFacts(birth_weight_g=2400, discharge_date=days_ago(1)),
            ),
            metadata=mch.md("qs-doctor"),
        )  # fmt: skip
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    info, violations = error_info(caught.value)
    assert info.reason == "BIRTH_FACT_CONFLICT"
    assert [f for f, _ in violations] == ["birth.birth_weight_g", "birth.discharge_date"]
    # Nothing written: the child is enrolled afterwards, with the delivery's facts and a birth
    # defect found since.
    record = mch.api.EnrollChild(
        mpb.EnrollChildRequest(
            child=baby, request_id=rid(), birth=cpb.BirthFacts(birth_defect=True)
        ),
        metadata=mch.md("qs-doctor"),
    )
    assert record.birth.birth_weight_g == 3100 and record.birth.birth_defect
    assert list(record.birth.high_risk_factors) == [cpb.NEWBORN_RISK_FACTOR_BIRTH_DEFECT]


@pytest.mark.parametrize(
    ("birth", "field", "reason"),
    [
        ({"birth_weight_g": 100}, "birth.birth_weight_g", "WEIGHT_OUT_OF_RANGE"),
        ({"birth_weight_g": -2500}, "birth.birth_weight_g", "WEIGHT_OUT_OF_RANGE"),
        ({"gestational_weeks": 50}, "birth.gestational_weeks", "GESTATION_OUT_OF_RANGE"),
        ({"discharge_date": days_ago(20)}, "birth.discharge_date", "DISCHARGE_BEFORE_BIRTH"),
        ({"discharge_date": days_ago(-1)}, "birth.discharge_date", "DATE_IN_FUTURE"),
        ({"discharge_date": "2026-02-30"}, "birth.discharge_date", None),
    ],
)
def test_bad_birth_facts_are_invalid_argument_and_write_nothing(
    mch: Mch, birth: dict, field: str, reason: str | None
) -> None:
    child = _child(mch, 10)
    with pytest.raises(grpc.RpcError) as caught:
        mch.api.EnrollChild(
            mpb.EnrollChildRequest(child=child, request_id=rid(), birth=cpb.BirthFacts(**birth)),
            metadata=mch.md("qs-doctor"),
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    info, violations = error_info(caught.value)
    assert field in [f for f, _ in violations]
    assert reason is None or info.reason == reason
    listed = mch.api.ListChildRecords(
        mpb.ListChildRecordsRequest(parent=mch.tenant("qs-chc")), metadata=mch.md("qs-admin")
    )
    assert list(listed.records) == []


DEFECT = cpb.NEWBORN_RISK_FACTOR_BIRTH_DEFECT


def _window(start: int, end: int) -> tuple[str, str]:
    """A window from ``start`` to ``end`` days ago (negative: days ahead)."""
    return days_ago(start), days_ago(end)


def test_a_birth_defect_found_at_the_newborn_visit_adds_the_extra_visits_from_that_day(
    mch: Mch,
) -> None:
    record = _enroll(mch, _child(mch, 6))  # nothing stated: a normal newborn
    assert [s.code for s in record.schedule] == THIRTEEN
    assert _windows(record)["NEWBORN"] == _window(6, -1)
    # The home visit on day 4 of life finds a birth defect.
    seen = _visit(mch, record.name, days_ago(2), risk_factors_found=[DEFECT])
    assert seen.slot == "NEWBORN" and list(seen.risk_factors_found) == [DEFECT]
    got = _get(mch, record.name)
    assert list(got.birth.high_risk_factors) == [DEFECT]
    assert got.birth.high_risk_since == days_ago(2) and not got.birth.birth_defect
    # The first visit keeps its window (it is done); NB2 and NB3 follow the finding a week
    # each, as they follow the first visit of a newborn known to be high-risk.
    assert [s.code for s in got.schedule] == ["NEWBORN", "NB2", "NB3", *THIRTEEN[1:]]
    windows = _windows(got)
    assert windows["NEWBORN"] == _window(6, -1)
    assert (windows["NB2"], windows["NB3"]) == (_window(1, -5), _window(-6, -12))
    assert _states(got)["NEWBORN"] == pb.SLOT_STATE_DONE
    assert _states(got)["NB2"] == pb.SLOT_STATE_DUE
    assert _visit(mch, record.name, days_ago(0)).slot == "NB2"
    # Found again later: nothing more is added.
    _visit(mch, record.name, days_ago(0), risk_factors_found=[DEFECT])
    assert _windows(_get(mch, record.name)) == windows


def test_a_factor_found_late_adds_only_the_visits_still_to_come_in_the_newborn_period(
    mch: Mch,
) -> None:
    # Found on day 20: NB2 opens on day 21, inside the newborn period; NB3 would open on day
    # 28, when the full-month check is due, and is not added.
    late = _enroll(mch, _child(mch, 20))
    _visit(mch, late.name, days_ago(0), risk_factors_found=[DEFECT])
    got = _get(mch, late.name)
    assert [s.code for s in got.schedule][:3] == ["NEWBORN", "NB2", "M1"]
    assert "NB3" not in _windows(got) and _windows(got)["NB2"] == _window(-1, -7)
    # A visit of day 4 entered on day 14: NB2 (days 5–11) can no longer be made and is not
    # added (it would only show as missed); NB3 (days 12–18) still can.
    entered_late = _enroll(mch, _child(mch, 14))
    _visit(mch, entered_late.name, days_ago(10), risk_factors_found=[DEFECT])
    got = _get(mch, entered_late.name)
    assert "NB2" not in _windows(got) and _windows(got)["NB3"] == _window(2, -4)
    assert got.birth.high_risk_since == days_ago(10)
    assert _states(got)["NB3"] == pb.SLOT_STATE_DUE
    # Found after the newborn period: high-risk, no newborn visit to add.
    older = _enroll(mch, _child(mch, 40))
    _visit(mch, older.name, days_ago(0), risk_factors_found=[DEFECT])
    got = _get(mch, older.name)
    assert list(got.birth.high_risk_factors) == [DEFECT]
    assert [s.code for s in got.schedule] == THIRTEEN


def test_a_child_high_risk_from_the_enrolment_keeps_its_newborn_visits(mch: Mch) -> None:
    record = mch.api.EnrollChild(
        mpb.EnrollChildRequest(
            child=_child(mch, 5), request_id=rid(), birth=cpb.BirthFacts(gestational_weeks=35)
        ),
        metadata=mch.md("qs-doctor"),
    )
    _visit(mch, record.name, days_ago(1), risk_factors_found=[DEFECT])
    got = _get(mch, record.name)
    assert list(got.birth.high_risk_factors) == [cpb.NEWBORN_RISK_FACTOR_PRETERM, DEFECT]
    assert got.birth.high_risk_since == ""
    assert _windows(got) == _windows(record)


@pytest.mark.parametrize(
    ("found", "field", "reason"),
    [
        ([99], "visit.risk_factors_found[0]", "ENUM_UNKNOWN"),  # refused at the edge
        ([0], "visit.risk_factors_found[0]", "RISK_FACTOR_UNKNOWN"),
        ([DEFECT, DEFECT], "visit.risk_factors_found[1]", "RISK_FACTOR_REPEATED"),
        (
            [cpb.NEWBORN_RISK_FACTOR_LOW_BIRTH_WEIGHT],
            "visit.risk_factors_found[0]",
            "BIRTH_FACT_CONFLICT",
        ),
        ([cpb.NEWBORN_RISK_FACTOR_PRETERM], "visit.risk_factors_found[0]", "BIRTH_FACT_CONFLICT"),
    ],
)
def test_bad_findings_are_invalid_argument_and_write_nothing(
    mch: Mch, found: list[int], field: str, reason: str
) -> None:
    record = mch.api.EnrollChild(
        mpb.EnrollChildRequest(
            child=_child(mch, 4), request_id=rid(),
            birth=cpb.BirthFacts(birth_weight_g=3300, gestational_weeks=39),
        ),
        metadata=mch.md("qs-doctor"),
    )  # fmt: skip
    visit = cpb.ChildVisit(visit_date=days_ago(0))
    visit.risk_factors_found.extend(found)
    with pytest.raises(grpc.RpcError) as caught:
        mch.api.RecordChildVisit(
            mpb.RecordChildVisitRequest(parent=record.name, visit=visit, request_id=rid()),
            metadata=mch.md("qs-doctor"),
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    info, violations = error_info(caught.value)
    assert info.reason == reason and field in [f for f, _ in violations]
    got = _get(mch, record.name)  # no visit, no factor
    assert _states(got)["NEWBORN"] == pb.SLOT_STATE_DUE and not got.birth.high_risk_factors


def test_multiples_the_delivery_record_denies_are_refused(mch: Mch) -> None:
    mch.register(lmp_days_ago=280, registration_date=days_ago(200))
    delivery = _deliver(mch, born_days_ago=5, discharged_days_ago=3, weights=[3100])
    record = _enroll(mch, delivery.newborns[0].resident)
    multiple = cpb.NEWBORN_RISK_FACTOR_MULTIPLE_BIRTH
    with pytest.raises(grpc.RpcError) as caught:
        _visit(mch, record.name, days_ago(0), risk_factors_found=[multiple])
    info, violations = error_info(caught.value)
    assert info.reason == "BIRTH_FACT_CONFLICT"
    assert [f for f, _ in violations] == ["visit.risk_factors_found[0]"]
    # A defect is no birth fact of the delivery record: found at the visit, it is taken.
    _visit(mch, record.name, days_ago(0), risk_factors_found=[DEFECT])
    assert list(_get(mch, record.name).birth.high_risk_factors) == [DEFECT]
