"""The mch demo data of `make run`: seeded by the cell through the registry (after identity's
and archives'), seen through the API, and unchanged by a second seeding."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from conftest import make_settings
from rhip.api.identity.v1 import identity_service_pb2 as ipb
from rhip.api.identity.v1 import (
    identity_service_pb2_grpc,
    qualification_service_pb2_grpc,
    tenant_pb2,
    user_pb2,
)
from rhip.api.identity.v1 import qualification_service_pb2 as qpb
from rhip.api.mch.v1 import birth_certificate_pb2 as bpb
from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb
from rhip.api.mch.v1 import birth_certificate_service_pb2_grpc, mch_service_pb2_grpc
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as ppb
from rhip.cell import build_cell


def _login(channel: grpc.Channel, username: str) -> tuple[list[tuple[str, str]], str]:
    reply = identity_service_pb2_grpc.IdentityServiceStub(channel).Login(
        ipb.LoginRequest(
            password=ipb.PasswordCredentials(username=username, password="Demo-Passw0rd-2026")
        )
    )
    return [("authorization", f"Bearer {reply.access_token}")], reply.principal.tenant_id


def test_the_demo_grants_qualifications_and_registers_a_pregnancy_once(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url)
    cell = build_cell(settings)
    try:
        cell.start("127.0.0.1:0", serving=False)
        lines = cell.seed_demo()
        assert (
            "mch demo data: 6 qualifications, 4 pregnancies (3 graded), 4 children, 50 blank certificates, "
            "4 birth certificates (1 reissued, 1 voided)"
        ) in lines
        assert cell.seed_demo() == lines  # a second run adds nothing
        cell.server.set_serving()
        with grpc.insecure_channel(f"127.0.0.1:{cell.port}") as channel:
            md, tenant = _login(channel, "xz-doctor-1")
            listed = mch_service_pb2_grpc.MchServiceStub(channel).ListPregnancies(
                mpb.ListPregnanciesRequest(parent=f"tenants/{tenant}"), metadata=md
            )
            assert len(listed.pregnancies) == 4
            risks = sorted((p.risk.color, p.risk.purple) for p in listed.pregnancies)
            assert risks == [
                (ppb.RISK_COLOR_UNSPECIFIED, False), (ppb.RISK_COLOR_YELLOW, False),
                (ppb.RISK_COLOR_ORANGE, False), (ppb.RISK_COLOR_RED, True),
            ]  # fmt: skip
            early = [p.early_registration for p in listed.pregnancies]
            assert sorted(early) == [False, False, False, True]  # only the 10-week one
            api = mch_service_pb2_grpc.MchServiceStub(channel)
            at_risk = api.ListPregnancies(
                mpb.ListPregnanciesRequest(
                    parent=f"tenants/{tenant}", min_risk=ppb.RISK_COLOR_ORANGE
                ),
                metadata=md,
            )
            assert len(at_risk.pregnancies) == 2
            children = api.ListChildRecords(
                mpb.ListChildRecordsRequest(parent=f"tenants/{tenant}"), metadata=md
            )
            assert len(children.records) == 4
            overdue = api.ListChildRecords(
                mpb.ListChildRecordsRequest(parent=f"tenants/{tenant}", overdue_only=True),
                metadata=md,
            )
            assert len(overdue.records) == 1  # the 4-month-old, seen at 1 month only
            md, tenant = _login(channel, "xz-doctor-5")  # the maternal–child hospital
            quals = qualification_service_pb2_grpc.QualificationServiceStub(channel)
            kinds = [
                q.kind
                for q in quals.ListQualifications(
                    qpb.ListQualificationsRequest(parent=f"tenants/{tenant}"), metadata=md
                ).qualifications
            ]
            assert len(kinds) == 4
            assert qpb.QUALIFICATION_KIND_MIDWIFERY in kinds
            assert qpb.QUALIFICATION_KIND_BIRTH_CERTIFICATE in kinds
            certificates = birth_certificate_service_pb2_grpc.BirthCertificateServiceStub(channel)
            listed_certificates = certificates.ListBirthCertificates(
                spb.ListBirthCertificatesRequest(parent=f"tenants/{tenant}"), metadata=md
            ).certificates
            assert [(c.number, c.state) for c in listed_certificates] == [
                ("X320000004", bpb.BIRTH_CERTIFICATE_STATE_VALID),
                ("X320000003", bpb.BIRTH_CERTIFICATE_STATE_VOID),
                ("X320000002", bpb.BIRTH_CERTIFICATE_STATE_VALID),
                ("X320000001", bpb.BIRTH_CERTIFICATE_STATE_REISSUED),
            ]
            report = certificates.GetStockReport(
                spb.GetStockReportRequest(parent="regions/320000"),
                metadata=_login(channel, "js-admin")[0],
            )
            assert all(row.balanced for row in report.holders)
            assert report.holders[0].received == 50
            _the_readme_verifies_as_the_demo_police(channel, certificates)
    finally:
        cell.stop(0)


def _the_readme_verifies_as_the_demo_police(
    channel: grpc.Channel,
    certificates: birth_certificate_service_pb2_grpc.BirthCertificateServiceStub,
) -> None:
    """README's verify example: xz-admin finds the demo public-security tenant, gives it a
    service account; that account verifies and is refused anything else."""
    identity = identity_service_pb2_grpc.IdentityServiceStub(channel)
    admin = _login(channel, "xz-admin")[0]
    police = identity.ListTenants(
        ipb.ListTenantsRequest(
            parent="regions/320312", type=tenant_pb2.TENANT_TYPE_PUBLIC_SECURITY
        ),
        metadata=admin,
    ).tenants
    assert [t.display_name for t in police] == ["徐州市公安局铜山分局户政科"]
    account = identity.CreateServiceAccount(
        ipb.CreateServiceAccountRequest(
            service_account=user_pb2.ServiceAccount(
                display_name="公安户籍核验接口", tenant_id=police[0].tenant_id
            )
        ),
        metadata=admin,
    )
    token = identity.Login(
        ipb.LoginRequest(
            client=ipb.ClientCredentials(
                client_id=account.client_id, client_secret=account.client_secret
            )
        )
    ).access_token
    md = [("authorization", f"Bearer {token}")]
    answer = certificates.VerifyBirthCertificate(
        spb.VerifyBirthCertificateRequest(number="X320000001", child_name="孙一鸣"), metadata=md
    )
    assert (answer.result, answer.current_number) == (
        bpb.VERIFICATION_RESULT_REISSUED, "X320000004",
    )  # fmt: skip
    with pytest.raises(grpc.RpcError) as refused:
        certificates.ListBirthCertificates(
            spb.ListBirthCertificatesRequest(parent="regions/320300"), metadata=md
        )
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
