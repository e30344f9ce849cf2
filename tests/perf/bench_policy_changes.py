"""What one tenant's onboarding costs every replica's policy: the refresh after a change of
four rules (the tenant's administrator grant, membership and two practitioner grants), at
1,200, 6,200 and 16,200 rules — applying the logged changes (rhip.kit.policy_store) beside
reading every rule again (``refresh(force=True)``, what every refresh did before), in one run.

    PYTHONPATH=libs:services:tests .venv/bin/python tests/perf/bench_policy_changes.py [--postgres]

Each figure is the median of 25 refreshes, each after its own change.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from perf._common import log, migrate_kit, postgres_url, scratch_database  # noqa: E402
from rhip.kit.authz import (  # noqa: E402
    Authorizer,
    PolicyStore,
    Rule,
    grant_rule,
    membership_rule,
    permission_rule,
)
from rhip.kit.db import Database  # noqa: E402

SIZES = (1_200, 6_200, 16_200)
ROUNDS = 25


def _tenant(i: int) -> list[Rule]:
    path = f"86/32/3203/320311/t-{i}"
    return [
        grant_rule(f"user:admin-{i}", "tenant_admin", path),
        membership_rule(f"user:admin-{i}", str(i)),
        grant_rule(f"user:doc-{i}-1", "practitioner", path),
        grant_rule(f"user:doc-{i}-2", "practitioner", path),
    ]


def _grow(store: PolicyStore, upto: int, start: int) -> int:
    """Tenants from ``start`` until the policy holds ``upto`` rules; the next tenant number."""
    _, rules = store.load()
    tenant = start
    with store.db.transaction() as tx:
        batch: list[Rule] = []
        while len(rules) + len(batch) < upto:
            batch += _tenant(tenant)
            tenant += 1
        store.add(tx, batch)
    return tenant


def _median_ms(store: PolicyStore, replica: Authorizer, tenant: int, force: bool) -> float:
    times = []
    for i in range(ROUNDS):
        with store.db.transaction() as tx:
            store.add(tx, _tenant(tenant + i))
        started = time.perf_counter()
        replica.refresh(force=force)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(use_postgres: bool) -> None:
    with scratch_database(sqlite=not use_postgres, base_url=postgres_url()) as url:
        db = Database.connect(url)
        migrate_kit(db.engine)
        store = PolicyStore(db)
        with db.transaction() as tx:
            store.add(tx, [permission_rule("practitioner", "rhip.api.archives.v1.*")])
        replica = Authorizer(store)
        replica.refresh(force=True)
        tenant = 1
        print(f"backend: {db.engine.dialect.name}; median of {ROUNDS} refreshes, each after")
        print("one tenant's four rules")
        print("| rules | read every rule (ms) | apply the changes (ms) | ratio |")
        print("|---:|---:|---:|---:|")
        for size in SIZES:
            tenant = _grow(store, size, tenant)
            replica.refresh(force=True)
            full = _median_ms(store, replica, tenant, force=True)
            tenant += ROUNDS
            applied = _median_ms(store, replica, tenant, force=False)
            tenant += ROUNDS
            print(f"| {size:,} | {full:.2f} | {applied:.2f} | {full / applied:.0f}× |")
            log(f"policy changes: {size} rules done")
        db.dispose()


if __name__ == "__main__":
    main("--postgres" in sys.argv[1:])
