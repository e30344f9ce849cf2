"""The mch demo data of `make run`: seeded by the cell through the registry (after identity's
and archives'), seen through the API, and unchanged by a second seeding."""

from __future__ import annotations

from pathlib import Path

import grpc
from conftest import make_settings
from rhip.api.identity.v1 import identity_service_pb2 as ipb
from rhip.api.identity.v1 import identity_service_pb2_grpc, qualification_service_pb2_grpc
from rhip.api.identity.v1 import qualification_service_pb2 as qpb
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import mch_service_pb2_grpc
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
        assert "mch demo data: 6 qualifications, 1 pregnancy" in lines
        assert cell.seed_demo() == lines  # a second run adds nothing
        cell.server.set_serving()
        with grpc.insecure_channel(f"127.0.0.1:{cell.port}") as channel:
            md, tenant = _login(channel, "xz-doctor-1")
            listed = mch_service_pb2_grpc.MchServiceStub(channel).ListPregnancies(
                mpb.ListPregnanciesRequest(parent=f"tenants/{tenant}"), metadata=md
            )
            assert len(listed.pregnancies) == 1 and listed.pregnancies[0].early_registration
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
    finally:
        cell.stop(0)
