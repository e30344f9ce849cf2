"""Outbound calls to other cells' mch (MchPeerService) through the gateway, with this cell's
own account on behalf of the practitioner who acts; answers come back in mch's own terms and
failures as rhip.kit errors. Built lazily: the gateway may start after the cell."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import grpc
from rhip.api.identity.v1 import resident_pb2
from rhip.api.mch.v1 import child_transfer_pb2 as tpb
from rhip.api.mch.v1 import mch_peer_service_pb2 as ppb
from rhip.api.mch.v1 import mch_peer_service_pb2_grpc
from rhip.kit.channels import ChannelPool
from rhip.kit.config import Settings
from rhip.kit.crosscell import CellGateway, CrossCellClient
from rhip.kit.deadlines import within
from rhip.kit.errors import from_rpc_error
from rhip.kit.requests import parse_json_document
from rhip.mch.child_transfers.domain import (
    ChildDocument,
    ChildTransfer,
    TransferKind,
    TransferState,
)

CROSS_CELL_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class PeerAnswer:
    """What the other cell answered about a transfer."""

    state: TransferState
    kind: TransferKind
    target_name: str
    decline_reason: str
    withdraw_reason: str


def _answer(reply: tpb.ChildTransfer) -> PeerAnswer:
    state = tpb.ChildTransferState.Name(reply.state).removeprefix("CHILD_TRANSFER_STATE_")
    kind = tpb.ChildTransferKind.Name(reply.kind).removeprefix("CHILD_TRANSFER_KIND_")
    return PeerAnswer(
        TransferState[state],
        TransferKind[kind] if kind in TransferKind.__members__ else TransferKind.TRANSFER,
        reply.target_tenant_display_name,
        reply.decline_reason,
        reply.withdraw_reason,
    )


class OtherCells:
    def __init__(self, settings: Settings, pool: ChannelPool) -> None:
        self._cells = CellGateway(settings, pool, "cross-cell child transfers")

    @property
    def configured(self) -> bool:
        return self._cells.configured

    def _remote(self) -> CrossCellClient:
        return self._cells.client()

    def _call(self, region: str, method: str, request: Any) -> Any:
        client = self._remote()
        stub = mch_peer_service_pb2_grpc.MchPeerServiceStub(client.channel)
        try:
            return getattr(stub, method)(
                request,
                metadata=client.metadata(region),
                timeout=within(CROSS_CELL_TIMEOUT_SECONDS),
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None

    def open(
        self, t: ChildTransfer, document: ChildDocument, name: str, source_region: str
    ) -> PeerAnswer:
        """Ask the target's cell (``t.peer_region``) to open ``t`` for the child registered
        there under ``document`` and ``name``."""
        reply = self._call(
            t.peer_region,
            "OpenChildTransfer",
            ppb.OpenChildTransferRequest(
                transfer_id=t.transfer_id,
                child_record=f"childRecords/{t.record_id}",
                child_document=document_to_pb(document),
                child_display_name=name,
                source_tenant=f"tenants/{t.source_tenant_id}",
                source_region=source_region,
                target_tenant=f"tenants/{t.target_tenant_id}",
                guardian_consent_reference=t.consent_reference,
                consent_date=t.consent_date.isoformat(),
                reason=t.reason,
            ),
        )
        return _answer(reply)

    def export(self, t: ChildTransfer) -> dict[str, Any]:
        reply = self._call(
            t.peer_region,
            "ExportChildRecord",
            ppb.ExportChildRecordRequest(transfer_id=t.transfer_id),
        )
        return parse_json_document(reply.bundle, "bundle", reason="BUNDLE_INVALID")

    def complete(self, t: ChildTransfer, moved_visits: int) -> PeerAnswer:
        reply = self._call(
            t.peer_region,
            "CompleteChildTransfer",
            ppb.CompleteChildTransferRequest(transfer_id=t.transfer_id, moved_visits=moved_visits),
        )
        return _answer(reply)

    def close(self, t: ChildTransfer, reason: str) -> PeerAnswer:
        reply = self._call(
            t.peer_region,
            "CloseChildTransfer",
            ppb.CloseChildTransferRequest(transfer_id=t.transfer_id, decline_reason=reason),
        )
        return _answer(reply)

    def retract(self, t: ChildTransfer, reason: str) -> PeerAnswer:
        reply = self._call(
            t.peer_region,
            "RetractChildTransfer",
            ppb.RetractChildTransferRequest(
                transfer_id=t.transfer_id,
                target_tenant=f"tenants/{t.target_tenant_id}",
                reason=reason,
            ),
        )
        return _answer(reply)


def document_to_pb(document: ChildDocument) -> resident_pb2.IdentityDocument:
    return resident_pb2.IdentityDocument(
        type=document.type,  # type: ignore[arg-type]  # an enum value, kept as sent
        number=document.number,
        issuing_country=document.issuing_country,
    )


def bundle_bytes(bundle: dict[str, Any]) -> bytes:
    return json.dumps(bundle, ensure_ascii=False, sort_keys=True).encode()
