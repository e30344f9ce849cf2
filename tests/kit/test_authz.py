"""Casbin RBAC with region-path domains, on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rhip.kit.authn import Principal, PrincipalKind
from rhip.kit.authz import (
    Authorizer,
    PolicyStore,
    block_rule,
    grant_rule,
    membership_rule,
    permission_rule,
)
from rhip.kit.db import Database, migrate
from rhip.kit.errors import NotFound, PermissionDenied

READ = "rhip.api.identity.v1.IdentityService/GetTenant"
WRITE = "rhip.api.identity.v1.IdentityService/UpdateTenant"
T1 = "86/32/3203/320311/t-1"
T10 = "86/32/3203/320311/t-10"


@pytest.fixture
def authorizer(database_url: str, tmp_path: Path) -> Iterator[Authorizer]:
    db = Database.connect(database_url)
    migrate(db.engine, tmp_path)  # kit tables only: an empty service migrations folder
    authorizer = Authorizer(PolicyStore(db), poll_seconds=0.05)
    authorizer.start()
    with db.transaction() as session:
        authorizer.store.add(
            session,
            [
                permission_rule("practitioner", READ),
                permission_rule("regional_admin", "rhip.api.identity.v1.IdentityService/*"),
                grant_rule("user:doc", "practitioner", T1),
                membership_rule("user:doc", "1"),
                grant_rule("user:admin", "regional_admin", "86/32/3203"),
                grant_rule("user:county", "regional_admin", "86/32/3203/320311"),
            ],
        )
    authorizer.refresh()
    yield authorizer
    authorizer.stop()
    db.dispose()


def test_tenant_grant_never_reaches_a_sibling_with_a_longer_id(authorizer: Authorizer) -> None:
    assert authorizer.enforce("user:doc", T1, READ)
    assert not authorizer.enforce("user:doc", T10, READ)
    assert not authorizer.enforce("user:doc", "86/32/3203/320311", READ)
    assert not authorizer.enforce("user:doc", T1, WRITE)


def test_region_grant_reaches_below_not_above_or_beside(authorizer: Authorizer) -> None:
    assert authorizer.enforce("user:admin", T10, WRITE)
    assert authorizer.enforce("user:admin", "86/32/3203/320302", WRITE)
    assert not authorizer.enforce("user:admin", "86/32", WRITE)
    assert not authorizer.enforce("user:admin", "86/32/3201/320106", WRITE)
    assert not authorizer.enforce("user:admin", "86/32/32030", WRITE)
    assert authorizer.enforce("user:county", T1, WRITE)
    assert not authorizer.enforce("user:county", "86/32/3203", WRITE)


def test_scopes_are_the_outermost_grants(authorizer: Authorizer) -> None:
    with authorizer.store.db.transaction() as session:
        authorizer.store.add(
            session, [grant_rule("user:admin", "regional_admin", "86/32/3203/320311")]
        )
    authorizer.refresh()
    assert authorizer.scopes("user:admin", WRITE) == ["86/32/3203"]
    assert authorizer.scopes("user:doc", READ) == [T1]
    assert authorizer.scopes("user:doc", WRITE) == []


def test_blocking_a_tenant_blocks_its_members_and_clears_cached_decisions(
    authorizer: Authorizer,
) -> None:
    assert authorizer.enforce("user:doc", T1, READ)  # now cached
    with authorizer.store.db.transaction() as session:
        authorizer.store.add(session, [block_rule("tenant:1")])
    authorizer.refresh()  # the watcher may have reloaded already
    assert authorizer.is_blocked("user:doc")
    assert not authorizer.enforce("user:doc", T1, READ)
    principal = Principal("user:doc", PrincipalKind.PRACTITIONER, "1", "320311")
    with pytest.raises(PermissionDenied) as denied:
        authorizer.require(principal, T1, READ)
    assert denied.value.reason == "SUBJECT_BLOCKED"
    assert authorizer.scopes("user:doc", READ) == []
    assert not authorizer.is_blocked("user:admin")


def test_revocation_is_seen_after_refresh_only_when_the_version_moved(
    authorizer: Authorizer,
) -> None:
    assert not authorizer.refresh()  # nothing changed
    version = authorizer.version
    with authorizer.store.db.transaction() as session:
        removed = authorizer.store.remove(session, [grant_rule("user:doc", "practitioner", T1)])
    assert removed == 1
    authorizer.refresh()  # the watcher may have reloaded already
    assert authorizer.version == version + 1
    assert not authorizer.enforce("user:doc", T1, READ)


def test_decisions_equal_casbins_own_enforce_on_every_request(authorizer: Authorizer) -> None:
    """Snapshot.decide evaluates MODEL_TEXT's matcher in Python; casbin's enforce is the
    reference."""
    with authorizer.store.db.transaction() as session:
        authorizer.store.add(
            session,
            [
                block_rule("tenant:9"),
                membership_rule("user:blocked", "9"),
                grant_rule("user:blocked", "practitioner", "86/32/3203/320311/t-9"),
            ],
        )
    authorizer.refresh()
    snapshot = authorizer._snapshot
    subjects = [
        "user:doc",
        "user:admin",
        "user:county",
        "user:blocked",
        "user:nobody",
        "role:practitioner",
    ]
    domains = [
        "86",
        "86/32",
        "86/32/3203",
        "86/32/3203/320311",
        T1,
        T10,
        "86/32/3203/320311/t-9",
        "86/32/3201/320106",
        "86/37/3704",
    ]
    actions = [
        READ,
        WRITE,
        "rhip.api.identity.v1.IdentityService/ListTenants",
        "rhip.api.other.v1.X/Y",
    ]
    checked = 0
    for subject in subjects:
        for domain in domains:
            for action in actions:
                with snapshot.lock:
                    expected = bool(snapshot.enforcer.enforce(subject, domain, action))
                if subject.startswith("role:"):
                    expected = False  # roles are never callers (see Authorizer.enforce)
                assert authorizer.enforce(subject, domain, action) == expected, (
                    subject,
                    domain,
                    action,
                )
                checked += 1
    assert checked == len(subjects) * len(domains) * len(actions)


def test_a_services_catalogue_sync_leaves_every_other_row_alone(authorizer: Authorizer) -> None:
    """Each service syncs its own prefix on start: its rows become exactly its catalogue,
    and another service's rows, grants and memberships stay (services start in any order)."""
    archives = "rhip.api.archives.v1.ArchivesService/"
    before = set(authorizer.store.load()[1])
    authorizer.sync_catalog(
        archives, [permission_rule("practitioner", archives + "GetHealthRecord")]
    )
    authorizer.sync_catalog(
        archives, [permission_rule("practitioner", archives + "ListHealthRecords")]
    )
    after = set(authorizer.store.load()[1])
    assert after - before == {permission_rule("practitioner", archives + "ListHealthRecords")}
    assert before <= after
    assert authorizer.enforce("user:doc", T1, archives + "ListHealthRecords")
    assert not authorizer.enforce("user:doc", T1, archives + "GetHealthRecord")


def test_a_catalogue_naming_another_services_actions_is_refused(authorizer: Authorizer) -> None:
    """A catalogue that names another service's methods would delete that service's rows on
    the next start, so it is refused before anything changes."""
    before = authorizer.store.load()[1]
    with pytest.raises(ValueError, match="other actions"):
        authorizer.sync_catalog("rhip.api.archives.", [permission_rule("practitioner", WRITE)])
    assert authorizer.store.load()[1] == before


def test_permission_before_existence_hides_missing_targets_from_callers_of_one_region(
    authorizer: Authorizer,
) -> None:
    """require_found: a missing target is NOT_FOUND only to a caller who may act anywhere in
    the cell; a county administrator gets the same PERMISSION_DENIED for a missing target as
    for one outside its county."""
    province = Principal("user:admin", PrincipalKind.REGIONAL_ADMIN, "", "320300")
    county = Principal("user:county", PrincipalKind.REGIONAL_ADMIN, "", "320311")
    cell = "86/32/3203"
    with pytest.raises(NotFound):
        authorizer.require_found(province, None, WRITE, cell, "tenants/x does not exist")
    with pytest.raises(PermissionDenied) as missing:
        authorizer.require_found(county, None, WRITE, cell, "tenants/x does not exist")
    with pytest.raises(PermissionDenied) as elsewhere:
        authorizer.require_found(county, "86/32/3203/320312", WRITE, cell, "unused")
    assert str(missing.value) == str(elsewhere.value)
    authorizer.require_found(county, T1, WRITE, cell, "unused")  # its own county: allowed
