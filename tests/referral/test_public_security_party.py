"""A public-security organ (TENANT_TYPE_PUBLIC_SECURITY) is no health institution: no referral
goes to it and no teleconsultation agreement invites it (INVALID_ARGUMENT naming the field,
TENANT_NOT_HEALTH_INSTITUTION), nothing written."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import grpc
from referral.conftest import Referrals
from rhip.api.identity.v1 import identity_service_pb2 as ipb
from rhip.api.identity.v1 import tenant_pb2
from rhip.api.referral.v1 import referral_service_pb2 as rpb
from rhip.api.referral.v1 import teleconsultation_pb2 as tpb
from rhip.api.referral.v1 import teleconsultation_service_pb2 as tpb_service
from rhip.api.referral.v1 import teleconsultation_service_pb2_grpc
from support.errors import expect_error

INVALID = grpc.StatusCode.INVALID_ARGUMENT


def _police(r: Referrals) -> str:
    tenant = r.running.stub.CreateTenant(
        ipb.CreateTenantRequest(
            tenant=tenant_pb2.Tenant(
                display_name="徐州市公安局泉山分局户政科",
                type=tenant_pb2.TENANT_TYPE_PUBLIC_SECURITY, region_code="320311",
            ),
            request_id=str(uuid.uuid4()),
        ),
        metadata=r.md("qs-admin"),
    )  # fmt: skip
    return str(tenant.name)


def test_a_referral_cannot_go_to_a_public_security_organ(referrals: Referrals) -> None:
    r = referrals
    police = _police(r)
    expect_error(
        lambda: r.create(receiving_tenant=police),
        INVALID,
        "TENANT_NOT_HEALTH_INSTITUTION",
        "referral.receiving_tenant",
    )
    sent = r.stub.ListReferrals(
        rpb.ListReferralsRequest(parent=r.tenant("qs-chc"), box=rpb.BOX_OUTBOX),
        metadata=r.md("qs-doctor"),
    )
    assert not sent.referrals


def test_a_teleconsultation_agreement_cannot_invite_a_public_security_organ(
    referrals: Referrals,
) -> None:
    r = referrals
    police = _police(r)
    stub = teleconsultation_service_pb2_grpc.TeleconsultationServiceStub(r.running.channel)
    agreement = tpb.CooperationAgreement(
        inviting_tenant=r.tenant("qs-chc"), invited_tenant=police, scope="远程会诊",
        start_date=(date.today() - timedelta(days=1)).isoformat(),
        end_date=(date.today() + timedelta(days=365)).isoformat(),
        liability="邀请方承担诊疗决定责任",
    )  # fmt: skip
    expect_error(
        lambda: stub.CreateCooperationAgreement(
            tpb_service.CreateCooperationAgreementRequest(agreement=agreement),
            metadata=r.md("qs-admin"),
        ),
        INVALID,
        "TENANT_NOT_HEALTH_INSTITUTION",
        "agreement.invited_tenant",
    )
