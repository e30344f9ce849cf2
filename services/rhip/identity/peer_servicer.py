"""IdentityPeerService servicer: what another cell's identity calls about residents linked
across cells (cell accounts only, through the gateway; the use cases check the caller). Same
shape as resident_servicer.py: gRPC ⇄ domain only."""

from __future__ import annotations

from rhip.api.identity.v1 import identity_peer_service_pb2 as pb
from rhip.api.identity.v1 import identity_peer_service_pb2_grpc, resident_pb2
from rhip.identity.links.usecases import ResidentLinks
from rhip.identity.resident_servicer import change_to_pb

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["IdentityPeerService"].full_name


class IdentityPeerServicer(identity_peer_service_pb2_grpc.IdentityPeerServiceServicer):
    def __init__(self, links: ResidentLinks) -> None:
        self.links = links

    def LinkResident(self, request, context):
        resident = self.links.link_from_peer(request.resident, request.linked_resident)
        return pb.LinkResidentResponse(
            resident=f"residents/{resident.resident_id}",
            state=getattr(resident_pb2, f"RESIDENT_STATE_{resident.state.name}"),
            death_date=resident.death_date.isoformat() if resident.death_date else "",
        )

    def UnlinkResident(self, request, context):
        resident, unlinked = self.links.unlink_from_peer(request.resident, request.linked_resident)
        return pb.UnlinkResidentResponse(
            resident=f"residents/{resident.resident_id}", unlinked=unlinked
        )

    def ListLinkedResidentChanges(self, request, context):
        changes, read = self.links.changes_for_peer(request.after_sequence, request.page_size)
        return pb.ListLinkedResidentChangesResponse(
            changes=[change_to_pb(c) for c in changes], read_sequence=read
        )
