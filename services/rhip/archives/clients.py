"""Outbound calls to identity (over gRPC, never its tables): the resident from the master index
and the tenant's type and region, each with the caller's own bearer token, so identity applies
the caller's own visibility."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import grpc
from rhip.api.identity.v1 import (
    identity_service_pb2,
    identity_service_pb2_grpc,
    resident_pb2,
    resident_service_pb2,
    resident_service_pb2_grpc,
    tenant_pb2,
)
from rhip.kit.authn import current_token
from rhip.kit.channels import ChannelPool
from rhip.kit.errors import from_rpc_error
from rhip.kit.telemetry import outgoing_metadata

TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class ResidentFacts:
    resident_id: str
    state: str  # VERIFIED, PROVISIONAL, MERGED, DECEASED
    birth_date: date


@dataclass(frozen=True)
class TenantFacts:
    tenant_id: str
    type: str  # TENANT_TYPE_…
    region_code: str
    active: bool


class IdentityClient:
    """``address`` is read on every call: in all-in-one mode the cell points it at its own
    port once it is bound (``Cell.start``)."""

    def __init__(self, address: Callable[[], str], pool: ChannelPool) -> None:
        self._address = address
        self._pool = pool

    def _metadata(self) -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {current_token()}"), *outgoing_metadata()]

    def resident(self, name: str) -> ResidentFacts:
        stub = resident_service_pb2_grpc.ResidentServiceStub(self._pool.get(self._address()))
        try:
            reply = stub.GetResident(
                resident_service_pb2.GetResidentRequest(name=name),
                metadata=self._metadata(),
                timeout=TIMEOUT_SECONDS,
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        return ResidentFacts(
            reply.resident_id,
            resident_pb2.ResidentState.Name(reply.state).removeprefix("RESIDENT_STATE_"),
            date.fromisoformat(reply.birth_date),
        )

    def tenant(self, tenant_id: str) -> TenantFacts:
        stub = identity_service_pb2_grpc.IdentityServiceStub(self._pool.get(self._address()))
        try:
            reply = stub.GetTenant(
                identity_service_pb2.GetTenantRequest(name=f"tenants/{tenant_id}"),
                metadata=self._metadata(),
                timeout=TIMEOUT_SECONDS,
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        return TenantFacts(
            reply.tenant_id,
            tenant_pb2.TenantType.Name(reply.type),
            reply.region_code,
            reply.state == tenant_pb2.TENANT_STATE_ACTIVE,
        )
