"""MchPeerService servicer: what another cell's mch calls while a child's record moves between
cells (cell accounts only, through the gateway). Same shape as servicer.py."""

from __future__ import annotations

from rhip.api.mch.v1 import mch_peer_service_pb2 as ppb
from rhip.api.mch.v1 import mch_peer_service_pb2_grpc
from rhip.mch.child_transfers.convert import child_transfer_to_pb, document_of
from rhip.mch.child_transfers.domain import ChildDocument
from rhip.mch.usecases import MchUseCases

PEER_SERVICE_NAME = ppb.DESCRIPTOR.services_by_name["MchPeerService"].full_name


class MchPeerServicer(mch_peer_service_pb2_grpc.MchPeerServiceServicer):
    def __init__(self, usecases: MchUseCases) -> None:
        self.uc = usecases

    def OpenChildTransfer(self, request, context):
        transfer = self.uc.open_child_transfer(
            request.transfer_id, request.child_record,
            document_of(request.child_document) or ChildDocument(0, ""),
            request.child_display_name, request.source_tenant, request.source_region,
            request.target_tenant, request.guardian_consent_reference, request.consent_date,
            request.reason,
        )  # fmt: skip
        return child_transfer_to_pb(transfer)

    def ExportChildRecord(self, request, context):
        return ppb.ExportChildRecordResponse(
            bundle=self.uc.export_child_record(request.transfer_id)
        )

    def CompleteChildTransfer(self, request, context):
        return child_transfer_to_pb(self.uc.complete_child_transfer(request.transfer_id))

    def CloseChildTransfer(self, request, context):
        return child_transfer_to_pb(
            self.uc.close_child_transfer(request.transfer_id, request.decline_reason)
        )

    def RetractChildTransfer(self, request, context):
        return child_transfer_to_pb(
            self.uc.retract_child_transfer(
                request.transfer_id, request.target_tenant, request.reason
            )
        )
