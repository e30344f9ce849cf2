"""What the antenatal checks after registration add (DOMAIN §3.1, §3.2): an abnormal finding is
referred and followed up within 2 weeks (a referral item due in 14 days, on the pregnancy and
on the overdue list until a follow-up is recorded); a woman graded yellow or above, or purple,
is seen below secondary level only with an emergency reason; a grassroots institution without
the midwifery qualification does no mid- or late-pregnancy check."""

from __future__ import annotations

import grpc
import pytest
from mch.conftest import Mch, days_ago, error_info, error_reason, rid
from rhip.api.identity.v1 import qualification_service_pb2 as qpb
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb


def _visit(mch: Mch, p: pb.Pregnancy, day: str, who: str, **fields) -> pb.AntenatalVisit:  # type: ignore[no-untyped-def]
    return mch.api.RecordAntenatalVisit(
        mpb.RecordAntenatalVisitRequest(
            parent=p.name, visit=pb.AntenatalVisit(visit_date=day, **fields), request_id=rid()
        ),
        metadata=mch.md(who),
    )


def _get(mch: Mch, p: pb.Pregnancy, who: str = "qs-doctor") -> pb.Pregnancy:
    return mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md(who))


def _overdue(mch: Mch, tenant: str, who: str) -> list[str]:
    reply = mch.api.ListPregnancies(
        mpb.ListPregnanciesRequest(parent=mch.tenant(tenant), overdue_only=True),
        metadata=mch.md(who),
    )
    return [p.name for p in reply.pregnancies]


def _visits(mch: Mch, p: pb.Pregnancy, who: str) -> int:
    reply = mch.api.ListAntenatalVisits(
        mpb.ListAntenatalVisitsRequest(parent=p.name), metadata=mch.md(who)
    )
    return len(reply.visits)


def _grade(mch: Mch, criteria: list[str]) -> None:
    mch.api.AssessPregnancyRisk(
        mpb.AssessPregnancyRiskRequest(
            mother=mch.residents["woman"], criteria=criteria, request_id=rid()
        ),
        metadata=mch.md("qs-hosp-doctor"),
    )


# -- referral of abnormal findings -----------------------------------------------------------
def test_an_abnormal_finding_opens_a_referral_due_in_14_days_until_followed_up(mch: Mch) -> None:
    who = "qs-hosp-doctor"  # managed at the county hospital
    p = mch.register(by=who, lmp_days_ago=150, registration_date=days_ago(90))
    abnormal = _visit(mch, p, days_ago(20), who, abnormal_finding="宫高小于孕周", weight_kg=58)
    assert abnormal.slot == 2 and abnormal.referral and abnormal.abnormal_finding == "宫高小于孕周"
    got = _get(mch, p, who)
    assert got.open_referral == abnormal.name and got.referral_due_date == days_ago(6)
    # The 3rd check's window is still open: only the referral makes her overdue.
    assert _overdue(mch, "qs-hosp", who) == [p.name]
    follow_up = _visit(mch, p, days_ago(0), who, referral_followed_up=True)
    assert follow_up.referral_followed_up and not follow_up.referral
    got = _get(mch, p, who)
    assert got.open_referral == "" and got.referral_due_date == ""
    assert _overdue(mch, "qs-hosp", who) == []


def test_a_referral_not_yet_due_shows_on_the_pregnancy_but_is_not_overdue(mch: Mch) -> None:
    who = "qs-hosp-doctor"
    p = mch.register(by=who, lmp_days_ago=150, registration_date=days_ago(90))
    abnormal = _visit(
        mch, p, days_ago(3), who, abnormal_finding="血压偏高", systolic=142, diastolic=92
    )
    got = _get(mch, p, who)
    assert got.open_referral == abnormal.name and got.referral_due_date == days_ago(-11)
    assert _overdue(mch, "qs-hosp", who) == []


def test_a_follow_up_with_no_open_referral_is_refused_and_writes_nothing(mch: Mch) -> None:
    who = "qs-hosp-doctor"
    p = mch.register(by=who, lmp_days_ago=150, registration_date=days_ago(90))
    with pytest.raises(grpc.RpcError) as caught:
        _visit(mch, p, days_ago(0), who, referral_followed_up=True)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(caught.value) == "NO_OPEN_REFERRAL"
    assert _visits(mch, p, who) == 1  # the registration check only


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"abnormal_finding": "异" * 501}, "visit.abnormal_finding"),
        ({"abnormal_finding": "bad\x00text"}, "visit.abnormal_finding"),
        ({"emergency_reason": "x" * 501}, "visit.emergency_reason"),
    ],
)
def test_bad_findings_and_reasons_are_invalid_argument_and_write_nothing(
    mch: Mch, fields: dict[str, str], field: str
) -> None:
    who = "qs-hosp-doctor"
    p = mch.register(by=who, lmp_days_ago=150, registration_date=days_ago(90))
    with pytest.raises(grpc.RpcError) as caught:
        _visit(mch, p, days_ago(0), who, **fields)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in [f for f, _ in error_info(caught.value)[1]]
    assert _visits(mch, p, who) == 1 and _get(mch, p, who).open_referral == ""


# -- where a graded woman is seen --------------------------------------------------------------
def test_a_yellow_woman_is_seen_below_secondary_level_only_with_an_emergency_reason(
    mch: Mch,
) -> None:
    mch.grant("qs-chc", qpb.QUALIFICATION_KIND_MIDWIFERY)  # the midwifery rule is not at issue
    p = mch.register(lmp_days_ago=150, registration_date=days_ago(90))
    assert _visit(mch, p, days_ago(20), "qs-doctor").slot == 2  # green: the centre sees her
    _grade(mch, ["Y-GDM"])
    with pytest.raises(grpc.RpcError) as caught:
        _visit(mch, p, days_ago(0), "qs-doctor")
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    info, _ = error_info(caught.value)
    assert info.reason == "ANTENATAL_LEVEL_REQUIRED" and info.metadata["risk"] == "YELLOW"
    assert _visits(mch, p, "qs-doctor") == 2
    seen = _visit(mch, p, days_ago(0), "qs-doctor", emergency_reason="先兆早产，转诊前处置")
    assert seen.emergency_reason == "先兆早产，转诊前处置"


def test_a_purple_flag_alone_also_asks_for_secondary_level(mch: Mch) -> None:
    mch.grant("qs-chc", qpb.QUALIFICATION_KIND_MIDWIFERY)
    p = mch.register(lmp_days_ago=150, registration_date=days_ago(90))
    _grade(mch, ["P-HBV"])
    with pytest.raises(grpc.RpcError) as caught:
        _visit(mch, p, days_ago(0), "qs-doctor")
    info, _ = error_info(caught.value)
    assert info.reason == "ANTENATAL_LEVEL_REQUIRED" and info.metadata["risk"] == "PURPLE"


def test_a_grassroots_institution_without_midwifery_does_no_mid_or_late_check(mch: Mch) -> None:
    # Registered at 8w at the community health centre, which holds no midwifery.
    p = mch.register(lmp_days_ago=125, registration_date=days_ago(69))
    assert _visit(mch, p, days_ago(48), "qs-doctor").ga_days == 77  # 11w: early pregnancy
    with pytest.raises(grpc.RpcError) as caught:
        _visit(mch, p, days_ago(0), "qs-doctor")  # 17w6d: a mid-pregnancy check
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    info, _ = error_info(caught.value)
    assert info.reason == "QUALIFICATION_REQUIRED"
    assert info.metadata["qualification"] == "MIDWIFERY"
    assert _visits(mch, p, "qs-doctor") == 2
    mch.grant("qs-chc", qpb.QUALIFICATION_KIND_MIDWIFERY)
    assert _visit(mch, p, days_ago(0), "qs-doctor").slot == 2
