"""Issue 12: a NUL in any string field reached PostgreSQL, which refuses NUL in text, and the
caller got INTERNAL (Login's username, CreateServiceAccount's tenant id, resource names);
SQLite stored it. Every string of every request is checked once in the server chain
(rhip.kit.request_fields): a control character or more than 64 Ki characters is INVALID_ARGUMENT
naming the field, on both databases, and nothing is written."""

from __future__ import annotations

import grpc
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import user_pb2
from rhip.kit.request_fields import MAX_STRING
from support.cells import World
from support.errors import expect_error

INVALID = grpc.StatusCode.INVALID_ARGUMENT


def test_nul_and_oversized_strings_are_refused_before_the_database(world: World) -> None:
    stub, running = world.running.stub, world.running
    for username in ("\x00", "qs-admin\x00", "a\x01b"):
        expect_error(
            lambda u=username: stub.Login(
                pb.LoginRequest(password=pb.PasswordCredentials(username=u, password="x"))
            ),
            INVALID, "CONTROL_CHARACTER", "password.username",
        )  # fmt: skip
    expect_error(
        lambda: stub.Login(
            pb.LoginRequest(password=pb.PasswordCredentials(username="x" * (MAX_STRING + 1)))
        ),
        INVALID, "STRING_TOO_LONG", "password.username",
    )  # fmt: skip
    md = running.md("qs-admin")
    before = stub.ListUsers(pb.ListUsersRequest(parent="regions/320311"), metadata=md)
    expect_error(
        lambda: stub.CreateServiceAccount(
            pb.CreateServiceAccountRequest(
                service_account=user_pb2.ServiceAccount(
                    display_name="HIS", tenant_id=world.tenants["qs-chc"] + "\x00"
                )
            ),
            metadata=md,
        ),
        INVALID, "CONTROL_CHARACTER", "service_account.tenant_id",
    )  # fmt: skip
    expect_error(
        lambda: stub.GetTenant(pb.GetTenantRequest(name="tenants/\x00"), metadata=md),
        INVALID, "CONTROL_CHARACTER", "name",
    )  # fmt: skip
    after = stub.ListUsers(pb.ListUsersRequest(parent="regions/320311"), metadata=md)
    assert after == before
    # Line breaks and tabs are text, not controls: a multi-line note keeps them (the field's
    # own check decides whether it takes more than one line).
    assert stub.GetTenant(
        pb.GetTenantRequest(name=f"tenants/{world.tenants['qs-chc']}"), metadata=md
    ).tenant_id
