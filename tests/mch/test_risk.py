"""Five-colour risk grading as a time series (DOMAIN §3.2, §10 scenario 14): only qualified
secondary-or-higher institutions that hold midwifery grade (checked on every grading);
earlier grades are kept; the current grade is the most severe non-purple colour of the latest
grading plus a purple flag; the management consequences follow the grade (delivery at
secondary-or-higher institutions)."""

from __future__ import annotations

import grpc
import pytest
from mch.conftest import Mch, add_hospital, days_ago, error_info, error_reason, rid
from rhip.api.identity.v1 import qualification_service_pb2 as qpb
from rhip.api.identity.v1 import tenant_pb2
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb


def _assess(
    mch: Mch, criteria: list[str], day: str, who: str = "qs-hosp-doctor", woman: str = "woman"
):  # type: ignore[no-untyped-def]
    return mch.api.AssessPregnancyRisk(
        mpb.AssessPregnancyRiskRequest(
            mother=mch.residents[woman], assessment_date=day, criteria=criteria, request_id=rid()
        ),
        metadata=mch.md(who),
    )


def _get(mch: Mch, name: str) -> pb.Pregnancy:
    return mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=name), metadata=mch.md("qs-doctor"))


def test_yellow_then_orange_then_purple_gives_orange_with_purple_and_keeps_history(
    mch: Mch,
) -> None:
    # LMP 31 weeks ago: registered at 8w; graded at 12w, 30w and today.
    p = mch.register(lmp_days_ago=217, registration_date=days_ago(161))
    yellow = _assess(mch, ["Y-AGE-35"], days_ago(133))
    assert list(yellow.colors) == [pb.RISK_COLOR_YELLOW] and yellow.ga_days == 84
    assert yellow.institution_level == "TENANT_LEVEL_SECONDARY"
    assert yellow.rules_version == "2017.1"
    _assess(mch, ["o-preeclampsia"], days_ago(7))
    _assess(mch, ["P-HBV"], days_ago(0))
    got = _get(mch, p.name)
    assert got.risk.color == pb.RISK_COLOR_ORANGE and got.risk.purple
    assert list(got.risk.management) == [
        "DELIVER_AT_SECONDARY_OR_HIGHER", "REFER_TO_CRITICAL_CARE_CENTRE", "REPORT_HIGH_RISK_CASE",
    ]  # fmt: skip
    series = mch.api.ListRiskAssessments(
        mpb.ListRiskAssessmentsRequest(parent=p.name), metadata=mch.md("qs-doctor")
    ).assessments
    assert [list(a.colors) for a in series] == [
        [pb.RISK_COLOR_YELLOW], [pb.RISK_COLOR_ORANGE], [pb.RISK_COLOR_PURPLE],
    ]  # fmt: skip


def test_reassessment_lowers_the_grade_but_purple_stays(mch: Mch) -> None:
    p = mch.register(lmp_days_ago=150, registration_date=days_ago(80))
    _assess(mch, ["R-SEVERE-HYPERTENSION", "P-SYPHILIS"], days_ago(20))
    got = _get(mch, p.name)
    assert got.risk.color == pb.RISK_COLOR_RED and got.risk.purple
    assert "TERTIARY_CONTINUATION_ASSESSMENT" in got.risk.management
    _assess(mch, [], days_ago(1))  # reassessed green once controlled
    got = _get(mch, p.name)
    assert got.risk.color == pb.RISK_COLOR_GREEN and got.risk.purple
    assert list(got.risk.management) == ["DELIVER_AT_SECONDARY_OR_HIGHER"]


def test_high_risk_lists_filter_by_grade_and_purple(mch: Mch) -> None:
    orange = mch.register("woman", lmp_days_ago=150, registration_date=days_ago(80))
    purple = mch.register("woman2", lmp_days_ago=150, registration_date=days_ago(80))
    mch.register("woman3", lmp_days_ago=70)
    _assess(mch, ["O-HEART"], days_ago(1), woman="woman")
    _assess(mch, ["P-HIV", "Y-TWINS"], days_ago(1), woman="woman2")

    def listed(colour: int) -> set[str]:
        reply = mch.api.ListPregnancies(
            mpb.ListPregnanciesRequest(parent=mch.tenant("qs-chc"), min_risk=colour),
            metadata=mch.md("qs-admin"),
        )
        return {p.name for p in reply.pregnancies}

    assert listed(pb.RISK_COLOR_ORANGE) == {orange.name}
    assert listed(pb.RISK_COLOR_YELLOW) == {orange.name, purple.name}
    assert listed(pb.RISK_COLOR_PURPLE) == {purple.name}


def _series(mch: Mch, pregnancy: str) -> list[pb.RiskAssessment]:
    return list(
        mch.api.ListRiskAssessments(
            mpb.ListRiskAssessmentsRequest(parent=pregnancy), metadata=mch.md("qs-doctor")
        ).assessments
    )


def test_grading_needs_the_qualification_and_a_secondary_institution(mch: Mch) -> None:
    p = mch.register(lmp_days_ago=100)
    with pytest.raises(grpc.RpcError) as caught:
        _assess(mch, ["Y-TWINS"], days_ago(0), who="qs-doctor")
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    info, _ = error_info(caught.value)
    assert info.reason == "QUALIFICATION_REQUIRED"
    assert info.metadata["qualification"] == "RISK_GRADING"
    # Identity refuses risk grading to a primary institution (tests/mch/test_qualifications.py);
    # a hospital regraded primary after its grant stops grading all the same.
    mch.update_tenant("qs-hosp", level=tenant_pb2.TENANT_LEVEL_PRIMARY)
    with pytest.raises(grpc.RpcError) as caught:
        _assess(mch, ["Y-TWINS"], days_ago(0))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    info, _ = error_info(caught.value)
    assert info.reason == "INSTITUTION_LEVEL_REQUIRED" and info.metadata["required"] == "SECONDARY"
    assert _series(mch, p.name) == []
    mch.update_tenant("qs-hosp", level=tenant_pb2.TENANT_LEVEL_SECONDARY)
    assert list(_assess(mch, ["Y-TWINS"], days_ago(0)).colors) == [pb.RISK_COLOR_YELLOW]


def test_revoking_midwifery_stops_grading(mch: Mch) -> None:
    p = mch.register(lmp_days_ago=100, registration_date=days_ago(10))
    _assess(mch, ["Y-TWINS"], days_ago(1))
    midwifery = next(
        q for q in mch.quals.ListQualifications(
            qpb.ListQualificationsRequest(parent=mch.tenant("qs-hosp")),
            metadata=mch.md("qs-admin"),
        ).qualifications
        if q.kind == qpb.QUALIFICATION_KIND_MIDWIFERY
    )  # fmt: skip
    mch.quals.RevokeQualification(
        qpb.RevokeQualificationRequest(name=midwifery.name, reason="助产技术服务许可到期"),
        metadata=mch.md("qs-admin"),
    )
    with pytest.raises(grpc.RpcError) as caught:
        _assess(mch, ["O-HEART"], days_ago(0))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    info, _ = error_info(caught.value)
    assert info.reason == "QUALIFICATION_REQUIRED"
    assert dict(info.metadata) == {"qualification": "MIDWIFERY", "for": "RISK_GRADING"}
    assert len(_series(mch, p.name)) == 1 and _get(mch, p.name).risk.color == pb.RISK_COLOR_YELLOW
    assert _reports(mch) == []  # nor was the orange grade reported
    mch.grant("qs-hosp", qpb.QUALIFICATION_KIND_MIDWIFERY)
    assert list(_assess(mch, ["O-HEART"], days_ago(0)).colors) == [pb.RISK_COLOR_ORANGE]


def test_bad_criteria_and_women_without_a_pregnancy_are_refused(mch: Mch) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        _assess(mch, ["Y-TWINS", "X-NOT-A-RULE"], days_ago(0))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in error_info(caught.value)[1]] == ["criteria[1]"]
    with pytest.raises(grpc.RpcError) as caught:
        _assess(mch, ["Y-TWINS"], days_ago(0))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(caught.value) == "NO_OPEN_PREGNANCY"


def test_a_hospital_outside_the_county_cannot_grade_her(mch: Mch) -> None:
    mch.register(lmp_days_ago=100)
    add_hospital(mch.running, mch.world, "ts-hosp", "320312", "徐州市铜山区人民医院")
    mch.grant("ts-hosp", qpb.QUALIFICATION_KIND_MIDWIFERY, who="xz-admin")
    mch.grant("ts-hosp", qpb.QUALIFICATION_KIND_RISK_GRADING, who="xz-admin")
    with pytest.raises(grpc.RpcError) as caught:
        _assess(mch, ["Y-TWINS"], days_ago(0), who="ts-hosp-doctor")
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error_reason(caught.value) not in (
        "QUALIFICATION_REQUIRED",
        "INSTITUTION_LEVEL_REQUIRED",
    )


def _reports(mch: Mch, who: str = "qs-admin", code: str = "320311", open_only: bool = False):  # type: ignore[no-untyped-def]
    return list(
        mch.api.ListRiskReports(
            mpb.ListRiskReportsRequest(parent=f"regions/{code}", open_only=open_only),
            metadata=mch.md(who),
        ).reports
    )


def test_orange_and_red_file_one_report_each_to_the_county(mch: Mch) -> None:
    p = mch.register(lmp_days_ago=150, registration_date=days_ago(80))
    _assess(mch, ["Y-GDM", "P-HBV"], days_ago(30))  # yellow + purple: nothing to report
    assert _reports(mch) == []
    orange = _assess(mch, ["O-THYROID"], days_ago(20))
    _assess(mch, ["O-THYROID", "Y-GDM"], days_ago(10))  # still orange: not reported again
    [report] = _reports(mch)
    assert report.color == pb.RISK_COLOR_ORANGE and report.pregnancy == p.name
    assert report.assessment == orange.name and report.region_code == "320311"
    assert report.state == pb.REPORT_STATE_OPEN
    _assess(mch, ["R-SEVERE-HEART"], days_ago(1))
    reports = _reports(mch, who="xz-admin", code="320300")  # the city sees its counties'
    assert [r.color for r in reports] == [pb.RISK_COLOR_RED, pb.RISK_COLOR_ORANGE]
    with pytest.raises(grpc.RpcError) as caught:
        mch.api.AcknowledgeRiskReport(
            mpb.AcknowledgeRiskReportRequest(name=report.name), metadata=mch.md("qs-admin")
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in error_info(caught.value)[1]] == ["note"]
    done = mch.api.AcknowledgeRiskReport(
        mpb.AcknowledgeRiskReportRequest(name=report.name, note="已转诊至市危重孕产妇救治中心"),
        metadata=mch.md("qs-admin"),
    )
    assert done.state == pb.REPORT_STATE_ACKNOWLEDGED
    assert done.acknowledged_by == f"user:{mch.world.users['qs-admin']}"
    assert [r.color for r in _reports(mch, open_only=True)] == [pb.RISK_COLOR_RED]


def test_reports_stay_in_their_county(mch: Mch) -> None:
    mch.register(lmp_days_ago=150, registration_date=days_ago(80))
    _assess(mch, ["O-HEART"], days_ago(1))
    [report] = _reports(mch)
    assert _reports(mch, who="nj-admin", code="320100") == []
    for who, code in (
        ("nj-admin", "320311"),
        ("qs-doctor", "320311"),
        ("qs-hosp-doctor", "320311"),
    ):
        with pytest.raises(grpc.RpcError) as caught:
            _reports(mch, who=who, code=code)
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    for who in ("nj-admin", "js-auditor", "qs-doctor"):
        with pytest.raises(grpc.RpcError) as caught:
            mch.api.AcknowledgeRiskReport(
                mpb.AcknowledgeRiskReportRequest(name=report.name, note="x"), metadata=mch.md(who)
            )
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
