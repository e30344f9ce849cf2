"""Request ids are per caller (AIP-155, issue 12 item 1). Found from outside: qs-admin
(county 320311) replaying the request id with which a city administrator had created a
Tongshan (320312) practitioner received that user. Now another caller's replay creates its own
resource (or is refused on its own merits) and sees nothing of the first answer; the same
caller's replay with another body is refused; the demo's guessable ids change nothing."""

from __future__ import annotations

import grpc
from rhip.api.common.v1 import common_pb2
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import user_pb2
from support.cells import PASSWORD, World, tenant_msg
from support.errors import expect_error

REQUEST_ID = "0193a000-3200-7000-8000-000200000005"  # a demo-shaped, guessable id


def _practitioner(world: World, username: str, tenant: str) -> pb.CreateUserRequest:
    return pb.CreateUserRequest(
        user=user_pb2.User(
            username=username,
            display_name=username,
            kind=common_pb2.PRINCIPAL_KIND_PRACTITIONER,
            tenant_id=world.tenants[tenant],
        ),
        password=PASSWORD,
        request_id=REQUEST_ID,
    )


def test_another_admins_replay_never_returns_the_first_user(world: World) -> None:
    stub = world.running.stub
    theirs = stub.CreateUser(
        _practitioner(world, "ts-doctor-new", "ts-th"), metadata=world.running.md("xz-admin")
    )
    # qs-admin replays the id with a body of its own: a user of its own county is created
    mine = stub.CreateUser(
        _practitioner(world, "qs-doctor-new", "qs-chc"), metadata=world.running.md("qs-admin")
    )
    assert mine.user_id != theirs.user_id and mine.username == "qs-doctor-new"
    # ... and with the first caller's very body, it is refused on its own merits
    expect_error(
        lambda: stub.CreateUser(
            _practitioner(world, "ts-doctor-new", "ts-th"), metadata=world.running.md("qs-admin")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )


def test_a_replay_with_another_body_is_refused_and_changes_nothing(world: World) -> None:
    stub, md = world.running.stub, world.running.md("xz-admin")
    first = stub.CreateTenant(
        pb.CreateTenantRequest(tenant=tenant_msg("沛县卫生院", "320322"), request_id=REQUEST_ID),
        metadata=md,
    )
    again = stub.CreateTenant(
        pb.CreateTenantRequest(tenant=tenant_msg("沛县卫生院", "320322"), request_id=REQUEST_ID),
        metadata=md,
    )
    assert again.tenant_id == first.tenant_id
    expect_error(
        lambda: stub.CreateTenant(
            pb.CreateTenantRequest(
                tenant=tenant_msg("丰县卫生院", "320321"), request_id=REQUEST_ID
            ),
            metadata=md,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REQUEST_ID_REUSED",
        "request_id",
    )
    listed = stub.ListTenants(pb.ListTenantsRequest(parent="regions/320321"), metadata=md)
    assert list(listed.tenants) == []


def test_a_password_retry_is_not_a_different_request(world: World) -> None:
    """The digest leaves credentials out: the table never holds a fast hash of a password,
    and a retry is answered however its password field was filled."""
    stub, md = world.running.stub, world.running.md("qs-admin")
    request = _practitioner(world, "qs-nurse", "qs-chc")
    first = stub.CreateUser(request, metadata=md)
    request.password = "Another-Passw0rd-99"
    assert stub.CreateUser(request, metadata=md).user_id == first.user_id
