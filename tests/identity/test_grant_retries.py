"""Found by the security suite (tests/security, a replayed GrantRole): RevokeRole deletes the
grant, and a retry of the GrantRole request that made it (same caller, same request id, same
body, as a client retries after a lost answer) found no grant under its request id and made a
new one: revoked access came back. Now the retry is FAILED_PRECONDITION ``GRANT_REVOKED`` and
the subject stays without the grant; a new request id grants again, deliberately."""

from __future__ import annotations

import uuid

import grpc
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import user_pb2
from support.cells import World
from support.errors import expect_error


def _grants(world: World, md: list[tuple[str, str]], subject: str) -> list[str]:
    reply = world.running.stub.ListRoleGrants(
        pb.ListRoleGrantsRequest(parent="regions/320311", subject=subject), metadata=md
    )
    return [g.role for g in reply.grants]


def test_a_retried_grant_does_not_bring_a_revoked_grant_back(world: World) -> None:
    stub, md = world.running.stub, world.running.md("qs-admin")
    subject = f"user:{world.users['qs-doctor']}"
    grant = pb.GrantRoleRequest(
        grant=user_pb2.RoleGrant(subject=subject, role="auditor", region_code="320311"),
        request_id=str(uuid.uuid4()),
    )
    first = stub.GrantRole(grant, metadata=md)
    assert stub.GrantRole(grant, metadata=md).name == first.name  # a retry: the same grant
    stub.RevokeRole(pb.RevokeRoleRequest(name=first.name), metadata=md)
    assert "auditor" not in _grants(world, md, subject)
    expect_error(
        lambda: stub.GrantRole(grant, metadata=md),
        grpc.StatusCode.FAILED_PRECONDITION,
        "GRANT_REVOKED",
    )
    assert "auditor" not in _grants(world, md, subject)
    grant.request_id = str(uuid.uuid4())
    assert stub.GrantRole(grant, metadata=md).role == "auditor"
    assert "auditor" in _grants(world, md, subject)
