"""An issuing institution's facts from identity (its directory entry and its qualifications),
kept a few seconds per process so that each certificate does not ask identity twice more.

They are facts of the institution, not of the caller: the caller's own authorisation (its role
at the institution's scope, a blocked account, a suspended institution's grants) is still
checked on every call by the authorizer before these are consulted, and the checks made on
them (active, qualified, the qualification's rules) run on every call too. Only identity's
answer is reused, for at most ``ttl_seconds`` (``RHIP_MCH_BMC_ISSUER_CACHE_SECONDS``, 10 by
default, 0 turns the cache off): a qualification revoked, or an institution suspended or
regraded, stops its certificates at most that long after identity recorded it. Refusals and
errors are not kept: an institution that was just qualified issues at once.

The entry is asked with the caller's own token (identity checks that the caller may read its
institution), so it is reused only for callers of the same institution, whose scope the
authorizer has just checked."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from rhip.mch.clients import IdentityClient, TenantFacts


class IssuerFacts:
    def __init__(
        self,
        identity: IdentityClient,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._identity = identity
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._kept: dict[str, tuple[float, TenantFacts, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def __call__(self, tenant_id: str) -> tuple[TenantFacts, frozenset[str]]:
        """The institution's entry and its active qualification kinds."""
        now = self.clock()
        with self._lock:
            kept = self._kept.get(tenant_id)
        if kept is not None and now - kept[0] < self.ttl_seconds:
            return kept[1], kept[2]
        tenant = self._identity.tenant(tenant_id)
        held = frozenset(self._identity.qualifications(tenant_id))
        if self.ttl_seconds > 0 and tenant.active:
            with self._lock:
                self._kept[tenant_id] = (now, tenant, held)
        return tenant, held

    def forget(self, tenant_id: str) -> None:
        with self._lock:
            self._kept.pop(tenant_id, None)
