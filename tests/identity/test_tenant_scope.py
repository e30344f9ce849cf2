"""Regional isolation of tenants: an administrator acts at its region and below, never on a
sibling city, another province, or the level above."""

from __future__ import annotations

import grpc
from google.protobuf.field_mask_pb2 import FieldMask
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import tenant_pb2, user_pb2
from support.cells import World, tenant_msg
from support.errors import expect_error

DENIED = grpc.StatusCode.PERMISSION_DENIED


def test_xuzhou_admin_creates_and_lists_tenants_in_its_counties(world: World) -> None:
    stub, md = world.running.stub, world.running.md("xz-admin")
    created = [
        stub.CreateTenant(
            pb.CreateTenantRequest(tenant=tenant_msg("沛县卫生院", "320322")), metadata=md
        ),
        stub.CreateTenant(
            pb.CreateTenantRequest(tenant=tenant_msg("鼓楼卫生院", "320302")), metadata=md
        ),
    ]
    assert [t.region_code for t in created] == ["320322", "320302"]
    assert created[0].scope_path == f"86/32/3203/320322/t-{created[0].tenant_id}"
    listed = stub.ListTenants(pb.ListTenantsRequest(parent="regions/320300"), metadata=md)
    ids = {t.tenant_id for t in listed.tenants}
    assert {t.tenant_id for t in created} <= ids
    assert world.tenants["qs-chc"] in ids and world.tenants["ts-th"] in ids
    assert world.tenants["nj-chc"] not in ids
    assert all(t.region_code.startswith("3203") for t in listed.tenants)


def test_xuzhou_admin_is_denied_nanjing_and_zaozhuang_for_every_method(world: World) -> None:
    stub, md = world.running.stub, world.running.md("xz-admin")
    nj_tenant = f"tenants/{world.tenants['nj-chc']}"
    for region in ("320106", "370402"):  # Nanjing Gulou; Zaozhuang Shizhong (other cell)
        expect_error(
            lambda r=region: stub.CreateTenant(
                pb.CreateTenantRequest(tenant=tenant_msg(region=r)), metadata=md
            ),
            DENIED,
        )
    for parent in ("regions/320100", "regions/370400", "regions/320000"):
        expect_error(
            lambda p=parent: stub.ListTenants(pb.ListTenantsRequest(parent=p), metadata=md), DENIED
        )
    expect_error(lambda: stub.GetTenant(pb.GetTenantRequest(name=nj_tenant), metadata=md), DENIED)
    expect_error(
        lambda: stub.UpdateTenant(
            pb.UpdateTenantRequest(
                tenant=tenant_pb2.Tenant(name=nj_tenant, display_name="改名"),
                update_mask=FieldMask(paths=["display_name"]),
            ),
            metadata=md,
        ),
        DENIED,
    )
    expect_error(
        lambda: stub.SuspendTenant(
            pb.SuspendTenantRequest(name=nj_tenant, reason="x"), metadata=md
        ),
        DENIED,
    )
    for grant in (
        user_pb2.RoleGrant(
            subject=f"user:{world.users['xz-admin']}", role="regional_admin", region_code="320100"
        ),
        user_pb2.RoleGrant(
            subject=f"user:{world.users['xz-admin']}", role="regional_admin", region_code="370400"
        ),
        user_pb2.RoleGrant(
            subject=f"user:{world.users['nj-doctor']}",
            role="practitioner",
            tenant_id=world.tenants["nj-chc"],
        ),
    ):
        expect_error(
            lambda g=grant: stub.GrantRole(pb.GrantRoleRequest(grant=g), metadata=md), DENIED
        )
    expect_error(
        lambda: stub.ListRoleGrants(pb.ListRoleGrantsRequest(parent="regions/320100"), metadata=md),
        DENIED,
    )
    expect_error(
        lambda: stub.GetUser(
            pb.GetUserRequest(name=f"users/{world.users['nj-doctor']}"), metadata=md
        ),
        DENIED,
    )


def test_county_admin_cannot_act_on_the_city_level_above(world: World) -> None:
    stub, md = world.running.stub, world.running.md("qs-admin")
    # Its own county works.
    stub.ListTenants(pb.ListTenantsRequest(parent="regions/320311"), metadata=md)
    stub.CreateTenant(pb.CreateTenantRequest(tenant=tenant_msg(region="320311")), metadata=md)
    # The city above, and a sibling county, do not.
    expect_error(
        lambda: stub.ListTenants(pb.ListTenantsRequest(parent="regions/320300"), metadata=md),
        DENIED,
    )
    expect_error(
        lambda: stub.CreateTenant(
            pb.CreateTenantRequest(tenant=tenant_msg(region="320300")), metadata=md
        ),
        DENIED,
    )
    expect_error(
        lambda: stub.GetTenant(
            pb.GetTenantRequest(name=f"tenants/{world.tenants['ts-th']}"), metadata=md
        ),
        DENIED,
    )
    expect_error(
        lambda: stub.CreateUser(
            pb.CreateUserRequest(
                user=user_pb2.User(
                    username="city-admin-2", display_name="x", kind=2, region_code="320300"
                ),
                password="Another-Passw0rd-1",
            ),
            metadata=md,
        ),
        DENIED,
    )
    expect_error(
        lambda: stub.GrantRole(
            pb.GrantRoleRequest(
                grant=user_pb2.RoleGrant(
                    subject=f"user:{world.users['qs-admin']}",
                    role="regional_admin",
                    region_code="320300",
                )
            ),
            metadata=md,
        ),
        DENIED,
    )


def test_missing_tenant_is_permission_denied_unless_caller_sees_the_whole_cell(
    world: World,
) -> None:
    stub = world.running.stub
    missing = "tenants/01a20000-0000-7000-8000-000000000000"
    expect_error(
        lambda: stub.GetTenant(
            pb.GetTenantRequest(name=missing), metadata=world.running.md("xz-admin")
        ),
        DENIED,
    )
    expect_error(
        lambda: stub.GetTenant(
            pb.GetTenantRequest(name=missing), metadata=world.running.md("js-admin")
        ),
        grpc.StatusCode.NOT_FOUND,
    )


def test_practitioner_reads_own_tenant_only(world: World) -> None:
    stub, md = world.running.stub, world.running.md("qs-doctor")
    own = stub.GetTenant(
        pb.GetTenantRequest(name=f"tenants/{world.tenants['qs-chc']}"), metadata=md
    )
    assert own.tenant_id == world.tenants["qs-chc"]
    expect_error(
        lambda: stub.GetTenant(
            pb.GetTenantRequest(name=f"tenants/{world.tenants['ts-th']}"), metadata=md
        ),
        DENIED,
    )
    expect_error(
        lambda: stub.ListTenants(pb.ListTenantsRequest(parent="regions/320311"), metadata=md),
        DENIED,
    )
    expect_error(
        lambda: stub.CreateTenant(pb.CreateTenantRequest(tenant=tenant_msg()), metadata=md), DENIED
    )


def test_list_is_paginated_and_filtered_by_type(world: World) -> None:
    stub, md = world.running.stub, world.running.md("xz-admin")
    for i in range(5):
        stub.CreateTenant(
            pb.CreateTenantRequest(
                tenant=tenant_msg(
                    f"村卫生室{i}", "320312", type=tenant_pb2.TENANT_TYPE_VILLAGE_CLINIC
                )
            ),
            metadata=md,
        )
    seen, token = [], ""
    while True:
        page = stub.ListTenants(
            pb.ListTenantsRequest(
                parent="regions/320300",
                type=tenant_pb2.TENANT_TYPE_VILLAGE_CLINIC,
                page_size=2,
                page_token=token,
            ),
            metadata=md,
        )
        assert len(page.tenants) <= 2
        seen += [t.tenant_id for t in page.tenants]
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == len(set(seen)) == 5
    # A token used with other filters is refused.
    first = stub.ListTenants(
        pb.ListTenantsRequest(parent="regions/320300", page_size=1), metadata=md
    )
    expect_error(
        lambda: stub.ListTenants(
            pb.ListTenantsRequest(
                parent="regions/320311", page_size=1, page_token=first.next_page_token
            ),
            metadata=md,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "PAGE_TOKEN_MISMATCH",
    )
