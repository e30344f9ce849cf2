"""A list aimed at a parent the caller may not see is PERMISSION_DENIED (AIP-211, issue 12
item 7), in every List of identity, and a parent that does not exist answers exactly the same
to callers without rights there (permission before existence). Callers whose reach covers the
missing parent learn that it is missing.

SearchResidents takes no parent (it searches the caller's own reach: the isolation tests show
it finds nothing outside it); ListResidentChanges takes none either (the cell's own account
only: test_resident_changes.py); ListRegions lists the public GB/T 2260 catalogue, which every
caller may read, like GetRegion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.kit.errors import from_rpc_error
from support.cells import RunningCell, World
from support.errors import expect_error
from support.residents import XUZHOU_MAN, register_request
from support.residents import pb as rpb
from support.residents import stub as resident_stub

DENIED = grpc.StatusCode.PERMISSION_DENIED
MISSING_TENANT = "tenants/01a20000-0000-7000-8000-000000000000"
# A well-formed county code inside Xuzhou that the catalogue does not know.
MISSING_XUZHOU_COUNTY = "regions/320399"

Call = Callable[[str, list[tuple[str, str]]], Any]


def refusal(call: Callable[[], Any]) -> tuple[grpc.StatusCode, str, str]:
    """What a refused call tells the caller: code, ErrorInfo reason, message."""
    with pytest.raises(grpc.RpcError) as caught:
        call()
    error = from_rpc_error(caught.value)
    return caught.value.code(), error.reason, error.message


def _region_lists(stub: Any) -> dict[str, Call]:
    return {
        "ListTenants": lambda parent, md: stub.ListTenants(
            pb.ListTenantsRequest(parent=parent), metadata=md
        ),
        "ListUsers": lambda parent, md: stub.ListUsers(
            pb.ListUsersRequest(parent=parent), metadata=md
        ),
        "ListRoleGrants": lambda parent, md: stub.ListRoleGrants(
            pb.ListRoleGrantsRequest(parent=parent), metadata=md
        ),
    }


@pytest.mark.parametrize("method", ["ListTenants", "ListUsers", "ListRoleGrants"])
def test_region_parent_out_of_reach_or_missing_is_denied_alike(world: World, method: str) -> None:
    running = world.running
    call = _region_lists(running.stub)[method]
    md = running.md("qs-admin")  # Quanshan county, 320311
    assert call("regions/320311", md) is not None  # its own county answers
    sibling = refusal(lambda: call("regions/320312", md))  # Tongshan, the sibling county
    assert sibling[:2] == (DENIED, "PERMISSION_DENIED")
    for parent in ("regions/320300", "regions/370400", MISSING_XUZHOU_COUNTY):
        assert refusal(lambda p=parent: call(p, md)) == sibling, parent
    # The city administrator reaches where the missing county would be: it learns it is unknown.
    expect_error(
        lambda: call(MISSING_XUZHOU_COUNTY, running.md("xz-admin")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "UNKNOWN_REGION",
        "parent",
    )
    # A malformed parent is bad input, whoever asks.
    expect_error(
        lambda: call("regions/32031", md), grpc.StatusCode.INVALID_ARGUMENT, "REGION_CODE_FORMAT"
    )


def test_tenant_parent_of_list_users_out_of_reach_or_missing_is_denied_alike(
    world: World,
) -> None:
    running, stub = world.running, world.running.stub

    def users(parent: str, who: str) -> Any:
        return stub.ListUsers(pb.ListUsersRequest(parent=parent), metadata=running.md(who))

    own = users(f"tenants/{world.tenants['qs-chc']}", "qs-doctor")
    assert [u.username for u in own.users] == ["qs-doctor"]
    for who, sibling_tenant in (("qs-doctor", "ts-th"), ("xz-admin", "nj-chc")):
        sibling = refusal(lambda w=who, t=sibling_tenant: users(f"tenants/{world.tenants[t]}", w))
        assert sibling[:2] == (DENIED, "PERMISSION_DENIED"), who
        assert refusal(lambda w=who: users(MISSING_TENANT, w)) == sibling, who
    # The province administrator reaches the whole cell: a missing tenant is missing.
    expect_error(lambda: users(MISSING_TENANT, "js-admin"), grpc.StatusCode.NOT_FOUND)


def test_resident_events_of_a_resident_out_of_reach_or_missing_are_denied_alike(
    running: RunningCell, world: World
) -> None:
    api = resident_stub(running.channel)
    man = api.RegisterResident(
        register_request(XUZHOU_MAN), metadata=running.md("qs-doctor")
    ).resident.name

    def events(parent: str, who: str) -> Any:
        return api.ListResidentEvents(
            rpb.ListResidentEventsRequest(parent=parent), metadata=running.md(who)
        )

    assert events(man, "qs-doctor").events
    missing = "residents/01a20000-0000-7000-8000-000000000000"
    for who in ("nj-doctor", "nj-admin"):
        sibling = refusal(lambda w=who: events(man, w))
        assert sibling[:2] == (DENIED, "PERMISSION_DENIED"), who
        assert refusal(lambda w=who: events(missing, w)) == sibling, who
    expect_error(lambda: events(missing, "js-admin"), grpc.StatusCode.NOT_FOUND)


def test_regions_are_public_reference_data_listed_for_every_caller(world: World) -> None:
    stub, md = world.running.stub, world.running.md("qs-doctor")
    for parent in ("regions/320100", "regions/370400", ""):
        listed = stub.ListRegions(pb.ListRegionsRequest(parent=parent), metadata=md)
        assert listed.regions, parent
    expect_error(
        lambda: stub.ListRegions(pb.ListRegionsRequest(parent="regions/320399"), metadata=md),
        grpc.StatusCode.INVALID_ARGUMENT,
        "UNKNOWN_REGION",
    )
