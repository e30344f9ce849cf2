"""Institution names for the lifetime timeline's feed (rhip.kit.timeline_feed): a source names
the institution of each entry where it writes it, so people read a name rather than an id and
emr never asks identity at read time (a timeline page stays one indexed read).

Names are asked of identity once per institution and kept a while: they change seldom, and a
clinical write must not wait on identity each time. A name is never worth a failed write: when
identity cannot say, the entry goes without one ("") and the reader sees the tenant's id.

``cell_names``: asked as the cell's own account, whose CELL role may read every institution's
directory entry of the cell (a clinic may not read another institution's, and a referral's
entries name its sender whoever moves it). Used by the sources that feed emr over the outbox;
they have that account whenever the feed is on (rhip.kit.timeline_feed.cell_timeline_delivery).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import grpc
from rhip.api.identity.v1 import identity_service_pb2, identity_service_pb2_grpc
from rhip.kit.channels import ChannelPool
from rhip.kit.config import Settings
from rhip.kit.crosscell import ServiceCredentials
from rhip.kit.deadlines import within
from rhip.kit.errors import NotFound, PermissionDenied, RhipError, from_rpc_error
from rhip.kit.telemetry import outgoing_metadata

log = logging.getLogger(__name__)

# How long a name is reused before identity is asked again.
NAME_TTL_SECONDS = 600.0
TIMEOUT_SECONDS = 5.0


class InstitutionNames:
    """``names(tenant_id)``: the institution's display name, "" when identity cannot say now.
    ``fetch`` asks identity (raising a RhipError when it cannot answer)."""

    def __init__(
        self,
        fetch: Callable[[str], str],
        ttl_seconds: float = NAME_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._ttl = ttl_seconds
        self._clock = clock
        self._names: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def remember(self, tenant_id: str, name: str) -> None:
        """A name the caller already holds (a use case that read its own institution)."""
        if tenant_id and name:
            with self._lock:
                self._names[tenant_id] = (name, self._clock())

    def lookup(self, tenant_id: str) -> str | None:
        """The name; "" when identity knows no such institution (a settled answer); None when
        identity cannot answer now (ask again later) — what a backfill must tell apart."""
        with self._lock:
            cached = self._names.get(tenant_id)
        if cached is not None and self._clock() - cached[1] < self._ttl:
            return cached[0]
        try:
            name = self._fetch(tenant_id)
        except (NotFound, PermissionDenied):
            name = ""
        except RhipError:
            return None
        with self._lock:
            self._names[tenant_id] = (name, self._clock())
        return name

    def __call__(self, tenant_id: str) -> str:
        if not tenant_id:
            return ""
        with self._lock:
            cached = self._names.get(tenant_id)
        if cached is not None and self._clock() - cached[1] < self._ttl:
            return cached[0]
        try:
            name = self._fetch(tenant_id)
        except (NotFound, PermissionDenied):
            # Not an institution this cell's identity knows (a referral's sender in another
            # cell): a settled answer, kept like a name, so its entries do not ask each time.
            name = ""
        except RhipError as error:  # identity away: ask again next time
            log.warning("timeline: no institution name for %s (%s)", tenant_id, error.reason)
            return cached[0] if cached is not None else ""  # a stale name beats none
        with self._lock:
            self._names[tenant_id] = (name, self._clock())
        return name


def cell_names(
    settings: Settings, identity_address: Callable[[], str], pool: ChannelPool
) -> InstitutionNames:
    """Names asked as this cell's own account (``RHIP_CELL_CLIENT_ID``/``_SECRET``). The
    identity address is asked at each call (known once the cell is bound)."""
    credentials: list[ServiceCredentials] = []
    lock = threading.Lock()

    def token() -> str:
        with lock:
            if not credentials:
                channel, s = pool.get(identity_address()), settings
                credentials.append(
                    ServiceCredentials(channel, s.cell_client_id, s.cell_client_secret, s.cell)
                )
        return credentials[0].token()

    def fetch(tenant_id: str) -> str:
        stub = identity_service_pb2_grpc.IdentityServiceStub(pool.get(identity_address()))
        try:
            reply = stub.GetTenant(
                identity_service_pb2.GetTenantRequest(name=f"tenants/{tenant_id}"),
                metadata=[("authorization", f"Bearer {token()}"), *outgoing_metadata()],
                timeout=within(TIMEOUT_SECONDS),
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        return str(reply.display_name)

    return InstitutionNames(fetch)
