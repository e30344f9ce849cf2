"""A woman managed at a grassroots institution and sent to a secondary-or-higher one for her mid-
and late-pregnancy checks (DOMAIN §3.1; or because she is graded yellow or above, §3.2) has
those checks recorded by that hospital: the institution her delivery plan names records an
antenatal visit on the episode it does not manage, when it is secondary or higher and holds
midwifery; nobody else does (PERMISSION_DENIED ``NOT_CARING_INSTITUTION``, alike for a missing
episode), and recording gives it nothing else of hers."""

from __future__ import annotations

import uuid

import grpc
import pytest
from mch.conftest import Mch, days_ago, error_info, rid
from rhip.api.identity.v1 import qualification_service_pb2 as qpb
from rhip.api.identity.v1 import tenant_pb2
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb


@pytest.fixture
def mch_env() -> dict[str, str]:
    # The planned institution is looked up with the cell's own account (test_delivery_plan).
    return {
        "RHIP_CELL_CLIENT_ID": "cell-320000",
        "RHIP_CELL_CLIENT_SECRET": "cell-secret-0123456789",
    }


def _visit(mch: Mch, parent: str, who: str) -> pb.AntenatalVisit:
    return mch.api.RecordAntenatalVisit(
        mpb.RecordAntenatalVisitRequest(
            parent=parent,
            visit=pb.AntenatalVisit(visit_date=days_ago(0), weight_kg=61),
            request_id=rid(),
        ),
        metadata=mch.md(who),
    )


def _refused(mch: Mch, parent: str, who: str = "qs-hosp-doctor") -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as caught:
        _visit(mch, parent, who)
    info, _ = error_info(caught.value)
    return caught.value.code(), info.reason


def _plan(mch: Mch, p: pb.Pregnancy, short: str) -> None:
    mch.api.PlanDelivery(
        mpb.PlanDeliveryRequest(name=p.name, delivery_tenant=mch.tenant(short)),
        metadata=mch.md("qs-doctor"),
    )


def _visits(mch: Mch, p: pb.Pregnancy) -> list[pb.AntenatalVisit]:
    return list(
        mch.api.ListAntenatalVisits(
            mpb.ListAntenatalVisitsRequest(parent=p.name), metadata=mch.md("qs-doctor")
        ).visits
    )


def _registered_at_the_centre(mch: Mch) -> pb.Pregnancy:
    # Registered at 8w at the community health centre (no midwifery); 17w6d today.
    return mch.register(lmp_days_ago=125, registration_date=days_ago(69))


def test_the_hospital_her_plan_names_records_her_mid_and_late_checks(mch: Mch) -> None:
    p = _registered_at_the_centre(mch)
    assert _refused(mch, p.name) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_CARING_INSTITUTION")
    assert len(_visits(mch, p)) == 1
    _plan(mch, p, "qs-hosp")
    seen = _visit(mch, p.name, "qs-hosp-doctor")
    assert seen.slot == 2 and seen.tenant == mch.tenant("qs-hosp")
    got = mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-doctor"))
    assert [s.visit for s in got.schedule if s.number == 2] == [seen.name]
    assert [v.name for v in _visits(mch, p)][-1] == seen.name
    # Recording her checks is all the hospital may do with the episode it does not manage.
    with pytest.raises(grpc.RpcError) as caught:
        mch.api.GetPregnancy(
            mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-hosp-doctor")
        )
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    # Planned elsewhere again: the hospital records nothing more.
    mch.grant("qs-chc", qpb.QUALIFICATION_KIND_MIDWIFERY)
    _plan(mch, p, "qs-chc")
    assert _refused(mch, p.name) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_CARING_INSTITUTION")
    assert len(_visits(mch, p)) == 2


def test_a_missing_episode_and_one_not_planned_there_look_alike(mch: Mch) -> None:
    p = _registered_at_the_centre(mch)
    missing = f"pregnancies/{uuid.uuid4()}"
    assert _refused(mch, missing) == _refused(mch, p.name)


def test_the_planned_hospital_needs_midwifery_and_a_secondary_level(mch: Mch) -> None:
    p = _registered_at_the_centre(mch)
    _plan(mch, p, "qs-hosp")
    mch.update_tenant("qs-hosp", level=tenant_pb2.TENANT_LEVEL_PRIMARY)
    assert _refused(mch, p.name) == (
        grpc.StatusCode.PERMISSION_DENIED, "INSTITUTION_LEVEL_REQUIRED",
    )  # fmt: skip
    mch.update_tenant("qs-hosp", level=tenant_pb2.TENANT_LEVEL_SECONDARY)
    granted = mch.quals.ListQualifications(
        qpb.ListQualificationsRequest(parent=mch.tenant("qs-hosp")), metadata=mch.md("qs-admin")
    ).qualifications
    midwifery = next(q for q in granted if q.kind == qpb.QUALIFICATION_KIND_MIDWIFERY)
    mch.quals.RevokeQualification(
        qpb.RevokeQualificationRequest(name=midwifery.name, reason="停业整顿"),
        metadata=mch.md("qs-admin"),
    )
    assert _refused(mch, p.name) == (grpc.StatusCode.PERMISSION_DENIED, "QUALIFICATION_REQUIRED")
    assert len(_visits(mch, p)) == 1


def test_a_graded_woman_is_seen_at_the_planned_hospital_without_an_emergency_reason(
    mch: Mch,
) -> None:
    p = _registered_at_the_centre(mch)
    mch.api.AssessPregnancyRisk(
        mpb.AssessPregnancyRiskRequest(
            mother=mch.residents["woman"], criteria=["Y-TWINS"], request_id=rid()
        ),
        metadata=mch.md("qs-hosp-doctor"),
    )
    _plan(mch, p, "qs-hosp")
    assert _visit(mch, p.name, "qs-hosp-doctor").emergency_reason == ""
    got = mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-doctor"))
    assert got.high_risk_visit_due_date == days_ago(-28)
