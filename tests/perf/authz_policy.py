"""The authorization benchmark's policy: a synthetic province of rows (regions, tenants, users,
roles), stored in a scratch database, and the requests drawn from it with their expected
decisions."""

from __future__ import annotations

import os
import random
import sys
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import migrate_kit
from rhip.identity.directory.domain import Role
from rhip.identity.roles import IDENTITY, permission_rules
from rhip.kit.authz import (
    Authorizer,
    PolicyStore,
    Rule,
    block_rule,
    grant_rule,
    membership_rule,
)
from rhip.kit.db import Database, make_engine
from rhip.kit.tenancy import RegionLevel, catalog, region_path, tenant_scope

GET_TENANT = IDENTITY + "GetTenant"
GET_USER = IDENTITY + "GetUser"
LIST_USERS = IDENTITY + "ListUsers"
CREATE_USER = IDENTITY + "CreateUser"
CREATE_TENANT = IDENTITY + "CreateTenant"
PRACTITIONER_ACTIONS = (GET_TENANT, GET_USER, LIST_USERS)
ADMIN_ACTIONS = (CREATE_USER, GET_TENANT, LIST_USERS, IDENTITY + "UpdateTenant", GET_USER)

TARGETS = {"warm_p99_us": 20.0, "cold_p99_us": 300.0, "load_s": 2.0}


# -- the policy ------------------------------------------------------------------------------
@dataclass
class Policy:
    rules: list[Rule]
    tenant_county: list[str]  # index = tenant number - 1 (tenant ids are "1".."N")
    tenant_users: list[list[str]]  # practitioner subjects of each tenant
    county_admins: dict[str, list[str]]
    city_admins: dict[str, list[str]]
    province_admins: dict[str, list[str]]
    blocked_tenants: set[int] = field(default_factory=set)
    blocked_users: set[str] = field(default_factory=set)

    def scope(self, tenant: int) -> str:
        return tenant_scope(self.tenant_county[tenant - 1], str(tenant))

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for rule in self.rules:
            out[rule.ptype] = out.get(rule.ptype, 0) + 1
        return out


def build_policy(total_rows: int = 100_000, tenants: int = 20_000, seed: int = 7) -> Policy:
    """Exactly ``total_rows`` rows. Tenants ``1..N`` fill the counties in consecutive blocks,
    so ``t-1`` and ``t-10`` are siblings in the same county (the prefix trap)."""
    rng = random.Random(seed)
    regions = list(catalog()._by_code.values())
    counties = [r.code for r in regions if r.level is RegionLevel.COUNTY]
    cities = [r.code for r in regions if r.level is RegionLevel.PREFECTURE]
    provinces = [r.code for r in regions if r.level is RegionLevel.PROVINCE]
    tenant_county = [counties[i * len(counties) // tenants] for i in range(tenants)]

    rules: list[Rule] = list(permission_rules())
    county_admins: dict[str, list[str]] = {}
    city_admins: dict[str, list[str]] = {}
    province_admins: dict[str, list[str]] = {}
    for code in counties:
        for k in range(3):
            sub = f"user:adm-{code}-{k}"
            county_admins.setdefault(code, []).append(sub)
            rules.append(grant_rule(sub, Role.REGIONAL_ADMIN.value, region_path(code)))
    for code in cities:
        for k in range(3):
            sub = f"user:adm-{code}-{k}"
            city_admins.setdefault(code, []).append(sub)
            rules.append(grant_rule(sub, Role.REGIONAL_ADMIN.value, region_path(code)))
        rules.append(grant_rule(f"user:aud-{code}", Role.AUDITOR.value, region_path(code)))
    for code in provinces:
        sub = f"user:adm-{code}-0"
        province_admins.setdefault(code, []).append(sub)
        rules.append(grant_rule(sub, Role.REGIONAL_ADMIN.value, region_path(code)))

    blocked_tenants = set(rng.sample(range(1, tenants + 1), 25))
    rules.extend(block_rule(f"tenant:{t}") for t in sorted(blocked_tenants))

    # Practitioners: one grant + one membership each, round-robin over the tenants
    # (2-3 per tenant); the rest of the row budget goes to blocked users.
    remaining = total_rows - len(rules)
    n_users = remaining // 2 - 25
    tenant_users: list[list[str]] = [[] for _ in range(tenants)]
    for n in range(n_users):
        tenant = n % tenants + 1
        sub = f"user:u{n + 1}"
        tenant_users[tenant - 1].append(sub)
        rules.append(
            grant_rule(
                sub, Role.PRACTITIONER.value, tenant_scope(tenant_county[tenant - 1], str(tenant))
            )
        )
        rules.append(membership_rule(sub, str(tenant)))
    blocked_users: set[str] = set()
    candidates = [u for users in tenant_users for u in users]
    while len(rules) < total_rows:
        sub = rng.choice(candidates)
        if sub not in blocked_users:
            blocked_users.add(sub)
            rules.append(block_rule(sub))
    assert len(rules) == total_rows, len(rules)
    return Policy(
        rules,
        tenant_county,
        tenant_users,
        county_admins,
        city_admins,
        province_admins,
        blocked_tenants,
        blocked_users,
    )


def store_policy(url: str, policy: Policy) -> Database:
    db = Database(make_engine(url))
    migrate_kit(db.engine)
    store = PolicyStore(db)
    with db.transaction() as session:
        store.add(session, policy.rules)
    return db


# -- requests --------------------------------------------------------------------------------
Request = tuple[str, str, str]


def make_requests(policy: Policy, n: int, seed: int) -> list[tuple[Request, bool | None]]:
    """``n`` distinct requests with the decision expected (None: not checked). Mix: 60 %
    practitioner on its own tenant, 10 % on a sibling tenant of the same county, 10 % on a
    tenant in another province, 10 % county admin and 5 % city admin on a tenant of their
    region, 5 % practitioner asking for an admin action on its own tenant."""
    rng = random.Random(seed)
    tenants = len(policy.tenant_county)
    seen: set[Request] = set()
    out: list[tuple[Request, bool | None]] = []

    def practitioner() -> tuple[int, str]:
        tenant = rng.randrange(1, tenants + 1)
        return tenant, rng.choice(policy.tenant_users[tenant - 1])

    def blocked(tenant: int, sub: str) -> bool:
        return tenant in policy.blocked_tenants or sub in policy.blocked_users

    while len(out) < n:
        kind = rng.random()
        expected: bool | None
        if kind < 0.60:
            tenant, sub = practitioner()
            req = (sub, policy.scope(tenant), rng.choice(PRACTITIONER_ACTIONS))
            expected = not blocked(tenant, sub)
        elif kind < 0.70:
            tenant, sub = practitioner()
            county = policy.tenant_county[tenant - 1]
            sibling = tenant + rng.choice((-9, -1, 1, 9))
            if not 1 <= sibling <= tenants or policy.tenant_county[sibling - 1] != county:
                continue
            req = (sub, policy.scope(sibling), rng.choice(PRACTITIONER_ACTIONS))
            expected = False
        elif kind < 0.80:
            tenant, sub = practitioner()
            other = rng.randrange(1, tenants + 1)
            if policy.tenant_county[other - 1][:2] == policy.tenant_county[tenant - 1][:2]:
                continue
            req = (sub, policy.scope(other), rng.choice(PRACTITIONER_ACTIONS))
            expected = False
        elif kind < 0.90:
            tenant = rng.randrange(1, tenants + 1)
            admin = rng.choice(policy.county_admins[policy.tenant_county[tenant - 1]])
            req = (admin, policy.scope(tenant), rng.choice(ADMIN_ACTIONS))
            expected = True
        elif kind < 0.95:
            tenant = rng.randrange(1, tenants + 1)
            city = policy.tenant_county[tenant - 1][:4] + "00"
            if city not in policy.city_admins:
                continue
            req = (rng.choice(policy.city_admins[city]), policy.scope(tenant), CREATE_USER)
            expected = True
        else:
            tenant, sub = practitioner()
            req = (sub, policy.scope(tenant), CREATE_TENANT)
            expected = False
        if req in seen:
            continue
        seen.add(req)
        out.append((req, expected))
    return out


def check_correctness(authz: Authorizer, policy: Policy) -> list[str]:
    """A few decisions that must hold; returns what was checked (raises on a wrong one)."""
    t1_county = policy.tenant_county[0]
    assert policy.tenant_county[9] == t1_county, "t-1 and t-10 must share a county"
    user_t1 = next(u for u in policy.tenant_users[0] if u not in policy.blocked_users)
    far = next(
        t
        for t in range(1, len(policy.tenant_county) + 1)
        if policy.tenant_county[t - 1][:2] != t1_county[:2]
    )
    blocked_t = min(policy.blocked_tenants)
    blocked_user_of_blocked_tenant = policy.tenant_users[blocked_t - 1][0]
    county_admin = policy.county_admins[t1_county][0]
    city_admin = policy.city_admins.get(t1_county[:4] + "00", [county_admin])[0]
    cases: list[tuple[str, Request, bool]] = [
        ("practitioner on own tenant t-1", (user_t1, policy.scope(1), GET_TENANT), True),
        ("practitioner of t-1 on sibling t-10", (user_t1, policy.scope(10), GET_TENANT), False),
        (
            "practitioner of t-1 on its county path",
            (user_t1, region_path(t1_county), GET_TENANT),
            False,
        ),
        ("practitioner of t-1 outside its region", (user_t1, policy.scope(far), GET_TENANT), False),
        (
            "practitioner admin action on own tenant",
            (user_t1, policy.scope(1), CREATE_TENANT),
            False,
        ),
        ("county admin on t-10 of its county", (county_admin, policy.scope(10), CREATE_USER), True),
        ("county admin outside its county", (county_admin, policy.scope(far), CREATE_USER), False),
        ("city admin on a tenant below the city", (city_admin, policy.scope(1), CREATE_USER), True),
        (
            "user of a blocked tenant on own tenant",
            (blocked_user_of_blocked_tenant, policy.scope(blocked_t), GET_TENANT),
            False,
        ),
        ("unknown subject", ("user:nobody", policy.scope(1), GET_TENANT), False),
    ]
    checked = []
    for label, req, expected in cases:
        for _ in range(2):  # cold, then from the decision cache
            got = authz.enforce(*req)
            assert got is expected, f"{label}: {req} -> {got}, expected {expected}"
        checked.append(f"{label}: {'allow' if expected else 'deny'}")
    # the SQL filter for lists: a county admin sees its county, a practitioner its tenant
    assert authz.scopes(county_admin, LIST_USERS) == [region_path(t1_county)]
    assert authz.scopes(user_t1, LIST_USERS) == [policy.scope(1)]
    checked.append("scopes(): county admin -> county path, practitioner -> tenant path")
    return checked
