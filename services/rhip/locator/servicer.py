"""gRPC adapter of the locator: checks the caller is a cell, maps the request to a use case and
the answer to protobuf; no try/except for domain errors (the server's interceptor maps them)."""

from __future__ import annotations

from rhip.api.identity.v1 import resident_pb2
from rhip.api.locator.v1 import locator_service_pb2 as pb
from rhip.api.locator.v1 import locator_service_pb2_grpc
from rhip.locator.claims.domain import Claim
from rhip.locator.claims.usecases import LocatorUseCases
from rhip.locator.presence.usecases import PresenceUseCases
from rhip.locator.roles import calling_cell


def _kind(document: resident_pb2.IdentityDocument) -> str:
    """The document type's name as digested (``""`` for an unknown or unset type)."""
    if (
        document.type in resident_pb2.DocumentType.values()
        and document.type != resident_pb2.DOCUMENT_TYPE_UNSPECIFIED
    ):
        return resident_pb2.DocumentType.Name(document.type)
    return ""


def claim_to_pb(claim: Claim, double_open: bool = False) -> pb.OpenRecordClaim:
    return pb.OpenRecordClaim(
        cell=claim.cell,
        resident_id=claim.resident_id,
        record_id=claim.record_id,
        institution_display_name=claim.institution,
        region_code=claim.region_code,
        double_open=double_open,
    )


class LocatorServicer(locator_service_pb2_grpc.LocatorServiceServicer):
    def __init__(self, usecases: LocatorUseCases, presence: PresenceUseCases) -> None:
        self.uc = usecases
        self.presence = presence

    def ClaimOpenRecord(self, request, context):
        cell = calling_cell()
        document = request.document
        kind = _kind(document)
        claimed = self.uc.claim(
            cell,
            kind,
            document.number,
            Claim("", "", cell, request.resident_id, request.record_id,
                  request.institution_display_name, request.region_code),
            country=document.issuing_country,
            backfill=request.backfill,
        )  # fmt: skip
        return claim_to_pb(claimed.claim, claimed.double_open)

    def ReleaseOpenRecord(self, request, context):
        released = self.uc.release(calling_cell(), request.record_id)
        return pb.ReleaseOpenRecordResponse(released=released)

    def MoveOpenRecord(self, request, context):
        moved = self.uc.move(
            calling_cell(),
            request.record_id,
            request.destination_region,
            Claim("", "", "", request.destination_resident_id, request.destination_record_id,
                  request.institution_display_name, request.destination_region),
        )  # fmt: skip
        return claim_to_pb(moved) if moved is not None else pb.OpenRecordClaim()

    def AnnounceResident(self, request, context):
        others = self.presence.announce(
            calling_cell(),
            request.resident_id,
            [(_kind(d), d.number, d.issuing_country) for d in request.documents],
        )
        return pb.AnnounceResidentResponse(
            others=[pb.ResidentPresence(cell=p.cell, resident_id=p.resident_id) for p in others]
        )
