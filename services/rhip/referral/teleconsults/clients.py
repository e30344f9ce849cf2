"""Calls to the other cell's referral service while an agreement or a teleconsultation joins
institutions of two cells (through the gateway, as this cell's account on behalf of the
user who acted), and the other cells' published report keys (GetReportSigningKey, public)."""

from __future__ import annotations

import threading
from typing import Any

import grpc
from rhip.api.referral.v1 import (
    teleconsultation_peer_service_pb2,
    teleconsultation_peer_service_pb2_grpc,
    teleconsultation_service_pb2,
    teleconsultation_service_pb2_grpc,
)
from rhip.kit.crosscell import REGION_HEADER
from rhip.kit.deadlines import within
from rhip.kit.errors import Violations, from_rpc_error
from rhip.kit.telemetry import outgoing_metadata
from rhip.referral.clients import CROSS_CELL_TIMEOUT_SECONDS, Peers
from rhip.referral.teleconsults.convert import STATES_BACK, agreement_to_pb, tc_from_pb, tc_to_pb
from rhip.referral.teleconsults.domain import Agreement, Teleconsultation

peer_pb = teleconsultation_peer_service_pb2


class TeleconsultPeers:
    def __init__(self, peers: Peers) -> None:
        self.peers = peers
        self._keys: dict[tuple[str, str], str] = {}  # (region, key id) → public key
        self._lock = threading.Lock()

    def _call(self, region: str, method: str, request: object) -> Any:
        client = self.peers.cross_cell()
        stub = teleconsultation_peer_service_pb2_grpc.TeleconsultationPeerServiceStub(
            client.channel
        )
        try:
            return getattr(stub, method)(
                request,
                metadata=client.metadata(region),
                timeout=within(CROSS_CELL_TIMEOUT_SECONDS),
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None

    def open_agreement(self, region: str, agreement: Agreement, inviting_region: str) -> None:
        """The invited institution's cell records the same agreement (before this one does)."""
        self._call(
            region, "OpenCooperationAgreement",
            peer_pb.OpenCooperationAgreementRequest(
                agreement=agreement_to_pb(agreement), inviting_region=inviting_region
            ),
        )  # fmt: skip

    def open_teleconsultation(self, region: str, t: Teleconsultation, inviting_region: str) -> None:  # fmt: skip
        """The invited institution's cell opens its copy of the request (before this one
        commits it)."""
        self._call(
            region, "OpenTeleconsultation",
            peer_pb.OpenTeleconsultationRequest(
                teleconsultation=tc_to_pb(t), inviting_region=inviting_region
            ),
        )  # fmt: skip

    def relay(self, region: str, moved: Teleconsultation) -> dict[str, Any]:
        """The other cell makes the same move (before this one commits its own); what it
        holds after, as plain values (tc_from_pb)."""
        held = self._call(
            region, "RelayTeleconsultationTransition",
            peer_pb.RelayTeleconsultationTransitionRequest(
                teleconsultation_id=moved.teleconsultation_id, state=STATES_BACK[moved.state],
                teleconsultation=tc_to_pb(moved),
            ),
        )  # fmt: skip
        checks = Violations()
        values = tc_from_pb(held, checks)
        checks.raise_if_any()
        return values

    def delete_recording(self, region: str, tc_id: str) -> None:
        """The other cell deletes its reference to the session recording (before this one
        does), under its own retention period."""
        self._call(
            region, "RelayRecordingDeletion",
            peer_pb.RelayRecordingDeletionRequest(teleconsultation_id=tc_id),
        )  # fmt: skip

    def report_key(self, region: str, key_id: str) -> str | None:
        """The public report key ``key_id`` of the cell of ``region``, as that cell publishes
        it, current or retired (None when it publishes no key of that id). Published keys are
        kept: a key id names one key for good; an unknown id asks the cell again (it may have
        rotated since)."""
        with self._lock:
            known = self._keys.get((region, key_id))
        if known is not None:
            return known
        client = self.peers.cross_cell()
        stub = teleconsultation_service_pb2_grpc.TeleconsultationServiceStub(client.channel)
        try:
            published = stub.GetReportSigningKey(
                teleconsultation_service_pb2.GetReportSigningKeyRequest(),
                metadata=[(REGION_HEADER, region), *outgoing_metadata()],
                timeout=within(CROSS_CELL_TIMEOUT_SECONDS),
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        # Every key it verifies with; a cell from before the keyring publishes its current
        # key alone (key_id, public_key).
        keys = {k.key_id: k.public_key for k in published.keys} or {
            published.key_id: published.public_key
        }
        with self._lock:
            self._keys.update({(region, kid): key for kid, key in keys.items()})
        return keys.get(key_id)
