"""The gateway's coarse check (Casbin): may this kind of caller call this method on this
region at all? The cell decides the rest against its own policy and the data itself.

A caller acts on its home region (the token's ``reg``) and below; what each kind may call
is in ``GATEWAY_POLICY``. A cell's own service account (no tenant) may in addition call the
methods marked ``cross_cell`` in any region: that is how one cell reaches another (record
migration); everything else it calls stays within its home.
"""

from __future__ import annotations

import threading

import casbin
from casbin import persist
from rhip.kit.apis import cross_cell_methods
from rhip.kit.authn import Principal, PrincipalKind
from rhip.kit.errors import PermissionDenied
from rhip.kit.tenancy import is_within, region_path

MODEL_TEXT = """
[request_definition]
r = kind, home, target, act

[policy_definition]
p = kind, act

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.kind == p.kind && regexMatch(r.act, p.act) && within(r.target, r.home)
"""

ANY_METHOD = r"^/rhip\.api\.[a-z]+\.v1\.[A-Za-z]+Service/[A-Za-z]+$"
READ_METHOD = r"^/rhip\.api\.[a-z]+\.v1\.[A-Za-z]+Service/(Get|List|Search|Verify)[A-Za-z]*$"
# Every user's own: an auditor changes their password too (the cell checks it is their own).
OWN_PASSWORD = r"^/rhip\.api\.identity\.v1\.IdentityService/ChangePassword$"

GATEWAY_POLICY: tuple[tuple[str, str], ...] = (
    (PrincipalKind.PRACTITIONER.value, ANY_METHOD),
    (PrincipalKind.REGIONAL_ADMIN.value, ANY_METHOD),
    (PrincipalKind.SERVICE_ACCOUNT.value, ANY_METHOD),
    (PrincipalKind.AUDITOR.value, READ_METHOD),
    (PrincipalKind.AUDITOR.value, OWN_PASSWORD),
)


class _StaticAdapter(persist.Adapter):
    def load_policy(self, model):
        for kind, pattern in GATEWAY_POLICY:
            model.model["p"]["p"].policy.append([kind, pattern])


def _within(target: str, home: str) -> bool:
    return is_within(region_path(target), region_path(home))


class Guard:
    """Thread-safe coarse decisions with a cache (the key space is small: kinds × regions
    × methods)."""

    def __init__(self) -> None:
        self._enforcer = casbin.Enforcer(
            casbin.Enforcer.new_model(text=MODEL_TEXT), _StaticAdapter()
        )
        self._enforcer.add_function("within", _within)
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str, str, str], bool] = {}
        self._cross_cell = cross_cell_methods()

    def allows(self, principal: Principal, target_region: str, method: str) -> bool:
        if principal.is_cell_account and method in self._cross_cell:
            return True
        key = (principal.kind.value, principal.region_code, target_region, method)
        decision = self._cache.get(key)
        if decision is None:
            with self._lock:
                decision = bool(self._enforcer.enforce(*key))
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[key] = decision
        return decision

    def check(self, principal: Principal, target_region: str, method: str) -> None:
        if not self.allows(principal, target_region, method):
            raise PermissionDenied(
                f"not allowed to call {method.rsplit('/', 1)[-1]} in region {target_region}"
            )
