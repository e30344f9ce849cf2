"""What a child visit checks besides growth and the eyes (DOMAIN §3.3): the development
warning-sign check of the child's age group (儿童心理行为发育问题预警征象, from 3 months), the
haemoglobin of the blood-routine visits (6–8, 18, 30 months) with the anaemia flag by age, and
the hearing screen per ear at 6, 12, 24 and 36 months; warning signs, anaemia and a hearing
referral open a referral item as an abnormal eye finding does; bad values are INVALID_ARGUMENT
and write nothing."""

from __future__ import annotations

from datetime import date, timedelta

import grpc
import pytest
from mch.child_support import enroll as _enroll
from mch.child_support import record_visit as _visit
from mch.child_support import register_child as _child
from mch.conftest import Mch, days_ago, error_info
from rhip.api.mch.v1 import child_pb2 as cpb
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.mch.children.domain import add_months
from support.residents import register_request, with_check
from support.residents import stub as resident_stub

PASSED, WARNING = cpb.DEVELOPMENT_RESULT_PASSED, cpb.DEVELOPMENT_RESULT_WARNING_SIGNS
PASS, REFER = cpb.HEARING_RESULT_PASS, cpb.HEARING_RESULT_REFER
R = cpb.ChildReferralReason


def _get(mch: Mch, name: str) -> cpb.ChildRecord:
    return mch.api.GetChildRecord(
        mpb.GetChildRecordRequest(name=name), metadata=mch.md("qs-doctor")
    )


def _aged(mch: Mch, months: int, days: int = 2) -> tuple[cpb.ChildRecord, date]:
    """An enrolled child ``months`` months and ``days`` days old (inside that visit's window
    for the scheduled ages): its record and birth date."""
    born = add_months(date.today(), -months) - timedelta(days=days)
    if months < 12:
        return _enroll(mch, _child(mch, (date.today() - born).days)), born
    number = with_check(f"320311{born:%Y%m%d}{months % 90 + 10:02d}2")
    resident = (
        resident_stub(mch.running.channel)
        .RegisterResident(
            register_request(number, name="刘小宝", region="320311"), metadata=mch.md("qs-doctor")
        )
        .resident
    )
    return _enroll(mch, resident.name), born


def test_the_schedule_names_each_age_groups_warning_signs(mch: Mch) -> None:
    record, _ = _aged(mch, 3)
    signs = {s.code: [w.code for w in s.warning_signs] for s in record.schedule}
    assert signs["NEWBORN"] == signs["M1"] == []
    assert signs["M3"] == ["M3-1", "M3-2", "M3-3", "M3-4"]
    assert signs["Y6"] == ["Y6-1", "Y6-2", "Y6-3", "Y6-4"]
    m3 = next(s for s in record.schedule if s.code == "M3")
    assert m3.warning_signs[0].description == "对很大声音没有反应"


def test_development_warning_signs_open_a_referral(mch: Mch) -> None:
    record, _ = _aged(mch, 3)
    passed = _visit(mch, record.name, days_ago(0), development=cpb.DevelopmentCheck(result=PASSED))
    assert passed.development.age_group == "M3" and not passed.referral
    assert list(passed.referral_reasons) == []
    warned = _visit(
        mch, record.name, days_ago(0),
        development=cpb.DevelopmentCheck(result=WARNING, warning_signs=["M3-2", "M3-4"]),
    )  # fmt: skip
    assert warned.referral and list(warned.referral_reasons) == [
        R.CHILD_REFERRAL_REASON_DEVELOPMENT
    ]
    assert list(warned.development.warning_signs) == ["M3-2", "M3-4"]
    assert _get(mch, record.name).open_referral == warned.name
    # A 4½-year-old between windows is checked against the 4-year signs.
    older, _ = _aged(mch, 54)
    visit = _visit(
        mch, older.name, days_ago(0),
        development=cpb.DevelopmentCheck(result=WARNING, warning_signs=["Y4-3"]),
    )  # fmt: skip
    assert (visit.slot, visit.development.age_group) == ("", "Y4") and visit.referral


def test_haemoglobin_flags_anaemia_by_the_cut_off_of_the_age(mch: Mch) -> None:
    record, _ = _aged(mch, 6)
    normal = _visit(mch, record.name, days_ago(0), haemoglobin_g_l=112.0)
    assert normal.slot == "M6" and not normal.anaemia and not normal.referral
    low = _visit(mch, record.name, days_ago(0), haemoglobin_g_l=104.5)
    assert low.anaemia and list(low.referral_reasons) == [R.CHILD_REFERRAL_REASON_ANAEMIA]
    assert low.haemoglobin_g_l == 104.5
    assert _get(mch, record.name).open_referral == low.name
    # From 5 years the cut-off is 115 g/L: 112 is anaemia at 5½ (a catch-up between windows).
    older, _ = _aged(mch, 66)
    late = _visit(mch, older.name, days_ago(0), haemoglobin_g_l=112.0)
    assert late.slot == "" and late.anaemia


def test_a_hearing_screen_not_passed_in_one_ear_opens_a_referral(mch: Mch) -> None:
    record, _ = _aged(mch, 12)
    passed = _visit(mch, record.name, days_ago(0), hearing_left=PASS, hearing_right=PASS)
    assert passed.slot == "M12" and not passed.referral
    assert (passed.hearing_left, passed.hearing_right) == (PASS, PASS)
    refer = _visit(
        mch, record.name, days_ago(0), hearing_left=PASS, hearing_right=REFER,
        development=cpb.DevelopmentCheck(result=WARNING, warning_signs=["M12-1"]),
    )  # fmt: skip
    assert list(refer.referral_reasons) == [
        R.CHILD_REFERRAL_REASON_DEVELOPMENT, R.CHILD_REFERRAL_REASON_HEARING,
    ]  # fmt: skip
    assert _get(mch, record.name).open_referral == refer.name


@pytest.mark.parametrize(
    ("months", "fields", "field", "reason"),
    [
        (3, {"development": {"result": PASSED, "warning_signs": ["M3-1"]}},
         "visit.development.warning_signs", "DEVELOPMENT_MISMATCH"),
        (3, {"development": {"result": WARNING}},
         "visit.development.warning_signs", "WARNING_SIGNS_REQUIRED"),
        (3, {"development": {"warning_signs": ["M3-1"]}},
         "visit.development.result", "DEVELOPMENT_RESULT_REQUIRED"),
        (3, {"development": {"result": WARNING, "warning_signs": ["M3-9"]}},
         "visit.development.warning_signs[0]", "WARNING_SIGN_UNKNOWN"),
        (3, {"development": {"result": WARNING, "warning_signs": ["M6-1"]}},
         "visit.development.warning_signs[0]", "WARNING_SIGN_NOT_DUE"),
        (3, {"development": {"result": WARNING, "warning_signs": ["M3-1", "M3-1"]}},
         "visit.development.warning_signs[1]", "WARNING_SIGN_REPEATED"),
        (1, {"development": {"result": PASSED}}, "visit.development.result", "DEVELOPMENT_NOT_DUE"),
        (3, {"development": {"result": 7}}, "visit.development.result", "ENUM_UNKNOWN"),
        (6, {"haemoglobin_g_l": float("nan")}, "visit.haemoglobin_g_l", "MEASURE_OUT_OF_RANGE"),
        (6, {"haemoglobin_g_l": -110.0}, "visit.haemoglobin_g_l", "MEASURE_OUT_OF_RANGE"),
        (6, {"haemoglobin_g_l": 1100.0}, "visit.haemoglobin_g_l", "MEASURE_OUT_OF_RANGE"),
        (6, {"haemoglobin_g_l": float("inf")}, "visit.haemoglobin_g_l", "MEASURE_OUT_OF_RANGE"),
        (3, {"haemoglobin_g_l": 120.0}, "visit.haemoglobin_g_l", "BLOOD_ROUTINE_TOO_YOUNG"),
        (12, {"haemoglobin_g_l": 120.0}, "visit.haemoglobin_g_l", "BLOOD_ROUTINE_NOT_DUE"),
        (8, {"hearing_left": PASS, "hearing_right": PASS}, "visit.hearing_left", "HEARING_NOT_DUE"),
        (6, {"hearing_left": PASS}, "visit.hearing_right", "HEARING_BOTH_EARS"),
        (6, {"hearing_left": PASS, "hearing_right": 9}, "visit.hearing_right", "ENUM_UNKNOWN"),
    ],
)  # fmt: skip
def test_bad_development_and_screening_values_are_invalid_argument_and_write_nothing(
    mch: Mch, months: int, fields: dict, field: str, reason: str
) -> None:
    record, _ = _aged(mch, months)
    fields = dict(fields)  # the parameters are shared by both backends' runs
    if "development" in fields:
        fields["development"] = cpb.DevelopmentCheck(**fields["development"])
    with pytest.raises(grpc.RpcError) as caught:
        _visit(mch, record.name, days_ago(0), **fields)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    info, violations = error_info(caught.value)
    assert field in [f for f, _ in violations] and info.reason == reason
    got = _get(mch, record.name)
    assert not any(s.visit for s in got.schedule) and got.open_referral == ""
