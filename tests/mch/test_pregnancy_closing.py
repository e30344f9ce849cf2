"""The end of a pregnancy episode (DOMAIN §9: … → CHECK_42D_DONE → CLOSED; TERMINATED) and the
postpartum risk assessment (DOMAIN §3.2: the grading covers pregnancy up to 42 days
postpartum). An episode is CLOSED from the day after its 42-day check (no earlier than
postpartum day 43), or, without the check, from the day after the check's window plus 28
days of follow-up; closed episodes leave the overdue list and take nothing more."""

from __future__ import annotations

from datetime import date, timedelta

import grpc
import pytest
from mch.conftest import Mch, days_ago, error_info, error_reason, rid
from mch.test_postpartum import _deliver, _slots, _visit
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb


def _get(mch: Mch, name: str) -> pb.Pregnancy:
    return mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=name), metadata=mch.md("qs-doctor"))


def _listed(mch: Mch, **filters) -> list[str]:  # type: ignore[no-untyped-def]
    reply = mch.api.ListPregnancies(
        mpb.ListPregnanciesRequest(parent=mch.tenant("qs-chc"), **filters),
        metadata=mch.md("qs-doctor"),
    )
    return [p.name for p in reply.pregnancies]


def _assess(mch: Mch, criteria: list[str], day: str):  # type: ignore[no-untyped-def]
    return mch.api.AssessPregnancyRisk(
        mpb.AssessPregnancyRiskRequest(
            mother=mch.residents["woman"], assessment_date=day, criteria=criteria,
            request_id=rid(),
        ),
        metadata=mch.md("qs-hosp-doctor"),
    )  # fmt: skip


def _in(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def test_the_42_day_check_today_closes_the_episode_tomorrow(mch: Mch) -> None:
    p = _deliver(mch, delivered=44, discharged=40)
    _visit(mch, p, pb.VISIT_KIND_POSTPARTUM_HOME, days_ago(36))
    _visit(mch, p, pb.VISIT_KIND_CHECK_42D, days_ago(0))
    p = _get(mch, p.name)
    assert p.state == pb.PREGNANCY_STATE_CHECK_42D_DONE and p.close_date == _in(1)
    assert _listed(mch, state=pb.PREGNANCY_STATE_CHECK_42D_DONE) == [p.name]
    assert _listed(mch, state=pb.PREGNANCY_STATE_CLOSED) == []


def test_an_early_42_day_check_closes_no_sooner_than_postpartum_day_43(mch: Mch) -> None:
    p = _deliver(mch, delivered=30, discharged=28)
    _visit(mch, p, pb.VISIT_KIND_CHECK_42D, days_ago(0))  # day 30: saved, tagged early
    p = _get(mch, p.name)
    assert p.state == pb.PREGNANCY_STATE_CHECK_42D_DONE and p.close_date == _in(13)


def test_without_the_check_it_stays_overdue_through_its_follow_up_then_closes(mch: Mch) -> None:
    # Delivered 70 days ago: the check's window (days 42–56) is over, the follow-up not yet.
    p = _deliver(mch, delivered=70, discharged=68)
    assert p.state == pb.PREGNANCY_STATE_DELIVERED
    assert p.close_date == _in(-70 + 42 + 14 + 28 + 1)
    assert _listed(mch, overdue_only=True) == [p.name]
    assert _slots(p)[7] == pb.SLOT_STATE_MISSED


def test_a_closed_episode_leaves_the_overdue_list_takes_nothing_and_she_registers_again(
    mch: Mch,
) -> None:
    p = _deliver(mch, delivered=100, discharged=97)  # no postpartum visit at all
    got = _get(mch, p.name)
    assert got.state == pb.PREGNANCY_STATE_CLOSED and got.close_date == days_ago(100 - 85)
    assert _slots(got)[6] == pb.SLOT_STATE_MISSED and _slots(got)[7] == pb.SLOT_STATE_MISSED
    assert _listed(mch, overdue_only=True) == []
    assert _listed(mch, state=pb.PREGNANCY_STATE_CLOSED) == [p.name]
    assert _listed(mch, state=pb.PREGNANCY_STATE_DELIVERED) == []
    with pytest.raises(grpc.RpcError) as caught:
        _visit(mch, p, pb.VISIT_KIND_CHECK_42D, days_ago(0))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(caught.value) == "PREGNANCY_CLOSED"
    with pytest.raises(grpc.RpcError) as caught:
        _assess(mch, ["O-PREECLAMPSIA"], days_ago(0))
    assert error_reason(caught.value) == "NO_OPEN_PREGNANCY"
    again = mch.register(lmp_days_ago=60)
    assert again.state == pb.PREGNANCY_STATE_REGISTERED
    assert sorted(_listed(mch)) == sorted([p.name, again.name])


def test_a_terminated_pregnancy_is_closed_and_she_registers_again(mch: Mch) -> None:
    p = mch.register(lmp_days_ago=160, registration_date=days_ago(60))
    assert _listed(mch, overdue_only=True) == [p.name]  # the 2nd check's window closed
    mch.api.TerminatePregnancy(
        mpb.TerminatePregnancyRequest(
            name=p.name, reason=pb.TERMINATION_REASON_MISCARRIAGE, termination_date=days_ago(2)
        ),
        metadata=mch.md("qs-doctor"),
    )
    assert _listed(mch, overdue_only=True) == []
    assert mch.register(lmp_days_ago=10).state == pb.PREGNANCY_STATE_REGISTERED


def test_a_postpartum_assessment_grades_the_delivered_episode_up_to_day_42(mch: Mch) -> None:
    p = _deliver(mch, delivered=10, discharged=7)
    before = _assess(mch, ["Y-AGE-35"], days_ago(20))  # before the delivery: antenatal
    assert not before.postpartum and before.ga_days > 0
    after = _assess(mch, ["O-PREECLAMPSIA"], days_ago(0))
    assert after.postpartum and after.postpartum_day == 10 and after.ga_days == 0
    assert after.name.startswith(p.name + "/")
    got = _get(mch, p.name)
    assert got.risk.color == pb.RISK_COLOR_ORANGE
    reports = mch.api.ListRiskReports(
        mpb.ListRiskReportsRequest(parent="regions/320311"), metadata=mch.md("qs-admin")
    ).reports
    assert [r.pregnancy for r in reports] == [p.name]  # one found, one reported, postpartum too


def test_a_postpartum_assessment_after_day_42_is_invalid_and_writes_nothing(mch: Mch) -> None:
    p = _deliver(mch, delivered=50, discharged=47)
    with pytest.raises(grpc.RpcError) as caught:
        _assess(mch, ["O-PREECLAMPSIA"], days_ago(0))  # postpartum day 50
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    info, violations = error_info(caught.value)
    assert info.reason == "AFTER_POSTPARTUM_PERIOD"
    assert [f for f, _ in violations] == ["assessment_date"]
    assert _assess(mch, ["Y-AGE-35"], days_ago(8)).postpartum_day == 42
    series = mch.api.ListRiskAssessments(
        mpb.ListRiskAssessmentsRequest(parent=p.name), metadata=mch.md("qs-doctor")
    ).assessments
    assert [a.postpartum_day for a in series] == [42]
