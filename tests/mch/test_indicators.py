"""MCH indicators (issue #14, DOMAIN §3.1–3.4): early registration, postpartum and newborn
visits, child-health management, 0–6 eye-check coverage against its per-region target, the
6-year-old poor-vision rate and high-risk management, per institution and per region subtree,
with numerator, denominator and as-of date; the ranking with the bottom three. Counted in SQL
within the caller's scopes: a regional admin's indicators never count another region."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from mch.conftest import Mch, days_ago, error_info, rid
from rhip.api.mch.v1 import child_pb2 as cpb
from rhip.api.mch.v1 import indicators_pb2 as ipb
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb
from rhip.kit.timestamps import clinical_day
from rhip.mch.children.domain import add_months
from rhip.mch.indicators import counts, domain
from rhip.mch.risk.reports import REPORT
from sqlalchemy import update
from support.residents import register_request, with_check
from support.residents import stub as resident_stub

K = ipb.MchIndicatorKind
N = cpb.EYE_FINDING_NORMAL


def _get(mch: Mch, parent: str, who: str, as_of: str = "") -> ipb.MchIndicators:
    return mch.api.GetMchIndicators(
        ipb.GetMchIndicatorsRequest(parent=parent, as_of=as_of), metadata=mch.md(who)
    )


def _parts(reply: ipb.MchIndicators) -> dict[str, tuple[int, int]]:
    return {
        K.Name(i.kind).removeprefix("MCH_INDICATOR_KIND_").lower(): (i.numerator, i.denominator)
        for i in reply.indicators
    }


def _child_visit(mch: Mch, record: str, day: str, who: str = "qs-doctor", **fields):  # type: ignore[no-untyped-def]
    eye = [cpb.EyeResult(item=k, finding=v) for k, v in fields.pop("eye", {}).items()]
    return mch.api.RecordChildVisit(
        mpb.RecordChildVisitRequest(
            parent=record, visit=cpb.ChildVisit(visit_date=day, eye=eye, **fields), request_id=rid()
        ),
        metadata=mch.md(who),
    )


def _enroll(mch: Mch, child: str, who: str = "qs-doctor") -> cpb.ChildRecord:
    return mch.api.EnrollChild(
        mpb.EnrollChildRequest(child=child, request_id=rid()), metadata=mch.md(who)
    )


def _seed(mch: Mch) -> None:
    """Quanshan: three pregnancies (two early), one delivered 20 days ago with a home visit
    and a visited newborn, one orange with an open report; a 6-year-old with poor vision."""
    # woman: registered at 10w 220 days ago, delivered 20 days ago, discharged 18 days ago.
    mch.register("woman", lmp_days_ago=290, registration_date=days_ago(220))
    born = Timestamp()
    born.FromDatetime(datetime.now(UTC) - timedelta(days=20, hours=1))
    delivery = mch.api.RecordDelivery(
        mpb.RecordDeliveryRequest(
            delivery=pb.Delivery(
                mother=mch.residents["woman"], delivery_date=clinical_day(born.ToDatetime(tzinfo=UTC)).isoformat(),
                discharge_date=days_ago(18), mode=pb.DELIVERY_MODE_VAGINAL,
                newborns=[pb.Newborn(
                    birth_order=1, sex=pb.NEWBORN_SEX_FEMALE, birth_time=born, weight_g=3200,
                    length_cm=50.0, apgar_1min=9, live_birth=True,
                )],
            ),
            request_id=rid(),
        ),
        metadata=mch.md("qs-hosp-doctor"),
    )  # fmt: skip
    mch.api.RecordPostpartumVisit(
        mpb.RecordPostpartumVisitRequest(
            parent=delivery.pregnancy, kind=pb.VISIT_KIND_POSTPARTUM_HOME,
            visit=pb.AntenatalVisit(visit_date=days_ago(15)), request_id=rid(),
        ),
        metadata=mch.md("qs-doctor"),
    )  # fmt: skip
    baby = _enroll(mch, delivery.newborns[0].resident)
    _child_visit(mch, baby.name, days_ago(12), eye={"EYE_APPEARANCE": N})
    # woman2: registered late (21w) today; woman3: early (11w), graded orange.
    mch.register("woman2", lmp_days_ago=150)
    mch.register("woman3", lmp_days_ago=80)
    mch.api.AssessPregnancyRisk(
        mpb.AssessPregnancyRiskRequest(
            mother=mch.residents["woman3"], criteria=["O-HEART"], request_id=rid()
        ),
        metadata=mch.md("qs-hosp-doctor"),
    )
    # A 6-year-old seen in the 6-year window with 0.5 / 1.0.
    birth = add_months(date.today(), -73)
    number = with_check(f"320311{birth:%Y%m%d}002")
    six = (
        resident_stub(mch.running.channel)
        .RegisterResident(
            register_request(number, name="刘小宝", region="320311"), metadata=mch.md("qs-doctor")
        )
        .resident
    )
    record = _enroll(mch, six.name)
    _child_visit(
        mch, record.name, add_months(birth, 72).isoformat(), acuity_left=0.5, acuity_right=1.0,
        eye={"VISUAL_ACUITY": N},
    )  # fmt: skip


def test_indicators_count_the_subtree_and_the_institution(mch: Mch) -> None:
    _seed(mch)
    expected = {
        "early_registration_rate": (2, 3),
        "postpartum_visit_rate": (1, 1),
        "newborn_visit_rate": (1, 1),
        "child_health_management_rate": (2, 2),
        "eye_check_coverage": (2, 2),
        "poor_vision_rate_6y": (1, 1),
        "high_risk_management_rate": (0, 1),
    }
    county = _get(mch, "regions/320311", "qs-admin")
    assert _parts(county) == expected
    assert county.as_of == date.today().isoformat()
    assert county.period_start == (date.today() - timedelta(days=364)).isoformat()
    assert _parts(_get(mch, "regions/320300", "xz-admin")) == expected  # the city above
    assert _parts(_get(mch, "regions/320000", "js-auditor")) == expected
    eye = next(i for i in county.indicators if i.kind == K.MCH_INDICATOR_KIND_EYE_CHECK_COVERAGE)
    assert (eye.rate, eye.target, eye.meets_target) == (1.0, 0.9, True)
    early = next(
        i for i in county.indicators if i.kind == K.MCH_INDICATOR_KIND_EARLY_REGISTRATION_RATE
    )
    assert early.rate == pytest.approx(0.6667) and early.target == 0 and not early.meets_target
    # The community health centre manages all three pregnancies and both children.
    own = _parts(_get(mch, mch.tenant("qs-chc"), "qs-doctor"))
    assert own["early_registration_rate"] == (2, 3) and own["poor_vision_rate_6y"] == (1, 1)
    assert _parts(_get(mch, mch.tenant("qs-hosp"), "qs-admin"))["early_registration_rate"] == (0, 0)
    # Acknowledging the report takes the case into management.
    report = mch.api.ListRiskReports(
        mpb.ListRiskReportsRequest(parent="regions/320311"), metadata=mch.md("qs-admin")
    ).reports[0]
    mch.api.AcknowledgeRiskReport(
        mpb.AcknowledgeRiskReportRequest(name=report.name, note="转诊至市危重孕产妇救治中心"),
        metadata=mch.md("qs-admin"),
    )
    assert _parts(_get(mch, "regions/320311", "qs-admin"))["high_risk_management_rate"] == (1, 1)
    # Filed ten days ago and acknowledged today: as of five days ago it was not yet managed.
    with mch.running.cell.part("mch").db.engine.begin() as conn:
        conn.execute(
            update(REPORT)
            .where(REPORT.c.id == report.name.rsplit("/", 1)[-1])
            .values(create_time=datetime.now(UTC) - timedelta(days=10))
        )
        # Written behind the service's back: the counts it keeps on write are rebuilt.
        counts.rebuild(conn)
    then = _parts(_get(mch, "regions/320311", "qs-admin", as_of=days_ago(5)))
    assert then["high_risk_management_rate"] == (0, 1)
    # As of a year ago nothing of this had happened yet.
    before = _parts(_get(mch, "regions/320311", "qs-admin", as_of=days_ago(400)))
    assert set(before.values()) == {(0, 0)}


def test_another_region_is_never_counted_or_reachable(mch: Mch) -> None:
    _seed(mch)
    assert set(_parts(_get(mch, "regions/320100", "nj-admin")).values()) == {(0, 0)}
    assert set(_parts(_get(mch, "regions/320312", "xz-admin")).values()) == {(0, 0)}
    for parent, who in (
        ("regions/320311", "nj-admin"),
        ("regions/320300", "qs-admin"),  # above the county admin's reach
        (mch.tenant("qs-chc"), "nj-admin"),
        (mch.tenant("qs-chc"), "ts-doctor"),  # another institution's practitioner
        ("regions/320311", "qs-doctor"),
    ):
        with pytest.raises(grpc.RpcError) as caught:
            _get(mch, parent, who)
        assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED, (parent, who)
    with pytest.raises(grpc.RpcError) as caught:
        mch.api.RankMchInstitutions(
            ipb.RankMchInstitutionsRequest(
                parent="regions/320311", kind=K.MCH_INDICATOR_KIND_EARLY_REGISTRATION_RATE
            ),
            metadata=mch.md("nj-admin"),
        )
    assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED


def test_bad_input_is_refused_with_the_field(mch: Mch) -> None:
    for request, field in (
        (ipb.GetMchIndicatorsRequest(parent="regions/320311", as_of="2026-13-01"), "as_of"),
        (ipb.GetMchIndicatorsRequest(parent="regions/320311", as_of="2999-01-01"), "as_of"),
        (ipb.GetMchIndicatorsRequest(parent="regions/32031"), "parent"),
        (ipb.GetMchIndicatorsRequest(parent="hospitals/1"), "parent"),
    ):
        with pytest.raises(grpc.RpcError) as caught:
            mch.api.GetMchIndicators(request, metadata=mch.md("qs-admin"))
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT, request
        _, fields = error_info(caught.value)
        assert field in [f for f, _ in fields], (request, fields)
    for request, field in (
        (ipb.RankMchInstitutionsRequest(parent="regions/320311"), "kind"),
        (
            ipb.RankMchInstitutionsRequest(
                parent=mch.tenant("qs-chc"), kind=K.MCH_INDICATOR_KIND_EARLY_REGISTRATION_RATE
            ),
            "parent",
        ),
    ):
        with pytest.raises(grpc.RpcError) as caught:
            mch.api.RankMchInstitutions(request, metadata=mch.md("qs-admin"))
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        _, fields = error_info(caught.value)
        assert field in [f for f, _ in fields]


def test_the_ranking_names_best_and_bottom_institutions(mch: Mch) -> None:
    mch.register("woman", lmp_days_ago=70)  # early at the community centre
    mch.register("woman2", lmp_days_ago=150, by="qs-hosp-doctor")  # late at the hospital
    reply = mch.api.RankMchInstitutions(
        ipb.RankMchInstitutionsRequest(
            parent="regions/320300", kind=K.MCH_INDICATOR_KIND_EARLY_REGISTRATION_RATE
        ),
        metadata=mch.md("xz-admin"),
    )
    assert [s.tenant for s in reply.best] == [mch.tenant("qs-chc"), mch.tenant("qs-hosp")]
    assert [s.tenant for s in reply.bottom] == [mch.tenant("qs-hosp"), mch.tenant("qs-chc")]
    assert (reply.bottom[0].indicator.numerator, reply.bottom[0].indicator.denominator) == (0, 1)


def test_the_eye_coverage_target_is_set_per_region(mch: Mch) -> None:
    uc = mch.running.cell.part("mch").usecases
    uc.options = replace(uc.options, eye_coverage_targets={"320300": 95})
    county = _get(mch, "regions/320311", "qs-admin")  # Quanshan lies in Xuzhou
    eye = next(i for i in county.indicators if i.kind == K.MCH_INDICATOR_KIND_EYE_CHECK_COVERAGE)
    assert eye.target == 0.95 and not eye.meets_target  # nothing to count yet
    nanjing = _get(mch, "regions/320100", "nj-admin")
    eye = next(i for i in nanjing.indicators if i.kind == K.MCH_INDICATOR_KIND_EYE_CHECK_COVERAGE)
    assert eye.target == 0.9


def test_the_ranking_puts_low_poor_vision_first() -> None:
    counts = {
        "a": {"poor_vision_6y": 1, "acuity_6y": 4},
        "b": {"poor_vision_6y": 3, "acuity_6y": 4},
        "c": {"poor_vision_6y": 0, "acuity_6y": 0},  # nothing to rank
    }
    best, bottom = domain.rank(counts, "poor_vision_rate_6y", 0.9)
    assert [t for t, _ in best] == ["a", "b"] and [t for t, _ in bottom] == ["b", "a"]
