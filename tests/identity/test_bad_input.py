"""Bad input gets INVALID_ARGUMENT with the field and the reason, and writes nothing."""

from __future__ import annotations

import grpc
from google.protobuf.field_mask_pb2 import FieldMask
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import tenant_pb2, user_pb2
from rhip.identity.directory.store import TenantRow, UserRow
from rhip.kit.schema import audit_event
from sqlalchemy import func, select
from support.cells import VALID_CREDIT_CODE, World, tenant_msg
from support.errors import expect_error

INVALID = grpc.StatusCode.INVALID_ARGUMENT


def _counts(world: World) -> tuple[int, int, int]:
    with world.running.usecases.db.transaction() as session:
        return (
            session.execute(select(func.count()).select_from(TenantRow)).scalar_one(),
            session.execute(select(func.count()).select_from(UserRow)).scalar_one(),
            session.execute(select(func.count()).select_from(audit_event)).scalar_one(),
        )


def test_bad_tenants_are_refused_with_field_and_reason_and_write_nothing(world: World) -> None:
    stub, md = world.running.stub, world.running.md("xz-admin")
    before = _counts(world)
    cases = [
        (
            tenant_msg(credit_code="91350100M000100Y44"),
            "CREDIT_CODE_CHECK_CHAR",
            "tenant.credit_code",
        ),
        (tenant_msg(credit_code="91350100M00010OY43"), "CREDIT_CODE_FORMAT", "tenant.credit_code"),
        (tenant_msg(region="329999"), "UNKNOWN_REGION", "tenant.region_code"),
        (tenant_msg(region="32031"), "REGION_CODE_FORMAT", "tenant.region_code"),
        (tenant_msg(name="   "), "NAME_REQUIRED", "tenant.display_name"),
        (tenant_msg(name="卫" * 101), "NAME_TOO_LONG", "tenant.display_name"),
        (
            tenant_msg(type=tenant_pb2.TENANT_TYPE_UNSPECIFIED),
            "TENANT_TYPE_REQUIRED",
            "tenant.type",
        ),
    ]
    for tenant, reason, field in cases:
        error = expect_error(
            lambda t=tenant: stub.CreateTenant(pb.CreateTenantRequest(tenant=t), metadata=md),
            INVALID,
            reason,
            field,
        )
        assert "Traceback" not in error.message
    expect_error(
        lambda: stub.CreateTenant(
            pb.CreateTenantRequest(tenant=tenant_msg(), request_id="not-a-uuid"), metadata=md
        ),
        INVALID,
        "REQUEST_ID_FORMAT",
        "request_id",
    )
    assert _counts(world) == before


def test_every_bad_field_is_reported_at_once(world: World) -> None:
    stub, md = world.running.stub, world.running.md("xz-admin")
    error = expect_error(
        lambda: stub.CreateTenant(
            pb.CreateTenantRequest(
                tenant=tenant_msg(name="", type=0, credit_code="91350100M000100Y44")
            ),
            metadata=md,
        ),
        INVALID,
    )
    assert {v.field for v in error.violations} == {
        "tenant.display_name",
        "tenant.type",
        "tenant.credit_code",
    }


def test_valid_credit_code_is_accepted_and_unique(world: World) -> None:
    stub, md = world.running.stub, world.running.md("xz-admin")
    tenant = stub.CreateTenant(
        pb.CreateTenantRequest(tenant=tenant_msg(credit_code=VALID_CREDIT_CODE.lower())),
        metadata=md,
    )
    assert tenant.credit_code == VALID_CREDIT_CODE
    expect_error(
        lambda: stub.CreateTenant(
            pb.CreateTenantRequest(tenant=tenant_msg(credit_code=VALID_CREDIT_CODE)), metadata=md
        ),
        grpc.StatusCode.ALREADY_EXISTS,
        "TENANT_EXISTS",
    )


def test_negative_page_size_and_bad_names(world: World) -> None:
    stub, md = world.running.stub, world.running.md("xz-admin")
    expect_error(
        lambda: stub.ListTenants(
            pb.ListTenantsRequest(parent="regions/320300", page_size=-1), metadata=md
        ),
        INVALID,
        "PAGE_SIZE_NEGATIVE",
        "page_size",
    )
    expect_error(
        lambda: stub.ListTenants(
            pb.ListTenantsRequest(parent="regions/320300", page_token="@@"), metadata=md
        ),
        INVALID,
        "PAGE_TOKEN_INVALID",
        "page_token",
    )
    expect_error(
        lambda: stub.ListTenants(pb.ListTenantsRequest(parent="320300"), metadata=md),
        INVALID,
        "RESOURCE_NAME",
        "parent",
    )
    expect_error(
        lambda: stub.GetTenant(pb.GetTenantRequest(name="tenants/"), metadata=md),
        INVALID,
        "RESOURCE_NAME",
        "name",
    )


def test_bad_users_and_updates_write_nothing(world: World) -> None:
    stub, md = world.running.stub, world.running.md("xz-admin")
    before = _counts(world)
    user = user_pb2.User(username="A!", display_name="", kind=1, tenant_id=world.tenants["qs-chc"])
    error = expect_error(
        lambda: stub.CreateUser(pb.CreateUserRequest(user=user, password="short"), metadata=md),
        INVALID,
    )
    assert {v.field for v in error.violations} == {"user.username", "user.display_name", "password"}
    expect_error(
        lambda: stub.CreateUser(
            pb.CreateUserRequest(
                user=user_pb2.User(
                    username="good.name", display_name="x", kind=0, region_code="320300"
                ),
                password="Good-Passw0rd-123",
            ),
            metadata=md,
        ),
        INVALID,
        "USER_KIND_REQUIRED",
        "user.kind",
    )
    name = f"tenants/{world.tenants['qs-chc']}"
    expect_error(
        lambda: stub.UpdateTenant(
            pb.UpdateTenantRequest(
                tenant=tenant_pb2.Tenant(name=name, region_code="320100"),
                update_mask=FieldMask(paths=["region_code"]),
            ),
            metadata=md,
        ),
        INVALID,
        "UPDATE_MASK_FIELD",
        "update_mask",
    )
    expect_error(
        lambda: stub.SuspendTenant(pb.SuspendTenantRequest(name=name, reason=" "), metadata=md),
        INVALID,
        "REASON_REQUIRED",
        "reason",
    )
    assert _counts(world) == before


def test_update_with_stale_etag_is_aborted(world: World) -> None:
    stub, md = world.running.stub, world.running.md("xz-admin")
    name = f"tenants/{world.tenants['qs-chc']}"
    current = stub.GetTenant(pb.GetTenantRequest(name=name), metadata=md)
    mask = FieldMask(paths=["display_name"])
    updated = stub.UpdateTenant(
        pb.UpdateTenantRequest(
            tenant=tenant_pb2.Tenant(name=name, display_name="新名字", etag=current.etag),
            update_mask=mask,
        ),
        metadata=md,
    )
    assert updated.display_name == "新名字" and updated.etag != current.etag
    expect_error(
        lambda: stub.UpdateTenant(
            pb.UpdateTenantRequest(
                tenant=tenant_pb2.Tenant(name=name, display_name="又一个", etag=current.etag),
                update_mask=mask,
            ),
            metadata=md,
        ),
        grpc.StatusCode.ABORTED,
        "ETAG_MISMATCH",
    )


def test_create_is_idempotent_by_request_id(world: World) -> None:
    stub, md = world.running.stub, world.running.md("xz-admin")
    request = pb.CreateTenantRequest(
        tenant=tenant_msg("重试卫生院"), request_id="0193b000-0000-7000-8000-00000000abcd"
    )
    first = stub.CreateTenant(request, metadata=md)
    before = _counts(world)
    second = stub.CreateTenant(request, metadata=md)
    assert second.tenant_id == first.tenant_id
    assert _counts(world) == before
