"""A public-security organ as a tenant (DOMAIN §4.2, §4.6): its service accounts get the
verifier role, which checks birth certificates and reaches nothing else; it takes no
practitioners, no health qualifications, no other role; it never becomes a health
institution; and a hospital's HIS no longer verifies (least privilege)."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from mch.bmc_support import (
    Bmc,
    deliver,
    issue,
    make_bmc,
    police_tenant,
    refused,
    service_account,
)
from mch.conftest import Mch, rid
from rhip.api.common.v1 import common_pb2
from rhip.api.identity.v1 import identity_service_pb2 as ipb
from rhip.api.identity.v1 import qualification_service_pb2 as qpb
from rhip.api.identity.v1 import tenant_pb2, user_pb2
from rhip.api.mch.v1 import birth_certificate_pb2 as bpb
from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from support.cells import PASSWORD
from support.residents import register_request, with_check
from support.residents import stub as resident_stub

C = grpc.StatusCode


@pytest.fixture
def bmc(mch: Mch) -> Bmc:
    made = make_bmc(mch)
    made.down_to_hospital("X320101001", 10)
    return made


def test_a_police_account_verifies_and_reaches_nothing_else(bmc: Bmc) -> None:
    mch = bmc.mch
    verifier = service_account(mch, police_tenant(mch), "公安户籍核验接口")
    c = issue(bmc, deliver(mch).newborns[0].name, "X320101001")

    def verify() -> int:
        return bmc.api.VerifyBirthCertificate(
            spb.VerifyBirthCertificateRequest(number=c.number, child_name="王小明"),
            metadata=verifier,
        ).result

    assert verify() == bpb.VERIFICATION_RESULT_AUTHENTIC
    bmc.api.VoidBirthCertificate(
        spb.VoidBirthCertificateRequest(name=c.name, reason="副页被私自撕下", request_id=rid()),
        metadata=bmc.md("qs-hosp-doctor"),
    )
    assert verify() == bpb.VERIFICATION_RESULT_VOID
    stub = mch.running.stub
    for call in (
        lambda: mch.api.ListPregnancies(
            mpb.ListPregnanciesRequest(parent=mch.tenant("qs-hosp")), metadata=verifier
        ),
        lambda: bmc.api.GetBirthCertificate(
            spb.GetBirthCertificateRequest(name=c.name), metadata=verifier
        ),
        lambda: stub.GetTenant(ipb.GetTenantRequest(name=mch.tenant("qs-chc")), metadata=verifier),
        lambda: resident_stub(mch.running.channel).RegisterResident(
            register_request(with_check("32031219900101001"), name="李四", region="320312"),
            metadata=verifier,
        ),
        lambda: mch.quals.ListQualifications(
            qpb.ListQualificationsRequest(parent=mch.tenant("qs-hosp")), metadata=verifier
        ),
    ):
        refused(call, C.PERMISSION_DENIED)


def test_a_hospital_his_no_longer_verifies(bmc: Bmc) -> None:
    c = issue(bmc, deliver(bmc.mch).newborns[0].name, "X320101001")
    his = service_account(bmc.mch, bmc.mch.world.tenants["qs-hosp"], "泉山医院HIS接口")
    refused(
        lambda: bmc.api.VerifyBirthCertificate(
            spb.VerifyBirthCertificateRequest(number=c.number, child_name="王小明"), metadata=his
        ),
        C.PERMISSION_DENIED,
    )
    # Its data feed is untouched: the HIS still reads the pregnancies of its hospital.
    bmc.mch.api.ListPregnancies(
        mpb.ListPregnanciesRequest(parent=bmc.mch.tenant("qs-hosp")), metadata=his
    )


def test_a_public_security_tenant_takes_no_practitioner_qualification_or_other_role(
    mch: Mch,
) -> None:
    stub, md = mch.running.stub, mch.md("xz-admin")
    tenant_id = police_tenant(mch)
    mch.world.tenants["police"] = tenant_id
    refused(
        lambda: stub.CreateUser(
            ipb.CreateUserRequest(
                user=user_pb2.User(
                    username="police-officer",
                    display_name="户政民警",
                    kind=common_pb2.PRINCIPAL_KIND_PRACTITIONER,
                    tenant_id=tenant_id,
                ),
                password=PASSWORD,
                request_id=rid(),
            ),
            metadata=md,
        ),
        C.FAILED_PRECONDITION,
        "TENANT_NOT_HEALTH_INSTITUTION",
    )
    for kind in (qpb.QUALIFICATION_KIND_MIDWIFERY, qpb.QUALIFICATION_KIND_BIRTH_CERTIFICATE):
        refused(
            lambda k=kind: mch.grant("police", k, who="xz-admin"),
            C.FAILED_PRECONDITION,
            "TENANT_NOT_HEALTH_INSTITUTION",
        )
    # A clinician of another tenant cannot be given a role there, nor the verifier role at a
    # hospital.
    doctor = f"user:{mch.world.users['qs-doctor']}"
    for role, where in (("practitioner", tenant_id), ("verifier", mch.world.tenants["qs-hosp"])):
        refused(
            lambda r=role, w=where: stub.GrantRole(
                ipb.GrantRoleRequest(
                    grant=user_pb2.RoleGrant(subject=doctor, role=r, tenant_id=w),
                    request_id=rid(),
                ),
                metadata=md,
            ),
            C.FAILED_PRECONDITION,
            "ROLE_NOT_FOR_TENANT",
        )
    # Nor does it turn into a clinic (its accounts' role follows the type it was made with).
    refused(
        lambda: stub.UpdateTenant(
            ipb.UpdateTenantRequest(
                tenant=tenant_pb2.Tenant(
                    name=f"tenants/{tenant_id}", type=tenant_pb2.TENANT_TYPE_VILLAGE_CLINIC
                ),
                update_mask=FieldMask(paths=["type"]),
            ),
            metadata=md,
        ),
        C.FAILED_PRECONDITION,
        "TENANT_TYPE_CHANGE",
    )
