"""Policy changes reach every replica within a second: two identity servers on one database,
each with its own authorizer and watcher (LISTEN/NOTIFY on PostgreSQL, polling on SQLite)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import grpc
import pytest
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import identity_service_pb2_grpc, user_pb2
from rhip.kit.config import Settings
from support.cells import RunningCell, World, start_cell
from support.errors import expect_error


@pytest.fixture
def replica(settings: Settings, world: World) -> Iterator[RunningCell]:
    second = start_cell(settings)
    yield second
    second.channel.close()
    second.cell.stop(0)


def _wait_for(check, timeout: float = 1.0) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"not within {timeout} s")


def _allowed(stub: identity_service_pb2_grpc.IdentityServiceStub, md) -> bool:  # type: ignore[no-untyped-def]
    try:
        stub.ListTenants(pb.ListTenantsRequest(parent="regions/320300"), metadata=md)
        return True
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
        return False


def test_revoked_grant_stops_working_in_every_replica_within_a_second(
    world: World, replica: RunningCell
) -> None:
    primary = world.running
    auditor_md = primary.md("js-auditor")
    # A practitioner is granted regional_admin over Xuzhou through replica one…
    grant = primary.stub.GrantRole(
        pb.GrantRoleRequest(
            grant=user_pb2.RoleGrant(
                subject=f"user:{world.users['qs-doctor']}",
                role="regional_admin",
                region_code="320300",
            )
        ),
        metadata=primary.md("js-admin"),
    )
    doctor_md = primary.md("qs-doctor")
    _wait_for(lambda: _allowed(replica.stub, doctor_md))
    # …and revoked through replica one; replica two must refuse within a second.
    primary.stub.RevokeRole(pb.RevokeRoleRequest(name=grant.name), metadata=primary.md("js-admin"))
    assert not _allowed(primary.stub, doctor_md)
    elapsed = _wait_for(lambda: not _allowed(replica.stub, doctor_md))
    assert elapsed < 1.0
    assert _allowed(replica.stub, auditor_md)  # other grants are untouched


def test_suspension_reaches_every_replica_within_a_second(
    world: World, replica: RunningCell
) -> None:
    doctor_md = world.running.md("qs-doctor")
    name = f"tenants/{world.tenants['qs-chc']}"
    assert replica.stub.GetTenant(pb.GetTenantRequest(name=name), metadata=doctor_md).tenant_id
    world.running.stub.SuspendTenant(
        pb.SuspendTenantRequest(name=name, reason="停业"), metadata=world.running.md("xz-admin")
    )

    def refused() -> bool:
        try:
            replica.stub.GetTenant(pb.GetTenantRequest(name=name), metadata=doctor_md)
            return False
        except grpc.RpcError as error:
            return error.code() == grpc.StatusCode.PERMISSION_DENIED

    assert _wait_for(refused) < 1.0
    expect_error(
        lambda: replica.stub.GetTenant(pb.GetTenantRequest(name=name), metadata=doctor_md),
        grpc.StatusCode.PERMISSION_DENIED,
        "SUBJECT_BLOCKED",
    )
