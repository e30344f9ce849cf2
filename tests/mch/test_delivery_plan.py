"""The delivery plan (DOMAIN §3.2, issue 14: "planning or recording a delivery elsewhere needs an
emergency reason"): the managing institution records where the woman plans to deliver — an
institution of the cell with the midwifery qualification; graded yellow or above (or purple),
a secondary-or-higher one unless an emergency reason is stated (the delivery's own rule)."""

from __future__ import annotations

import grpc
import pytest
from mch.conftest import Mch, days_ago, error_info, rid
from rhip.api.identity.v1 import qualification_service_pb2 as qpb
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb


@pytest.fixture
def mch_env() -> dict[str, str]:
    # The planned institution is looked up with the cell's own account (a clinic may read only
    # its own directory entry).
    return {
        "RHIP_CELL_CLIENT_ID": "cell-320000",
        "RHIP_CELL_CLIENT_SECRET": "cell-secret-0123456789",
    }


def _plan(mch: Mch, p: pb.Pregnancy, tenant: str, who: str = "qs-doctor", **fields) -> pb.Pregnancy:  # type: ignore[no-untyped-def]
    return mch.api.PlanDelivery(
        mpb.PlanDeliveryRequest(name=p.name, delivery_tenant=tenant, **fields),
        metadata=mch.md(who),
    )


def _grade(mch: Mch, criteria: list[str]) -> None:
    mch.api.AssessPregnancyRisk(
        mpb.AssessPregnancyRiskRequest(
            mother=mch.residents["woman"], criteria=criteria, request_id=rid()
        ),
        metadata=mch.md("qs-hosp-doctor"),
    )


def _refused(call) -> tuple[grpc.StatusCode, str, list[str]]:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as caught:
        call()
    info, violations = error_info(caught.value)
    return caught.value.code(), info.reason if info else "", [f for f, _ in violations]


def test_a_yellow_woman_plans_a_secondary_institution_or_states_the_emergency(mch: Mch) -> None:
    mch.grant("qs-chc", qpb.QUALIFICATION_KIND_MIDWIFERY)  # a primary institution
    p = mch.register(lmp_days_ago=200, registration_date=days_ago(150))
    _grade(mch, ["Y-AGE-35"])
    assert _refused(lambda: _plan(mch, p, mch.tenant("qs-chc"))) == (
        grpc.StatusCode.FAILED_PRECONDITION, "DELIVERY_LEVEL_REQUIRED", [],
    )  # fmt: skip
    assert not mch.api.GetPregnancy(
        mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-doctor")
    ).HasField("delivery_plan")
    planned = _plan(mch, p, mch.tenant("qs-hosp")).delivery_plan
    assert planned.tenant == mch.tenant("qs-hosp") and planned.meets_grade
    assert planned.institution_level == "TENANT_LEVEL_SECONDARY" and planned.planned_by
    nearby = _plan(mch, p, mch.tenant("qs-chc"), emergency_reason="山区交通阻断，就近分娩")
    assert nearby.delivery_plan.tenant == mch.tenant("qs-chc")
    assert nearby.delivery_plan.emergency_reason == "山区交通阻断，就近分娩"
    assert nearby.delivery_plan.meets_grade


def test_a_plan_made_while_green_shows_it_no_longer_meets_a_later_grade(mch: Mch) -> None:
    mch.grant("qs-chc", qpb.QUALIFICATION_KIND_MIDWIFERY)
    p = mch.register(lmp_days_ago=200, registration_date=days_ago(150))
    assert _plan(mch, p, mch.tenant("qs-chc")).delivery_plan.meets_grade
    _grade(mch, ["O-PREECLAMPSIA"])
    got = mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-doctor"))
    assert got.delivery_plan.tenant == mch.tenant("qs-chc") and not got.delivery_plan.meets_grade


def test_the_planned_institution_must_exist_and_hold_midwifery(mch: Mch) -> None:
    p = mch.register(lmp_days_ago=200, registration_date=days_ago(150))
    assert _refused(lambda: _plan(mch, p, mch.tenant("qs-chc"))) == (
        grpc.StatusCode.FAILED_PRECONDITION, "DELIVERY_INSTITUTION_NOT_QUALIFIED", [],
    )  # fmt: skip
    assert _refused(lambda: _plan(mch, p, f"tenants/{rid()}"))[:2] == (
        grpc.StatusCode.NOT_FOUND, "TARGET_NOT_FOUND",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"delivery_tenant": "hospitals/1"}, "delivery_tenant"),
        ({"delivery_tenant": ""}, "delivery_tenant"),
        ({"emergency_reason": "x" * 501}, "emergency_reason"),
        ({"name": "pregnancy/1"}, "name"),
    ],
)
def test_bad_plans_are_invalid_argument_and_write_nothing(
    mch: Mch, fields: dict[str, str], field: str
) -> None:
    p = mch.register(lmp_days_ago=200, registration_date=days_ago(150))
    request = {"name": p.name, "delivery_tenant": mch.tenant("qs-hosp"), **fields}
    code, _, violations = _refused(
        lambda: mch.api.PlanDelivery(
            mpb.PlanDeliveryRequest(**request), metadata=mch.md("qs-doctor")
        )
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and field in violations
    got = mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-doctor"))
    assert not got.HasField("delivery_plan")


def test_only_the_managing_institution_plans_and_only_an_open_pregnancy(mch: Mch) -> None:
    p = mch.register(lmp_days_ago=200, registration_date=days_ago(150))
    assert _refused(lambda: _plan(mch, p, mch.tenant("qs-hosp"), who="qs-hosp-doctor"))[0] == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    mch.api.TerminatePregnancy(
        mpb.TerminatePregnancyRequest(
            name=p.name, reason=pb.TERMINATION_REASON_INDUCED, termination_date=days_ago(1)
        ),
        metadata=mch.md("qs-doctor"),
    )
    assert _refused(lambda: _plan(mch, p, mch.tenant("qs-hosp")))[:2] == (
        grpc.StatusCode.FAILED_PRECONDITION, "PREGNANCY_CLOSED",
    )  # fmt: skip
