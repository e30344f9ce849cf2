"""ArchivesPeerService servicer: what another cell's archives calls while a record moves
between cells (cell accounts only, through the gateway). Same shape as servicer.py; the
answers go out as the requesting cell may see them."""

from __future__ import annotations

from rhip.api.archives.v1 import archives_peer_service_pb2 as peer_pb
from rhip.api.archives.v1 import archives_peer_service_pb2_grpc
from rhip.api.archives.v1 import archives_service_pb2 as pb
from rhip.archives.convert import (
    DECISIONS,
    SIDES,
    consent_of,
    document_from_pb,
    evidence_of,
    transfer_to_pb,
)
from rhip.archives.transfers.domain import Transfer
from rhip.archives.usecases import ArchivesUseCases

PEER_SERVICE_NAME = peer_pb.DESCRIPTOR.services_by_name["ArchivesPeerService"].full_name


class ArchivesPeerServicer(archives_peer_service_pb2_grpc.ArchivesPeerServiceServicer):
    def __init__(self, usecases: ArchivesUseCases) -> None:
        self.uc = usecases

    def _transfer(self, transfer: Transfer) -> pb.RecordTransfer:
        return transfer_to_pb(self.uc.requester_view(transfer))

    def OpenRecordTransfer(self, request, context):
        transfer = self.uc.open_transfer(
            request.transfer_id,
            document_from_pb(request.document),
            request.destination_tenant,
            request.destination_region,
            consent_of(request),
            request.reason,
            request.display_name,
            evidence_of(request),
        )
        return self._transfer(transfer)

    def ImportHealthRecord(self, request, context):
        return self._transfer(self.uc.import_record(request.transfer_id, request.bundle))

    def CloseRecordTransfer(self, request, context):
        return self._transfer(self.uc.close_transfer(request.transfer_id, request.decline_reason))

    def RelayRecordTransferDecision(self, request, context):
        side = {v: k for k, v in SIDES.items()}.get(request.side, "")
        return self._transfer(
            self.uc.relay_decision(
                request.transfer_id, DECISIONS.get(request.decision, ""), side, request.reason
            )
        )

    def WithdrawRecordTransfer(self, request, context):
        return self._transfer(
            self.uc.withdraw_transfer(
                request.transfer_id,
                request.destination_tenant,
                request.destination_region,
                request.reason,
            )
        )
