"""Calls that cross cells: service → gateway → other cell, never cell to cell.

The calling service authenticates as its own service account and names the original caller
with ``x-rhip-on-behalf-of`` (the caller's token, verified again by the receiving cell, which
sees both through ``current_principal()`` and ``on_behalf_of()``)::

    client = CrossCellClient(gateway_channel, ServiceCredentials(gateway_channel, id, secret, "320300"))
    stub = ArchivesServiceStub(client.channel)
    stub.GetHealthRecord(request, metadata=client.metadata("370400"), timeout=5)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import grpc
from rhip.api.identity.v1 import identity_service_pb2, identity_service_pb2_grpc
from rhip.kit.authn import (
    ON_BEHALF_OF_HEADER,
    Principal,
    current_principal,
    current_token,
    on_behalf_of,
)
from rhip.kit.errors import FailedPrecondition, PermissionDenied, from_rpc_error
from rhip.kit.telemetry import outgoing_metadata

if TYPE_CHECKING:
    from rhip.kit.channels import ChannelPool
    from rhip.kit.config import Settings

REGION_HEADER = "x-rhip-region"
RENEW_BEFORE_SECONDS = 60


class ServiceCredentials:
    """A service account's access token from client credentials, renewed before it expires."""

    def __init__(
        self,
        channel: grpc.Channel,
        client_id: str,
        client_secret: str,
        home_region: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._stub = identity_service_pb2_grpc.IdentityServiceStub(channel)
        self._request = identity_service_pb2.LoginRequest(
            client=identity_service_pb2.ClientCredentials(
                client_id=client_id, client_secret=client_secret
            )
        )
        self._region = home_region
        self._clock = clock
        self._token = ""
        self._expires = 0.0
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            if self._clock() >= self._expires - RENEW_BEFORE_SECONDS:
                try:
                    reply = self._stub.Login(
                        self._request, metadata=[(REGION_HEADER, self._region)], timeout=5
                    )
                except grpc.RpcError as error:
                    raise from_rpc_error(error) from None
                self._token = reply.access_token
                self._expires = reply.access_token_expire_time.ToSeconds()
            return self._token


class CrossCellClient:
    def __init__(self, gateway: grpc.Channel, credentials: ServiceCredentials) -> None:
        self.channel = gateway
        self._credentials = credentials

    def metadata(self, target_region: str, *, as_itself: bool = False) -> list[tuple[str, str]]:
        """Metadata for a call about ``target_region``, made while serving an RPC: the
        service's token, the original caller's token, trace context and request id.
        ``as_itself``: no user behind the call (a background sweep, a hand-over the other
        cell's approval completes): the service speaks for itself, its own token in both
        places; the receiving cell decides where it accepts that."""
        token = self._credentials.token()
        metadata = [("authorization", f"Bearer {token}"), (REGION_HEADER, target_region)]
        original = token if as_itself else current_token()
        if original:
            metadata.append((ON_BEHALF_OF_HEADER, original))
        return metadata + outgoing_metadata()


class CellGateway:
    """A service's way to the other cells: the gateway, as the cell's own account, built on
    first use (a lone cell without gateway or account never builds it; ``client`` then
    refuses with CROSS_CELL_DISABLED, saying ``disabled`` is off)."""

    def __init__(self, settings: Settings, pool: ChannelPool, disabled: str) -> None:
        self._settings = settings
        self._pool = pool
        self._disabled = disabled
        self._client: CrossCellClient | None = None
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        s = self._settings
        return bool(s.cell_client_id and s.cell_client_secret and s.gateway_address)

    def require(self) -> None:
        if not self.configured:
            raise FailedPrecondition(
                f"this cell has no gateway or cell account: {self._disabled} are off",
                reason="CROSS_CELL_DISABLED",
            )

    def client(self) -> CrossCellClient:
        self.require()
        with self._lock:
            if self._client is None:
                s = self._settings
                gateway = self._pool.get(s.gateway_address)
                self._client = CrossCellClient(
                    gateway,
                    ServiceCredentials(gateway, s.cell_client_id, s.cell_client_secret, s.cell),
                )
            return self._client


def require_peer_cell(own_issuer: str) -> tuple[Principal, Principal]:
    """The caller of a ``cross_cell`` method and the original caller it speaks for: only
    another cell's cell account (its token issued by another cell, verified with that cell's
    keys) with a verified on-behalf-of token of a caller of the same cell."""
    principal = current_principal()
    original = on_behalf_of()
    if (
        not principal.is_cell_account
        or principal.issuer == own_issuer
        or original is None
        or original.issuer != principal.issuer
    ):
        raise PermissionDenied(
            "only another cell, on behalf of one of its users, calls this",
            reason="CROSS_CELL_CALLER",
        )
    return principal, original
