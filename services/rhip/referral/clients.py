"""Outbound calls, answering in the referral service's terms: identity (the resident, with
the caller's token; a tenant, with the cell's own account, since a clinic may refer to an
institution outside its own reach) and archives (the record summary the snapshot copies, with
the caller's token; the follow-up task of a return, with the cell's own account)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import grpc
from rhip.api.archives.v1 import archives_internal_service_pb2 as ipb
from rhip.api.archives.v1 import (
    archives_internal_service_pb2_grpc,
    archives_service_pb2_grpc,
    health_record_pb2,
)
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.identity.v1 import (
    health_card_pb2,
    identity_service_pb2,
    identity_service_pb2_grpc,
    resident_service_pb2,
    resident_service_pb2_grpc,
    tenant_pb2,
)
from rhip.api.referral.v1 import (
    referral_pb2,
    referral_peer_service_pb2,
    referral_peer_service_pb2_grpc,
)
from rhip.kit.authn import current_principal, current_token
from rhip.kit.channels import ChannelPool
from rhip.kit.config import Settings
from rhip.kit.crosscell import CellGateway, CrossCellClient, ServiceCredentials
from rhip.kit.deadlines import within
from rhip.kit.errors import FailedPrecondition, from_rpc_error
from rhip.kit.telemetry import outgoing_metadata
from rhip.kit.timestamps import to_timestamp
from rhip.referral.convert import STATES_BACK, referral_to_pb, return_form_to_pb
from rhip.referral.referrals.domain import Referral, State

TIMEOUT_SECONDS = 5.0
CROSS_CELL_TIMEOUT_SECONDS = 15.0
GRASSROOTS_TYPES = frozenset(
    {
        "TENANT_TYPE_VILLAGE_CLINIC",
        "TENANT_TYPE_TOWNSHIP_HOSPITAL",
        "TENANT_TYPE_COMMUNITY_HEALTH_CENTER",
        "TENANT_TYPE_COMMUNITY_HEALTH_STATION",
    }
)


@dataclass(frozen=True)
class TenantFacts:
    tenant_id: str
    type: str  # TENANT_TYPE_…
    region_code: str
    active: bool

    @property
    def grassroots(self) -> bool:
        return self.type in GRASSROOTS_TYPES

    @property
    def health_institution(self) -> bool:
        """False for a public-security organ (it only checks birth certificates): never a
        referral's receiver nor a teleconsultation's party."""
        return self.type != "TENANT_TYPE_PUBLIC_SECURITY"


@dataclass(frozen=True)
class RecordSummary:
    """What archives answered about the resident's open record (codes only)."""

    record_id: str
    record_number: str
    managing_tenant_id: str
    birth_date: str
    blood_type_abo: int
    blood_type_rh: int
    drug_allergies: tuple[int, ...]
    past_diseases: tuple[int, ...]


@dataclass(frozen=True)
class PeerAnswer:
    """What the other cell answered about a referral, in this service's terms."""

    state: str  # ReferralState name without its prefix
    follow_up_task: str
    follow_up_due: date | None


@dataclass(frozen=True)
class Suggestion:
    """A referral archives' rules call for."""

    task_id: str
    record_id: str
    resident_id: str
    managing_tenant_id: str
    kind: str  # TASK_KIND_REFERRAL_FOLLOW_UP or TASK_KIND_URGENT_REFERRAL


@dataclass(frozen=True)
class TaskFacts:
    name: str  # healthRecords/{r}/tasks/{t}
    due_date: date
    state: str  # open, done, …


class Peers:
    """``identity``/``archives``: their addresses, read on every call (an all-in-one cell
    knows them once it is bound)."""

    def __init__(
        self,
        settings: Settings,
        identity: Callable[[], str],
        archives: Callable[[], str],
        pool: ChannelPool,
    ) -> None:
        self._settings = settings
        self._identity = identity
        self._archives = archives
        self._pool = pool
        self._own: ServiceCredentials | None = None
        self._gateway = CellGateway(settings, pool, "cross-cell referrals")
        self._lock = threading.Lock()

    # -- tokens --------------------------------------------------------------------------------
    @staticmethod
    def _as_caller() -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {current_token()}"), *outgoing_metadata()]

    def _as_cell(self) -> list[tuple[str, str]]:
        s = self._settings
        if not (s.cell_client_id and s.cell_client_secret):
            raise FailedPrecondition(
                "this cell has no cell account (RHIP_CELL_CLIENT_ID, RHIP_CELL_CLIENT_SECRET): "
                "referrals are off",
                reason="REFERRAL_DISABLED",
            )
        with self._lock:
            if self._own is None:
                channel = self._pool.get(self._identity())
                self._own = ServiceCredentials(
                    channel, s.cell_client_id, s.cell_client_secret, s.cell
                )
        return [("authorization", f"Bearer {self._own.token()}"), *outgoing_metadata()]

    def _call(
        self, method: Callable[..., Any], request: object, metadata: list[tuple[str, str]]
    ) -> Any:
        try:
            return method(request, metadata=metadata, timeout=within(TIMEOUT_SECONDS))
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None

    # -- identity ------------------------------------------------------------------------------
    def resident_exists(self, name: str) -> str:
        """The resident's id, if the caller may see it (PERMISSION_DENIED/NOT_FOUND else)."""
        stub = resident_service_pb2_grpc.ResidentServiceStub(self._pool.get(self._identity()))
        reply = self._call(
            stub.GetResident, resident_service_pb2.GetResidentRequest(name=name), self._as_caller()
        )
        return str(reply.resident_id)

    def own_practice(self) -> tuple[str, str] | None:
        """The caller's practice registration in identity, (title, practice start
        ``YYYY-MM-DD``), or None when none is on file (everybody may read their own account)."""
        stub = identity_service_pb2_grpc.IdentityServiceStub(self._pool.get(self._identity()))
        user_id = current_principal().subject.removeprefix("user:")
        reply = self._call(
            stub.GetUser, identity_service_pb2.GetUserRequest(name=f"users/{user_id}"),
            self._as_caller(),
        )  # fmt: skip
        if not reply.HasField("practitioner_registration"):
            return None
        registration = reply.practitioner_registration
        return registration.professional_title, registration.independent_practice_since

    def tenant(self, tenant_id: str) -> TenantFacts:
        """A tenant of this cell, looked up as the cell (NOT_FOUND when there is none)."""
        stub = identity_service_pb2_grpc.IdentityServiceStub(self._pool.get(self._identity()))
        reply = self._call(
            stub.GetTenant,
            identity_service_pb2.GetTenantRequest(name=f"tenants/{tenant_id}"),
            self._as_cell(),
        )
        return TenantFacts(
            reply.tenant_id,
            tenant_pb2.TenantType.Name(reply.type),
            reply.region_code,
            reply.state == tenant_pb2.TENANT_STATE_ACTIVE,
        )

    def scan_card(self, payload: str) -> tuple[str, str]:
        """(outcome, resident id) of a scanned e-health-card code, checked by this cell's
        identity as the cell (VALID, EXPIRED, REUSED, REVOKED, FORGED, WRONG_REGION, MALFORMED).
        A code the other cell issued travels there with the relayed move instead."""
        stub = resident_service_pb2_grpc.ResidentServiceStub(self._pool.get(self._identity()))
        reply = self._call(
            stub.VerifyHealthCardQrCode,
            resident_service_pb2.VerifyHealthCardQrCodeRequest(payload=payload),
            self._as_cell(),
        )
        outcome = health_card_pb2.QrVerifyOutcome.Name(reply.outcome)
        return outcome.removeprefix("QR_VERIFY_OUTCOME_"), reply.resident.removeprefix("residents/")

    # -- archives ------------------------------------------------------------------------------
    def record_summary(self, resident: str) -> RecordSummary | None:
        """The resident's open record as the caller sees it; None when it sees none."""
        stub = archives_service_pb2_grpc.ArchivesServiceStub(self._pool.get(self._archives()))
        reply = self._call(
            stub.ListHealthRecords,
            apb.ListHealthRecordsRequest(
                resident=resident, state=health_record_pb2.RECORD_STATE_ACTIVE, page_size=1
            ),
            self._as_caller(),
        )
        records = reply.records
        if not records:
            return None
        r = records[0]
        info = r.basic_info
        return RecordSummary(
            r.record_id,
            r.record_number,
            r.managing_tenant.removeprefix("tenants/"),
            r.birth_date,
            info.blood_type_abo,
            info.blood_type_rh,
            tuple(info.drug_allergies),
            tuple(d.code for d in info.diseases),
        )

    def referral_task(self, record_id: str, referral_id: str, due: date) -> TaskFacts:
        """The follow-up task of a returned referral in the record (created on the first call,
        the same task with its current state after)."""
        stub = archives_internal_service_pb2_grpc.ArchivesInternalServiceStub(
            self._pool.get(self._archives())
        )
        reply = self._call(
            stub.CreateReferralFollowUpTask,
            ipb.CreateReferralFollowUpTaskRequest(
                parent=f"healthRecords/{record_id}",
                referral=f"referrals/{referral_id}",
                due_date=due.isoformat(),
            ),
            self._as_cell(),
        )
        return TaskFacts(
            reply.name,
            date.fromisoformat(reply.due_date),
            reply.state,
        )

    def referral_suggestions(self, after: str, page_size: int) -> list[Suggestion]:
        stub = archives_internal_service_pb2_grpc.ArchivesInternalServiceStub(
            self._pool.get(self._archives())
        )
        reply = self._call(
            stub.ListReferralSuggestions,
            ipb.ListReferralSuggestionsRequest(after=after, page_size=page_size),
            self._as_cell(),
        )
        return [
            Suggestion(
                s.task_id,
                s.record.removeprefix("healthRecords/"),
                s.resident.removeprefix("residents/"),
                s.managing_tenant.removeprefix("tenants/"),
                health_record_pb2.TaskKind.Name(s.kind),
            )
            for s in reply.suggestions
        ]

    def referral_event(self, record_id: str, referral_id: str, state: str, actor: str) -> None:
        """A move of the referral in the resident's record history (written once per move)."""
        stub = archives_internal_service_pb2_grpc.ArchivesInternalServiceStub(
            self._pool.get(self._archives())
        )
        self._call(
            stub.RecordReferralEvent,
            ipb.RecordReferralEventRequest(
                parent=f"healthRecords/{record_id}", referral=f"referrals/{referral_id}",
                state=state, actor=actor,
            ),
            self._as_cell(),
        )  # fmt: skip

    # -- the other cell, through the gateway ---------------------------------------------------
    def require_cross_cell(self) -> None:
        self._gateway.require()

    def cross_cell(self) -> CrossCellClient:
        """The client of the other cells (through the gateway, as this cell's account)."""
        return self._gateway.client()

    def _remote_stub(self) -> tuple[Any, CrossCellClient]:
        client = self.cross_cell()
        return referral_peer_service_pb2_grpc.ReferralPeerServiceStub(client.channel), client

    def _ask_peer(self, region: str, method: str, request: object) -> PeerAnswer:
        stub, client = self._remote_stub()
        try:
            answer = getattr(stub, method)(
                request,
                metadata=client.metadata(region),
                timeout=within(CROSS_CELL_TIMEOUT_SECONDS),
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        return PeerAnswer(
            referral_pb2.ReferralState.Name(answer.state).removeprefix("REFERRAL_STATE_"),
            answer.follow_up_task,
            date.fromisoformat(answer.follow_up_due_date) if answer.follow_up_due_date else None,
        )

    def open_referral(self, region: str, referral: Referral, now: datetime) -> PeerAnswer:
        """Open the receiving cell's copy of ``referral`` (submitted, with its snapshot)."""
        return self._ask_peer(
            region,
            "OpenReferral",
            referral_peer_service_pb2.OpenReferralRequest(referral=referral_to_pb(referral, now)),
        )

    def relay(
        self,
        region: str,
        referral_id: str,
        state: State,
        reason: str,
        return_form: Mapping[str, str],
        deadline: datetime | None,
        card_code: str = "",
    ) -> PeerAnswer:
        """Make the same move in the other cell (before this cell commits its own)."""
        request = referral_peer_service_pb2.RelayReferralTransitionRequest(
            referral_id=referral_id,
            state=STATES_BACK[state],
            reason=reason,
            health_card_code=card_code,
        )
        if return_form:
            request.return_form.CopyFrom(return_form_to_pb(return_form))
        stamp = to_timestamp(deadline)
        if stamp is not None:
            request.deadline.CopyFrom(stamp)
        return self._ask_peer(region, "RelayReferralTransition", request)
