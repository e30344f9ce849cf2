"""Outbound calls (over gRPC, never another service's tables), each with the caller's own
bearer token so the callee applies the caller's own visibility: identity's resident index
(match a document's patient by identity document, never by name) and archives (is the
caller's institution the resident's managing institution: a care relationship)."""

from __future__ import annotations

from collections.abc import Callable

import grpc
from rhip.api.archives.v1 import archives_service_pb2, archives_service_pb2_grpc, health_record_pb2
from rhip.api.identity.v1 import resident_pb2, resident_service_pb2, resident_service_pb2_grpc
from rhip.emr.documents.domain import Identifier
from rhip.kit.authn import current_token
from rhip.kit.channels import ChannelPool
from rhip.kit.errors import NotFound, PermissionDenied, from_rpc_error
from rhip.kit.telemetry import outgoing_metadata

TIMEOUT_SECONDS = 5.0


def _metadata() -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {current_token()}"), *outgoing_metadata()]


class IdentityClient:
    def __init__(self, address: Callable[[], str], pool: ChannelPool) -> None:
        self._address = address
        self._pool = pool

    def _stub(self) -> resident_service_pb2_grpc.ResidentServiceStub:
        return resident_service_pb2_grpc.ResidentServiceStub(self._pool.get(self._address()))

    def lookup(self, identifier: Identifier) -> str | None:
        """The resident holding the document that the caller may see; None when none."""
        document = resident_pb2.IdentityDocument(
            type=identifier.doc_type,  # the enum's name
            number=identifier.number,
            issuing_country=identifier.issuing_country,
        )
        try:
            reply = self._stub().LookupResident(
                resident_service_pb2.LookupResidentRequest(document=document),
                metadata=_metadata(),
                timeout=TIMEOUT_SECONDS,
            )
        except grpc.RpcError as error:
            raised = from_rpc_error(error)
            if isinstance(raised, NotFound):
                return None
            raise raised from None
        return str(reply.resident_id)

    def resident_visible(self, resident_id: str) -> bool:
        """True when the caller may see the resident in the index (GetResident answers)."""
        try:
            self._stub().GetResident(
                resident_service_pb2.GetResidentRequest(name=f"residents/{resident_id}"),
                metadata=_metadata(),
                timeout=TIMEOUT_SECONDS,
            )
        except grpc.RpcError as error:
            raised = from_rpc_error(error)
            if isinstance(raised, NotFound | PermissionDenied):
                return False
            raise raised from None
        return True


class ArchivesClient:
    def __init__(self, address: Callable[[], str], pool: ChannelPool) -> None:
        self._address = address
        self._pool = pool

    def manages(self, tenant_id: str, resident_id: str) -> bool:
        """True when ``tenant_id`` (the caller's institution) manages an active health record
        of the resident: asked with the caller's token, so archives answers only about what
        the caller may see anyway."""
        stub = archives_service_pb2_grpc.ArchivesServiceStub(self._pool.get(self._address()))
        try:
            reply = stub.ListHealthRecords(
                archives_service_pb2.ListHealthRecordsRequest(
                    parent=f"tenants/{tenant_id}",
                    resident=f"residents/{resident_id}",
                    state=health_record_pb2.RECORD_STATE_ACTIVE,
                    page_size=1,
                ),
                metadata=_metadata(),
                timeout=TIMEOUT_SECONDS,
            )
        except grpc.RpcError as error:
            raised = from_rpc_error(error)
            if isinstance(raised, NotFound | PermissionDenied):
                return False
            raise raised from None
        return len(reply.records) > 0
