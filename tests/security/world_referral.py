"""The referral service's owner data for the security world: a referral of the owner's
resident from the owner's institution (T1, Quanshan) up to the Pei county hospital
(xz-doctor-4, not an attacker), submitted so that its record snapshot travels with it. Both
institutions are its parties; the record's managing institution is T1 itself."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import TYPE_CHECKING

from rhip.api.referral.v1 import referral_pb2 as rpb
from rhip.api.referral.v1 import referral_service_pb2 as pb
from rhip.api.referral.v1 import referral_service_pb2_grpc, teleconsultation_service_pb2_grpc
from rhip.api.referral.v1 import teleconsultation_pb2 as tpb
from rhip.api.referral.v1 import teleconsultation_service_pb2 as tpb_service
from rhip.demo import DEMO_PASSWORD
from security.platform import JIANGSU
from security.rpcs import TIMEOUT

if TYPE_CHECKING:
    from security.world import World


def build_referral_world(world: World) -> None:
    from security.world import Target, _login, _path  # world.py imports this module

    stub = referral_service_pb2_grpc.ReferralServiceStub(world.platform.channel)
    receiver = _login(world.platform, JIANGSU, username="xz-doctor-4", password=DEMO_PASSWORD)
    receiver_scope = f"{_path(receiver.principal.region_code)}/t-{receiver.principal.tenant_id}"
    owner_scope = world.targets["tenant"][0].scopes[0]
    resident = world.targets["resident"][0].value

    def call(method, request):  # type: ignore[no-untyped-def]
        request.request_id = str(uuid.uuid4())
        world.replays.setdefault(request.DESCRIPTOR.full_name, []).append(
            (Target(world.owner[0][1], (owner_scope,), ""), request.SerializeToString())
        )
        return method(request, metadata=world.owner, timeout=TIMEOUT)

    referral = call(
        stub.CreateReferral,
        pb.CreateReferralRequest(
            referral=rpb.Referral(
                direction=rpb.DIRECTION_UP,
                resident=resident,
                receiving_tenant=f"tenants/{receiver.principal.tenant_id}",
                receiving_department="心内科",
                outward=rpb.OutwardForm(
                    initial_impression="隔离测试印象", reason="隔离测试转出原因",
                    past_history="无", treatment_so_far="无", referring_doctor="测试医生",
                    referring_doctor_phone="0516-00000000",
                ),
                consent=rpb.ReferralConsent(
                    method="signed_form", consent_date=date.today().isoformat(),
                    reference="转诊同意书-安全",
                ),
            )
        ),
    )  # fmt: skip
    call(stub.SubmitReferral, pb.SubmitReferralRequest(name=referral.name))
    parties = (owner_scope, receiver_scope)
    world.add("referral", referral.name, parties, "320311")
    world.add("referral_id", referral.referral_id, parties, "320311", marker=False)

    # A teleconsultation between the same two, under an agreement the county administrator
    # recorded (the administrator's own request ids are theirs: not replayed here).
    tele = teleconsultation_service_pb2_grpc.TeleconsultationServiceStub(world.platform.channel)
    county = _login(world.platform, JIANGSU, username="qs-admin", password=DEMO_PASSWORD)
    today = date.today()
    tele.CreateCooperationAgreement(
        tpb_service.CreateCooperationAgreementRequest(
            agreement=tpb.CooperationAgreement(
                inviting_tenant=world.targets["tenant"][0].value,
                invited_tenant=f"tenants/{receiver.principal.tenant_id}",
                scope="隔离测试会诊", liability="隔离测试责任",
                start_date=today.isoformat(), end_date=(today + timedelta(days=30)).isoformat(),
            )
        ),
        metadata=(("authorization", f"Bearer {county.access_token}"),), timeout=TIMEOUT,
    )  # fmt: skip
    consult = call(
        tele.RequestTeleconsultation,
        tpb_service.RequestTeleconsultationRequest(
            teleconsultation=tpb.Teleconsultation(
                invited_tenant=f"tenants/{receiver.principal.tenant_id}", resident=resident,
                reason="隔离测试原因", purpose="隔离测试目的", record_summary="隔离测试摘要",
                specialty="心血管内科", title_wanted="主任医师",
                consent=tpb.TeleconsultationConsent(
                    signer="patient", consent_date=today.isoformat(), reference="会诊同意书-安全"
                ),
            )
        ),
    )  # fmt: skip
    world.add("teleconsultation", consult.name, parties, "320311")
    world.add(
        "teleconsultation_id", consult.name.rsplit("/", 1)[-1], parties, "320311", marker=False
    )
