"""rhip.kit.parents: may the caller list under this parent? On a real policy (SQLite and
PostgreSQL). The services' own tests call every List through gRPC; these pin the rule and
when the tenant's scope is looked up at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rhip.kit.authn import Principal, PrincipalKind
from rhip.kit.authz import Authorizer, PolicyStore, grant_rule, membership_rule, permission_rule
from rhip.kit.db import Database, migrate
from rhip.kit.errors import InvalidArgument, PermissionDenied, RhipError
from rhip.kit.parents import ListParents

LIST = "rhip.api.archives.v1.ArchivesService/ListHealthRecords"
CELL = "86/32"
QS = "86/32/3203/320311"
TENANTS = {"1": f"{QS}/t-1", "2": "86/32/3203/320312/t-2", "3": "86/32/3201/320106/t-3"}


def _who(subject: str) -> Principal:
    return Principal(subject, PrincipalKind.REGIONAL_ADMIN, "", "320000")


@pytest.fixture
def parents(database_url: str, tmp_path: Path) -> Iterator[ListParents]:
    db = Database.connect(database_url)
    migrate(db.engine, tmp_path)
    authorizer = Authorizer(PolicyStore(db), poll_seconds=0.05)
    authorizer.start()
    with db.transaction() as session:
        authorizer.store.add(
            session,
            [
                permission_rule("practitioner", LIST),
                permission_rule("regional_admin", LIST),
                grant_rule("user:doc", "practitioner", TENANTS["1"]),
                membership_rule("user:doc", "1"),
                grant_rule("user:xz", "regional_admin", "86/32/3203"),
                grant_rule("user:js", "regional_admin", CELL),
            ],
        )
    authorizer.refresh()
    yield ListParents(authorizer, CELL)
    authorizer.stop()
    db.dispose()


def _answer(parents: ListParents, subject: str, tenant_id: str) -> tuple[str, list[str]]:
    """(what the check answered, the tenants whose scope it looked up)."""
    looked_up: list[str] = []

    def scope_of(tenant: str) -> str | None:
        looked_up.append(tenant)
        return TENANTS.get(tenant)

    try:
        answer = parents.tenant(_who(subject), tenant_id, LIST, scope_of)
    except RhipError as error:
        answer = f"{error.code.name} {error.reason} {error.message}"
    return answer, looked_up


def test_a_tenant_grant_answers_alone(parents: ListParents) -> None:
    assert _answer(parents, "user:doc", "1") == (TENANTS["1"], [])
    refused = _answer(parents, "user:doc", "2")
    assert refused[0].startswith("PERMISSION_DENIED PERMISSION_DENIED")
    assert refused == _answer(parents, "user:doc", "missing") and refused[1] == []


def test_a_region_grant_looks_the_tenant_up(parents: ListParents) -> None:
    assert _answer(parents, "user:xz", "2") == (TENANTS["2"], ["2"])
    beside = _answer(parents, "user:xz", "3")
    assert beside[0].startswith("PERMISSION_DENIED")
    assert _answer(parents, "user:xz", "missing")[0] == beside[0]
    assert _answer(parents, "user:js", "missing")[0].startswith("NOT_FOUND")
    assert _answer(parents, "user:nobody", "1") == (beside[0], [])  # no grant: no lookup


def test_region_parent_permission_before_existence(parents: ListParents) -> None:
    assert parents.region(_who("user:xz"), "320311", LIST).path == QS
    with pytest.raises(PermissionDenied) as beside:
        parents.region(_who("user:xz"), "320106", LIST)
    with pytest.raises(PermissionDenied) as missing:
        parents.region(_who("user:xz"), "320199", LIST)
    assert missing.value.message == beside.value.message
    with pytest.raises(InvalidArgument) as unknown:
        parents.region(_who("user:js"), "320199", LIST)
    assert unknown.value.reason == "UNKNOWN_REGION"
    with pytest.raises(InvalidArgument) as malformed:
        parents.region(_who("user:nobody"), "32011", LIST)
    assert malformed.value.reason == "REGION_CODE_FORMAT"
