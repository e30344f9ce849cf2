"""The referral demo data of `make run`: the registry's demo seeding in a serving cell leaves
one referral up and back (RETURNED) that the community health centre's doctor sees in its
outbox with the 14-day task in the resident's record, and a teleconsultation of the same
resident accepted by the hospital's doctor and scheduled; seeding again changes nothing."""

from __future__ import annotations

from pathlib import Path

import grpc
from conftest import make_settings
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.api.identity.v1 import identity_service_pb2 as ipb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.api.referral.v1 import referral_pb2 as rpb
from rhip.api.referral.v1 import referral_service_pb2 as pb
from rhip.api.referral.v1 import referral_service_pb2_grpc, teleconsultation_service_pb2_grpc
from rhip.api.referral.v1 import teleconsultation_pb2 as tpb
from rhip.api.referral.v1 import teleconsultation_service_pb2 as tpb_service
from rhip.cell import build_cell
from rhip.demo import DEMO_PASSWORD


def test_the_demo_refers_one_patient_up_and_back(
    tmp_path: Path, database_url: str, archives_url: str, referral_url: str
) -> None:
    settings = make_settings(
        tmp_path, database_url,
        RHIP_ARCHIVES_DATABASE_URL=archives_url, RHIP_REFERRAL_DATABASE_URL=referral_url,
        RHIP_CELL_CLIENT_ID="cell-320000", RHIP_CELL_CLIENT_SECRET="cell-secret-0123456789",
    )  # fmt: skip
    cell = build_cell(settings)
    try:
        cell.start("127.0.0.1:0", serving=False)
        lines = cell.seed_demo()
        assert (
            "referral demo data: 1 referral up and back (RETURNED), 1 teleconsultation (SCHEDULED)"
            in lines
        )
        assert cell.seed_demo() == lines  # again: a no-op
        cell.server.set_serving()
        with grpc.insecure_channel(f"127.0.0.1:{cell.port}") as channel:
            login = identity_service_pb2_grpc.IdentityServiceStub(channel).Login(
                ipb.LoginRequest(
                    password=ipb.PasswordCredentials(username="xz-doctor-1", password=DEMO_PASSWORD)
                )
            )
            md = [("authorization", f"Bearer {login.access_token}")]
            outbox = referral_service_pb2_grpc.ReferralServiceStub(channel).ListReferrals(
                pb.ListReferralsRequest(
                    parent=f"tenants/{login.principal.tenant_id}", box=pb.BOX_OUTBOX
                ),
                metadata=md,
            )
            (referral,) = outbox.referrals
            assert referral.state == rpb.REFERRAL_STATE_RETURNED
            tasks = archives_service_pb2_grpc.ArchivesServiceStub(channel).ListTasks(
                apb.ListTasksRequest(parent=referral.snapshot.health_record), metadata=md
            )
            assert [t.kind for t in tasks.tasks].count(rec.TASK_KIND_REFERRAL_RETURN) == 1
            consults = teleconsultation_service_pb2_grpc.TeleconsultationServiceStub(
                channel
            ).ListTeleconsultations(
                tpb_service.ListTeleconsultationsRequest(
                    parent=f"tenants/{login.principal.tenant_id}", resident=referral.resident
                ),
                metadata=md,
            )
            (consult,) = consults.teleconsultations
            assert consult.state == tpb.TELECONSULTATION_STATE_SCHEDULED
            assert consult.consulting_physician_title == "主任医师"
    finally:
        cell.stop(0)
