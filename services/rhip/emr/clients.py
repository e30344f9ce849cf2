"""Outbound calls (over gRPC, never another service's tables), each with the caller's own
bearer token so the callee applies the caller's own visibility: identity's resident index
(match a document's patient by identity document, never by name; was the resident's card
scanned here lately; the caller's own institution's name, for the timeline), archives (is the caller's institution the resident's managing
institution) and referral (an open referral or teleconsultation of the resident with the
caller's institution): the care relationships of rhip.emr.care."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import grpc
from rhip.api.archives.v1 import archives_service_pb2, archives_service_pb2_grpc, health_record_pb2
from rhip.api.identity.v1 import (
    identity_service_pb2,
    identity_service_pb2_grpc,
    resident_pb2,
    resident_service_pb2,
    resident_service_pb2_grpc,
)
from rhip.api.referral.v1 import (
    referral_pb2,
    referral_service_pb2,
    referral_service_pb2_grpc,
    teleconsultation_pb2,
    teleconsultation_service_pb2,
    teleconsultation_service_pb2_grpc,
)
from rhip.emr.documents.domain import Identifier
from rhip.kit.authn import current_token
from rhip.kit.channels import ChannelPool
from rhip.kit.deadlines import within
from rhip.kit.errors import NotFound, PermissionDenied, RhipError, from_rpc_error, invalid
from rhip.kit.telemetry import outgoing_metadata

TIMEOUT_SECONDS = 5.0
# Identifiers per LookupResidents call (identity's maximum).
LOOKUP_BATCH = 1000


def _metadata() -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {current_token()}"), *outgoing_metadata()]


def _denied_is_no(call: Callable[[], object]) -> object | None:
    """The answer, or None when the callee refuses or does not know (the caller has no
    relationship there); other failures are raised as they are."""
    try:
        return call()
    except grpc.RpcError as error:
        raised = from_rpc_error(error)
        if isinstance(raised, NotFound | PermissionDenied):
            return None
        raise raised from None


class IdentityClient:
    def __init__(self, address: Callable[[], str], pool: ChannelPool) -> None:
        self._address = address
        self._pool = pool

    def _stub(self) -> resident_service_pb2_grpc.ResidentServiceStub:
        return resident_service_pb2_grpc.ResidentServiceStub(self._pool.get(self._address()))

    def lookup_many(
        self, identifiers: Iterable[Identifier]
    ) -> dict[Identifier, str | RhipError | None]:
        """Each distinct identifier's resident as identity's LookupResident answers it (None:
        none the caller may see), or the identifier's own INVALID_ARGUMENT: LookupResidents, up
        to ``LOOKUP_BATCH`` identifiers a call, each call one audit commit there instead of
        one per identifier. A failure of a call itself is raised."""
        wanted = list(dict.fromkeys(identifiers))
        answers: dict[Identifier, str | RhipError | None] = {}
        for start in range(0, len(wanted), LOOKUP_BATCH):
            batch = wanted[start : start + LOOKUP_BATCH]
            request = resident_service_pb2.LookupResidentsRequest(
                documents=[
                    resident_pb2.IdentityDocument(
                        type=i.doc_type,  # the enum's name
                        number=i.number,
                        issuing_country=i.issuing_country,
                    )
                    for i in batch
                ]
            )
            try:
                reply = self._stub().LookupResidents(
                    request, metadata=_metadata(), timeout=within(TIMEOUT_SECONDS * 6)
                )
            except grpc.RpcError as error:
                raise from_rpc_error(error) from None
            for identifier, result in zip(batch, reply.results, strict=True):
                if result.error_reason:
                    answers[identifier] = invalid(
                        "document.number", result.error_description, result.error_reason
                    )
                else:
                    answers[identifier] = result.resident_id or None
        return answers

    def tenant_name(self, tenant_id: str) -> str:
        """The institution's display name, asked as the caller (an institution's practitioners
        and systems read their own: ingest names only the caller's)."""
        stub = identity_service_pb2_grpc.IdentityServiceStub(self._pool.get(self._address()))
        try:
            reply = stub.GetTenant(
                identity_service_pb2.GetTenantRequest(name=f"tenants/{tenant_id}"),
                metadata=_metadata(),
                timeout=within(TIMEOUT_SECONDS),
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        return str(reply.display_name)

    def visible_resident(self, resident_id: str) -> Any:
        """The resident as the caller may see her in the index, or None (GetResident refused:
        out of reach or missing, alike)."""
        request = resident_service_pb2.GetResidentRequest(name=f"residents/{resident_id}")
        return _denied_is_no(
            lambda: self._stub().GetResident(
                request, metadata=_metadata(), timeout=within(TIMEOUT_SECONDS)
            )
        )


class ArchivesClient:
    def __init__(self, address: Callable[[], str], pool: ChannelPool) -> None:
        self._address = address
        self._pool = pool

    def manages(self, tenant_id: str, resident_id: str) -> bool:
        """True when ``tenant_id`` (the caller's institution) manages an active health record
        of the resident: asked with the caller's token, so archives answers only about what
        the caller may see anyway."""
        stub = archives_service_pb2_grpc.ArchivesServiceStub(self._pool.get(self._address()))
        request = archives_service_pb2.ListHealthRecordsRequest(
            parent=f"tenants/{tenant_id}",
            resident=f"residents/{resident_id}",
            state=health_record_pb2.RECORD_STATE_ACTIVE,
            page_size=1,
        )
        reply = _denied_is_no(
            lambda: stub.ListHealthRecords(
                request, metadata=_metadata(), timeout=within(TIMEOUT_SECONDS)
            )
        )
        return reply is not None and len(reply.records) > 0  # type: ignore[attr-defined]


def card_seen_here(pool: ChannelPool, address: str, resident_id: str) -> bool:
    """True when the resident's card was scanned (dynamic, valid) at the caller's institution
    within the last 24 hours (identity's CheckHealthCardPresence)."""
    stub = resident_service_pb2_grpc.ResidentServiceStub(pool.get(address))
    reply = _denied_is_no(
        lambda: stub.CheckHealthCardPresence(
            resident_service_pb2.CheckHealthCardPresenceRequest(
                name=f"residents/{resident_id}/healthCard"
            ),
            metadata=_metadata(),
            timeout=within(TIMEOUT_SECONDS),
        )
    )
    return bool(reply is not None and reply.present)  # type: ignore[attr-defined]


# A referral in these states ties its two institutions to the patient: from the request to the
# return (the sender follows the returned patient up until the referral closes).
OPEN_REFERRAL = frozenset(
    {
        referral_pb2.REFERRAL_STATE_SUBMITTED,
        referral_pb2.REFERRAL_STATE_ACCEPTED,
        referral_pb2.REFERRAL_STATE_IN_CARE,
        referral_pb2.REFERRAL_STATE_RETURNED,
    }
)
# A teleconsultation from the request until the inviting physician's decision closes it.
OPEN_TELECONSULTATION = frozenset(
    {
        teleconsultation_pb2.TELECONSULTATION_STATE_REQUESTED,
        teleconsultation_pb2.TELECONSULTATION_STATE_ACCEPTED,
        teleconsultation_pb2.TELECONSULTATION_STATE_SCHEDULED,
        teleconsultation_pb2.TELECONSULTATION_STATE_IN_SESSION,
        teleconsultation_pb2.TELECONSULTATION_STATE_AWAITING_REPORT,
        teleconsultation_pb2.TELECONSULTATION_STATE_REPORTED,
    }
)


def _first_open(reply: object | None, field: str, open_states: frozenset[int]) -> str:
    """The name of the first listed item in one of ``open_states``, or ""."""
    found = getattr(reply, field) if reply is not None else []
    return next((item.name for item in found if item.state in open_states), "")


def open_referral(pool: ChannelPool, address: str, tenant_id: str, resident_id: str) -> str:
    """The name of an open referral of the resident sent or received by ``tenant_id``, or ""."""
    stub = referral_service_pb2_grpc.ReferralServiceStub(pool.get(address))
    request = referral_service_pb2.ListReferralsRequest(
        parent=f"tenants/{tenant_id}", resident=f"residents/{resident_id}", page_size=50
    )
    reply = _denied_is_no(
        lambda: stub.ListReferrals(request, metadata=_metadata(), timeout=within(TIMEOUT_SECONDS))
    )
    return _first_open(reply, "referrals", OPEN_REFERRAL)


def open_teleconsultation(pool: ChannelPool, address: str, tenant_id: str, resident_id: str) -> str:
    """The name of an open teleconsultation of the resident between ``tenant_id`` and another
    institution, or ""."""
    stub = teleconsultation_service_pb2_grpc.TeleconsultationServiceStub(pool.get(address))
    request = teleconsultation_service_pb2.ListTeleconsultationsRequest(
        parent=f"tenants/{tenant_id}", resident=f"residents/{resident_id}", page_size=50
    )
    reply = _denied_is_no(
        lambda: stub.ListTeleconsultations(
            request, metadata=_metadata(), timeout=within(TIMEOUT_SECONDS)
        )
    )
    return _first_open(reply, "teleconsultations", OPEN_TELECONSULTATION)
