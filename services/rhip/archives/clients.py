"""Outbound calls to identity (over gRPC, never its tables): the resident from the master index
and the tenant's type and region, each with the caller's own bearer token, so identity applies
the caller's own visibility."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import grpc
from rhip.api.archives.v1 import archives_peer_service_pb2_grpc, archives_service_pb2
from rhip.api.identity.v1 import (
    health_card_pb2,
    identity_service_pb2,
    identity_service_pb2_grpc,
    resident_pb2,
    resident_service_pb2,
    resident_service_pb2_grpc,
    tenant_pb2,
)
from rhip.archives.transfers.domain import IdentityDocument, TransferState
from rhip.archives.transfers.evidence import FIELDS, Evidence
from rhip.kit.authn import current_token
from rhip.kit.channels import ChannelPool
from rhip.kit.config import Settings
from rhip.kit.crosscell import CellGateway, CrossCellClient, ServiceCredentials
from rhip.kit.deadlines import within
from rhip.kit.errors import from_rpc_error
from rhip.kit.telemetry import outgoing_metadata

TIMEOUT_SECONDS = 5.0
CROSS_CELL_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class ResidentFacts:
    resident_id: str
    state: str  # VERIFIED, PROVISIONAL, MERGED, DECEASED
    birth_date: date
    display_name: str = ""  # never logged
    # The primary (verified) document in clear when the caller may read it (the locator's
    # digest input; never logged), else None.
    document: IdentityDocument | None = None


@dataclass(frozen=True)
class CardScan:
    """What this cell's identity answered about a scanned e-health-card code."""

    outcome: str  # VALID, EXPIRED, REUSED, REVOKED, FORGED, WRONG_REGION, MALFORMED
    resident_id: str  # the card's holder, for a VALID code
    dynamic: bool


@dataclass(frozen=True)
class TenantFacts:
    tenant_id: str
    type: str  # TENANT_TYPE_…
    region_code: str
    active: bool
    display_name: str = ""


@dataclass(frozen=True)
class PeerTransfer:
    """What the other cell answered about a transfer, in archives' own terms."""

    state: TransferState
    record_id: str
    record_number: str
    source_tenant_id: str
    moved_plans: int
    decline_reason: str
    abandon_reason: str


def _peer_transfer(answer: archives_service_pb2.RecordTransfer) -> PeerTransfer:
    state = archives_service_pb2.TransferState.Name(answer.state)
    return PeerTransfer(
        state=TransferState[state.removeprefix("TRANSFER_STATE_")],
        record_id=answer.record.removeprefix("healthRecords/"),
        record_number=answer.record_number,
        source_tenant_id=answer.source_tenant.removeprefix("tenants/"),
        moved_plans=answer.moved_plans,
        decline_reason=answer.decline_reason,
        abandon_reason=answer.abandon_reason,
    )


class IdentityClient:
    """``address`` is read on every call: in all-in-one mode the cell points it at its own
    port once it is bound (``Cell.start``)."""

    def __init__(self, address: Callable[[], str], pool: ChannelPool) -> None:
        self._address = address
        self._pool = pool

    def _metadata(self, token: str = "") -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {token or current_token()}"), *outgoing_metadata()]

    def lookup(self, document: IdentityDocument, token: str = "", name: str = "") -> str:
        """The id of the resident holding ``document`` that the caller (or ``token``) may see;
        with ``name``, only if the resident also carries that name (NOT_FOUND otherwise)."""
        stub = resident_service_pb2_grpc.ResidentServiceStub(self._pool.get(self._address()))
        try:
            reply = stub.LookupResident(
                resident_service_pb2.LookupResidentRequest(
                    document=document_to_pb(document), display_name=name
                ),
                metadata=self._metadata(token),
                timeout=within(TIMEOUT_SECONDS),
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        return str(reply.resident_id)

    def resident(self, name: str) -> ResidentFacts:
        stub = resident_service_pb2_grpc.ResidentServiceStub(self._pool.get(self._address()))
        try:
            reply = stub.GetResident(
                resident_service_pb2.GetResidentRequest(name=name),
                metadata=self._metadata(),
                timeout=within(TIMEOUT_SECONDS),
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        primary = next((d for d in reply.documents if d.primary and not d.masked), None)
        return ResidentFacts(
            reply.resident_id,
            resident_pb2.ResidentState.Name(reply.state).removeprefix("RESIDENT_STATE_"),
            date.fromisoformat(reply.birth_date),
            reply.display_name,
            IdentityDocument(primary.type, primary.number, primary.issuing_country)
            if primary is not None
            else None,
        )

    def verify_card(self, payload: str, token: str) -> CardScan:
        """Checks a scanned e-health-card code with this cell's identity (which issued it):
        signature, expiry, revocation and single use; a valid dynamic code is used up."""
        stub = resident_service_pb2_grpc.ResidentServiceStub(self._pool.get(self._address()))
        try:
            reply = stub.VerifyHealthCardQrCode(
                resident_service_pb2.VerifyHealthCardQrCodeRequest(payload=payload),
                metadata=self._metadata(token),
                timeout=within(TIMEOUT_SECONDS),
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        outcome = health_card_pb2.QrVerifyOutcome.Name(reply.outcome)
        return CardScan(
            outcome.removeprefix("QR_VERIFY_OUTCOME_"),
            reply.resident.removeprefix("residents/"),
            reply.type == health_card_pb2.QR_CODE_TYPE_DYNAMIC,
        )

    def tenant(self, tenant_id: str) -> TenantFacts:
        stub = identity_service_pb2_grpc.IdentityServiceStub(self._pool.get(self._address()))
        try:
            reply = stub.GetTenant(
                identity_service_pb2.GetTenantRequest(name=f"tenants/{tenant_id}"),
                metadata=self._metadata(),
                timeout=within(TIMEOUT_SECONDS),
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        return TenantFacts(
            reply.tenant_id,
            tenant_pb2.TenantType.Name(reply.type),
            reply.region_code,
            reply.state == tenant_pb2.TENANT_STATE_ACTIVE,
            reply.display_name,
        )


class OtherCells:
    """This cell's own (cell) service account: its token for identity lookups made for
    another cell, and the archives of other cells through the gateway. Built lazily: the
    identity address is known once the cell is bound."""

    def __init__(self, settings: Settings, identity_address: Callable[[], str], pool: ChannelPool):
        self._settings = settings
        self._identity_address = identity_address
        self._pool = pool
        self._lock = threading.Lock()
        self._own: ServiceCredentials | None = None
        self._gateway = CellGateway(settings, pool, "cross-cell transfers")

    @property
    def configured(self) -> bool:
        return self._gateway.configured

    def own_token(self) -> str:
        """The cell account's token, issued by this cell's identity."""
        self._gateway.require()
        with self._lock:
            if self._own is None:
                s = self._settings
                channel = self._pool.get(self._identity_address())
                self._own = ServiceCredentials(
                    channel, s.cell_client_id, s.cell_client_secret, s.cell
                )
        return self._own.token()

    def gateway(self) -> CrossCellClient:
        """The cell account's client of the gateway (other cells, the platform's locator)."""
        return self._gateway.client()

    def _call(self, region: str, method: str, request: Any, *, as_cell: bool = False) -> Any:
        """``as_cell``: the cell acts for itself (on behalf of its own account), as when the
        last approval of an escalated transfer arrives from the other cell."""
        client = self.gateway()
        stub = archives_peer_service_pb2_grpc.ArchivesPeerServiceStub(client.channel)
        metadata = client.metadata(region, as_itself=as_cell)
        try:
            return getattr(stub, method)(
                request, metadata=metadata, timeout=within(CROSS_CELL_TIMEOUT_SECONDS)
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None

    def open_transfer(
        self,
        region: str,
        transfer: Any,
        document: IdentityDocument,
        name: str,
        evidence: Evidence,
    ) -> PeerTransfer:
        """Open ``transfer`` (the destination's store.Transfer) in the source cell, for the
        resident holding ``document`` under ``name`` there, with the requester's evidence."""
        api = archives_service_pb2
        consent = transfer.consent
        answer = self._call(
            region,
            "OpenRecordTransfer",
            api.OpenRecordTransferRequest(
                transfer_id=transfer.transfer_id,
                document=document_to_pb(document),
                destination_tenant=f"tenants/{transfer.destination_tenant_id}",
                destination_region=transfer.destination_region,
                consent=api.TransferConsent(
                    method=consent.get("method", ""),
                    consent_date=consent.get("consent_date", ""),
                    reference=consent.get("reference", ""),
                ),
                reason=transfer.reason,
                display_name=name,
                **{FIELDS[evidence.kind]: evidence.value},
            ),
        )
        return _peer_transfer(answer)

    def import_record(
        self, region: str, transfer_id: str, bundle: dict[str, Any], *, as_cell: bool = False
    ) -> PeerTransfer:
        body = json.dumps(bundle, ensure_ascii=False, sort_keys=True).encode()
        answer = self._call(
            region,
            "ImportHealthRecord",
            archives_service_pb2.ImportHealthRecordRequest(transfer_id=transfer_id, bundle=body),
            as_cell=as_cell,
        )
        return _peer_transfer(answer)

    def close_transfer(self, region: str, transfer_id: str, reason: str) -> None:
        self._call(
            region,
            "CloseRecordTransfer",
            archives_service_pb2.CloseRecordTransferRequest(
                transfer_id=transfer_id, decline_reason=reason
            ),
        )

    def withdraw_transfer(
        self, region: str, transfer: Any, reason: str, *, as_cell: bool = False
    ) -> PeerTransfer:
        """Withdraw ``transfer`` (the destination's store.Transfer), never acknowledged, at
        the source cell; ``as_cell`` for the sweep, which has no user behind it."""
        answer = self._call(
            region,
            "WithdrawRecordTransfer",
            archives_service_pb2.WithdrawRecordTransferRequest(
                transfer_id=transfer.transfer_id,
                destination_tenant=f"tenants/{transfer.destination_tenant_id}",
                destination_region=transfer.destination_region,
                reason=reason,
            ),
            as_cell=as_cell,
        )
        return _peer_transfer(answer)

    def relay_decision(
        self, region: str, transfer_id: str, decision: str, side: str, reason: str
    ) -> None:
        """Tell the other side's cell what this side decided about an escalated transfer."""
        api = archives_service_pb2
        self._call(
            region,
            "RelayRecordTransferDecision",
            api.RelayRecordTransferDecisionRequest(
                transfer_id=transfer_id,
                decision=f"TRANSFER_DECISION_{decision.upper()}",
                side=f"TRANSFER_SIDE_{side.upper()}",
                reason=reason,
            ),
        )


def document_to_pb(document: IdentityDocument) -> resident_pb2.IdentityDocument:
    return resident_pb2.IdentityDocument(
        type=document.type,  # type: ignore[arg-type]  # an enum value, kept as sent
        number=document.number,
        issuing_country=document.issuing_country,
    )
