"""Institution qualifications in identity: granted and revoked by regional administrators
within their subtree, audited, one active grant per kind; risk grading only to a
secondary-or-higher institution holding midwifery and child eye care only at county level
(FAILED_PRECONDITION otherwise, nothing written); mch refuses an institution without the
qualification (PERMISSION_DENIED ``QUALIFICATION_REQUIRED``) as soon as it is revoked."""

from __future__ import annotations

import grpc
import pytest
from mch.conftest import Mch, add_hospital, error_info, error_reason, rid
from rhip.api.identity.v1 import qualification_service_pb2 as qpb
from rhip.identity.directory.domain import TenantLevel, TenantType
from rhip.kit.schema import audit_event
from sqlalchemy import select


def _list(mch: Mch, short: str, who: str, show_revoked: bool = False) -> list[qpb.Qualification]:
    return list(
        mch.quals.ListQualifications(
            qpb.ListQualificationsRequest(parent=mch.tenant(short), show_revoked=show_revoked),
            metadata=mch.md(who),
        ).qualifications
    )


def test_a_county_admin_grants_and_revokes_and_both_are_audited(mch: Mch) -> None:
    granted = mch.grant("qs-chc", qpb.QUALIFICATION_KIND_SCHOOL_HEALTH)
    assert granted.state == qpb.QUALIFICATION_STATE_ACTIVE
    assert granted.tenant == mch.tenant("qs-chc")
    assert granted.granted_by == f"user:{mch.world.users['qs-admin']}"
    assert [q.kind for q in _list(mch, "qs-chc", "qs-doctor")] == [
        qpb.QUALIFICATION_KIND_SCHOOL_HEALTH
    ]
    with pytest.raises(grpc.RpcError) as caught:
        mch.quals.RevokeQualification(
            qpb.RevokeQualificationRequest(name=granted.name, reason=" "),
            metadata=mch.md("qs-admin"),
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in error_info(caught.value)[1]] == ["reason"]
    revoked = mch.quals.RevokeQualification(
        qpb.RevokeQualificationRequest(name=granted.name, reason="执业许可到期"),
        metadata=mch.md("xz-admin"),
    )
    assert revoked.state == qpb.QUALIFICATION_STATE_REVOKED and revoked.revoke_reason
    assert _list(mch, "qs-chc", "qs-doctor") == []
    assert len(_list(mch, "qs-chc", "qs-admin", show_revoked=True)) == 1
    with pytest.raises(grpc.RpcError) as caught:
        mch.quals.RevokeQualification(
            qpb.RevokeQualificationRequest(name=granted.name, reason="again"),
            metadata=mch.md("qs-admin"),
        )
    assert error_reason(caught.value) == "QUALIFICATION_REVOKED"
    db = mch.running.cell.part("identity").db
    with db.read() as tx:
        actions = (
            tx.execute(select(audit_event.c.action).where(audit_event.c.target == granted.name))
            .scalars()
            .all()
        )
    assert sorted(actions) == ["qualification.grant", "qualification.revoke"]


def test_one_active_grant_per_kind_and_idempotent_retries(mch: Mch) -> None:
    key = rid()
    request = qpb.GrantQualificationRequest(
        tenant=mch.tenant("qs-hosp"), kind=qpb.QUALIFICATION_KIND_CHILD_EYE_CARE, request_id=key
    )
    first = mch.quals.GrantQualification(request, metadata=mch.md("qs-admin"))
    assert mch.quals.GrantQualification(request, metadata=mch.md("qs-admin")).name == first.name
    with pytest.raises(grpc.RpcError) as caught:
        mch.grant("qs-hosp", qpb.QUALIFICATION_KIND_CHILD_EYE_CARE)
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    info, _ = error_info(caught.value)
    assert info.reason == "QUALIFICATION_EXISTS" and info.metadata["qualification"] == first.name


def _refused(mch: Mch, short: str, kind: int) -> tuple[str, dict[str, str]]:
    """The grant's FAILED_PRECONDITION reason and metadata, once nothing was granted."""
    before = _list(mch, short, "qs-admin", show_revoked=True)
    with pytest.raises(grpc.RpcError) as caught:
        mch.grant(short, kind)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert _list(mch, short, "qs-admin", show_revoked=True) == before
    info, _ = error_info(caught.value)
    return info.reason, dict(info.metadata)


def test_risk_grading_is_granted_to_a_secondary_institution_holding_midwifery(mch: Mch) -> None:
    reason, metadata = _refused(mch, "qs-chc", qpb.QUALIFICATION_KIND_RISK_GRADING)  # primary
    assert reason == "INSTITUTION_LEVEL_REQUIRED"
    assert metadata["required"] == "SECONDARY" and metadata["level"] == "TENANT_LEVEL_PRIMARY"
    mch.grant("qs-chc", qpb.QUALIFICATION_KIND_MIDWIFERY)  # midwifery does not mend the grade
    assert _refused(mch, "qs-chc", qpb.QUALIFICATION_KIND_RISK_GRADING)[0] == (
        "INSTITUTION_LEVEL_REQUIRED"
    )
    add_hospital(mch.running, mch.world, "qs-hosp2", name="泉山区第二人民医院")
    reason, metadata = _refused(mch, "qs-hosp2", qpb.QUALIFICATION_KIND_RISK_GRADING)
    assert reason == "QUALIFICATION_REQUIRED"
    assert metadata == {"qualification": "MIDWIFERY", "for": "RISK_GRADING"}
    mch.grant("qs-hosp2", qpb.QUALIFICATION_KIND_MIDWIFERY)
    granted = mch.grant("qs-hosp2", qpb.QUALIFICATION_KIND_RISK_GRADING)
    assert granted.state == qpb.QUALIFICATION_STATE_ACTIVE


def test_child_eye_care_is_granted_at_county_level_only(mch: Mch) -> None:
    add_hospital(
        mch.running, mch.world, "qs-th", name="泉山区中心卫生院",
        kind=TenantType.TOWNSHIP_HOSPITAL, level=TenantLevel.SECONDARY,
    )  # fmt: skip
    add_hospital(
        mch.running, mch.world, "qs-eye", name="泉山区眼科医院", kind=TenantType.OTHER,
        level=TenantLevel.SECONDARY,
    )  # fmt: skip
    add_hospital(
        mch.running, mch.world, "qs-other", name="泉山区某诊所", kind=TenantType.OTHER,
        level=TenantLevel.UNSPECIFIED,
    )  # fmt: skip
    # Grassroots institutions are below the county whatever their grade; another kind counts
    # by its grade.
    for short in ("qs-chc", "qs-th", "qs-other"):
        reason, metadata = _refused(mch, short, qpb.QUALIFICATION_KIND_CHILD_EYE_CARE)
        assert reason == "INSTITUTION_LEVEL_REQUIRED" and metadata["required"] == "COUNTY"
    for short in ("qs-hosp", "qs-eye"):
        granted = mch.grant(short, qpb.QUALIFICATION_KIND_CHILD_EYE_CARE)
        assert granted.state == qpb.QUALIFICATION_STATE_ACTIVE


@pytest.mark.parametrize("who", ["nj-admin", "qs-doctor", "js-auditor", "nj-doctor"])
def test_only_administrators_above_the_tenant_grant(mch: Mch, who: str) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        mch.grant("qs-chc", qpb.QUALIFICATION_KIND_MIDWIFERY, who=who)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_other_regions_neither_list_nor_revoke(mch: Mch) -> None:
    granted = mch.grant("qs-chc", qpb.QUALIFICATION_KIND_MIDWIFERY)
    for who in ("nj-admin", "nj-doctor", "ts-doctor"):
        with pytest.raises(grpc.RpcError) as caught:
            _list(mch, "qs-chc", who)
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as caught:
        mch.quals.RevokeQualification(
            qpb.RevokeQualificationRequest(name=granted.name, reason="x"),
            metadata=mch.md("nj-admin"),
        )
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_bad_grants_are_invalid_argument(mch: Mch) -> None:
    for request, field in (
        (qpb.GrantQualificationRequest(tenant=mch.tenant("qs-chc")), "kind"),
        (qpb.GrantQualificationRequest(tenant="nope", kind=1), "tenant"),
        (
            qpb.GrantQualificationRequest(
                tenant=mch.tenant("qs-chc"), kind=1, licence_number="a b"
            ),
            "licence_number",
        ),
    ):
        with pytest.raises(grpc.RpcError) as caught:
            mch.quals.GrantQualification(request, metadata=mch.md("qs-admin"))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert [f for f, _ in error_info(caught.value)[1]] == [field]
