"""QualificationService servicer: proto ⇄ domain only."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp
from rhip.api.identity.v1 import qualification_service_pb2 as pb
from rhip.api.identity.v1 import qualification_service_pb2_grpc
from rhip.identity.qualifications.domain import (
    Qualification,
    QualificationKind,
    QualificationState,
)
from rhip.identity.qualifications.usecases import QualificationUseCases
from rhip.kit.apis import public_methods
from rhip.kit.pagination import parse_page
from rhip.kit.server import ServiceSpec

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["QualificationService"].full_name
PUBLIC_METHODS = public_methods(SERVICE_NAME)

KINDS = {k: getattr(pb, f"QUALIFICATION_KIND_{k.value}") for k in QualificationKind}
KINDS_BACK = {v: k for k, v in KINDS.items()}
STATES = {s: getattr(pb, f"QUALIFICATION_STATE_{s.value}") for s in QualificationState}


def _ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def qualification_to_pb(q: Qualification) -> pb.Qualification:
    return pb.Qualification(
        name=f"qualifications/{q.qualification_id}",
        tenant=f"tenants/{q.tenant_id}",
        kind=KINDS[q.kind],
        state=STATES[q.state],
        licence_number=q.licence_number,
        granted_by=q.granted_by,
        grant_time=_ts(q.grant_time),
        revoked_by=q.revoked_by,
        revoke_time=_ts(q.revoke_time),
        revoke_reason=q.revoke_reason,
    )


class QualificationServicer(qualification_service_pb2_grpc.QualificationServiceServicer):
    def __init__(self, usecases: QualificationUseCases) -> None:
        self.uc = usecases

    def GrantQualification(self, request, context):
        q = self.uc.grant(
            request.tenant, KINDS_BACK.get(request.kind), request.licence_number, request.request_id
        )
        return qualification_to_pb(q)

    def RevokeQualification(self, request, context):
        return qualification_to_pb(self.uc.revoke(request.name, request.reason))

    def ListQualifications(self, request, context):
        page = parse_page(
            request.page_size, request.page_token, request.parent, request.show_revoked
        )
        found, token = self.uc.list_qualifications(request.parent, request.show_revoked, page)
        return pb.ListQualificationsResponse(
            qualifications=[qualification_to_pb(q) for q in found], next_page_token=token
        )


def spec(usecases: QualificationUseCases) -> ServiceSpec:
    """The QualificationService for identity's server (server.py)."""
    servicer = QualificationServicer(usecases)
    return ServiceSpec(
        full_name=SERVICE_NAME,
        register=lambda server: (
            qualification_service_pb2_grpc.add_QualificationServiceServicer_to_server(
                servicer, server
            )
        ),
        public_methods=PUBLIC_METHODS,
    )
