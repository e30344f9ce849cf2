"""Replicas bring their policy up to date by the logged changes (rhip.kit.policy_store), not by
reading every rule again — and decide exactly as a replica that read every rule would."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rhip.kit.authz import (
    Authorizer,
    PolicyStore,
    Rule,
    block_rule,
    grant_rule,
    membership_rule,
    password_change_rule,
    permission_rule,
)
from rhip.kit.db import Database, migrate
from rhip.kit.schema import authz_change, authz_version
from sqlalchemy import delete, func, select, update

READ = "rhip.api.identity.v1.IdentityService/GetTenant"
WRITE = "rhip.api.identity.v1.IdentityService/UpdateTenant"
ANY = "rhip.api.identity.v1.IdentityService/*"
DOMAINS = ["86/32", "86/32/3203", "86/32/3203/320311", "86/37/3704"]
TENANTS = [f"86/32/3203/320311/t-{i}" for i in (1, 2, 10)]
SUBJECTS = ["user:a", "user:b", "user:c", "svc:d"]
ROLES = ["practitioner", "regional_admin"]


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[PolicyStore]:
    db = Database.connect(database_url)
    migrate(db.engine, tmp_path)  # kit tables only: an empty service migrations folder
    yield PolicyStore(db)
    db.dispose()


def _replica(store: PolicyStore) -> Authorizer:
    """A replica without its watcher: it moves only when the test says refresh."""
    replica = Authorizer(store)
    replica.refresh(force=True)
    return replica


def _every_rule() -> list[Rule]:
    rules = [permission_rule("practitioner", READ), permission_rule("regional_admin", ANY)]
    rules += [permission_rule("practitioner", WRITE)]
    for subject in SUBJECTS:
        rules += [grant_rule(subject, role, d) for role in ROLES for d in DOMAINS + TENANTS]
        rules += [membership_rule(subject, t) for t in ("1", "2")]
        rules += [block_rule(subject), password_change_rule(subject)]
    rules += [block_rule("tenant:1"), block_rule("tenant:2")]
    return rules


def _decisions(authorizer: Authorizer) -> dict[str, object]:
    """Everything a replica answers about every subject: decisions, scopes, blocks."""
    answers: dict[str, object] = {}
    for subject in SUBJECTS:
        for action in (READ, WRITE, "rhip.api.other.v1.X/Y"):
            answers[f"scopes {subject} {action}"] = authorizer.scopes(subject, action)
            for domain in DOMAINS + TENANTS:
                answers[f"{subject} {domain} {action}"] = authorizer.enforce(
                    subject, domain, action
                )
        answers[f"blocked {subject}"] = authorizer.is_blocked(subject)
        answers[f"password {subject}"] = authorizer.must_change_password(subject)
    return answers


def test_a_replica_applying_changes_decides_as_one_reading_every_rule(
    store: PolicyStore,
) -> None:
    """200 rounds of random grants, revocations, blocks, unblocks, permission changes and
    sign-outs: after each, the replica that applied the logged changes answers every question
    as a replica built from every rule, and it never read every rule again."""
    rng = random.Random(20261207)
    applying = _replica(store)
    rules = _every_rule()
    held: set[Rule] = set()
    now = datetime.now(UTC)
    for round_ in range(200):
        absent = [r for r in rules if r not in held]
        adding = rng.sample(absent, k=min(len(absent), rng.randint(0, 4)))
        removing = rng.sample(sorted(held, key=repr), k=min(len(held), rng.randint(0, 3)))
        with store.db.transaction() as tx:
            store.remove(tx, removing)
            store.add(tx, adding)
            if round_ % 25 == 0:
                store.revoke_session(tx, f"session-{round_}", now, now + timedelta(hours=1))
        held = (held - set(removing)) | set(adding)
        applying.refresh()
        reading = _replica(store)
        assert applying.version == reading.version
        assert _decisions(applying) == _decisions(reading), f"round {round_}"
        assert applying.is_revoked("session-0") and reading.is_revoked("session-0")
    assert applying.full_loads == 1  # the start only
    assert applying.changes_applied > 500


def test_a_replica_reloads_everything_when_the_log_cannot_say_what_changed(
    store: PolicyStore,
) -> None:
    """A version with no logged changes (pruned, or written by a release without the log):
    the replica reads every rule rather than miss a change."""
    replica = _replica(store)
    with store.db.transaction() as tx:
        store.add(tx, [permission_rule("practitioner", READ)])
        store.add(tx, [grant_rule("user:a", "practitioner", TENANTS[0])])
    replica.refresh()
    assert replica.enforce("user:a", TENANTS[0], READ)
    assert (replica.full_loads, replica.changes_applied) == (1, 2)
    with store.db.transaction() as tx:
        store.add(tx, [block_rule("user:a")])
        tx.execute(delete(authz_change).where(authz_change.c.version == 3))  # as if pruned
    replica.refresh()
    assert replica.full_loads == 2
    assert replica.is_blocked("user:a") and not replica.enforce("user:a", TENANTS[0], READ)


def test_the_log_keeps_a_bounded_number_of_versions(store: PolicyStore, monkeypatch) -> None:
    """Old changes are pruned as versions go by (a replica that far behind reloads)."""
    import rhip.kit.policy_store as policy_store

    monkeypatch.setattr(policy_store, "CHANGES_KEPT", 30)
    monkeypatch.setattr(policy_store, "PRUNE_EVERY", 10)
    for i in range(100):
        with store.db.transaction() as tx:
            store.add(tx, [grant_rule(f"user:{i}", "practitioner", TENANTS[0])])
    with store.db.read() as conn:
        version = conn.execute(select(authz_version.c.version)).scalar_one()
        oldest = conn.execute(select(func.min(authz_change.c.version))).scalar_one()
        assert PolicyStore.changes(conn, 0, version) is None
        assert PolicyStore.changes(conn, version - 30, version) is not None
    assert version == 100 and 70 <= oldest <= 80


def test_a_sign_out_is_applied_and_forgotten_once_its_tokens_expired(store: PolicyStore) -> None:
    """A revoked session travels in the log with its expiry; a replica keeps it only while
    its tokens can still be used (a long-lived replica must not grow with every sign-out)."""
    replica = _replica(store)
    now = datetime.now(UTC)
    with store.db.transaction() as tx:
        store.revoke_session(tx, "s-short", now, now + timedelta(milliseconds=300))
        store.revoke_session(tx, "s-long", now, now + timedelta(hours=1))
    replica.refresh()
    assert replica.is_revoked("s-short") and replica.is_revoked("s-long")
    time.sleep(0.4)
    with store.db.transaction() as tx:
        store.add(tx, [permission_rule("practitioner", READ)])
    replica.refresh()
    assert not replica.is_revoked("s-short") and replica.is_revoked("s-long")
    assert replica.full_loads == 1


def test_a_version_moved_by_hand_is_caught_up_by_a_full_read(store: PolicyStore) -> None:
    """The version row moved without logged changes (an operator, an older release)."""
    replica = _replica(store)
    with store.db.transaction() as tx:
        tx.execute(update(authz_version).values(version=authz_version.c.version + 5))
    assert replica.refresh()
    assert replica.full_loads == 2 and replica.version == 5
