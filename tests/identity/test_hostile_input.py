"""Input that was accepted and stored though wrong (issue 12, item 6), and other hostile
input of the identity service: each is INVALID_ARGUMENT naming the field and reason, and
leaves nothing stored."""

from __future__ import annotations

import grpc
from google.protobuf.field_mask_pb2 import FieldMask
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import tenant_pb2, user_pb2
from rhip.identity.directory.store import ServiceAccountRow, TenantRow, UserRow
from rhip.identity.residents.store import ResidentRow
from sqlalchemy import func, select
from support.cells import World, tenant_msg
from support.errors import expect_error
from support.residents import XUZHOU_MAN, register_request
from support.residents import stub as resident_stub

INVALID = grpc.StatusCode.INVALID_ARGUMENT
ROWS = (TenantRow, UserRow, ServiceAccountRow, ResidentRow)


def _counts(world: World) -> dict[str, int]:
    with world.running.usecases.db.transaction() as session:
        return {
            row.__tablename__: session.execute(select(func.count()).select_from(row)).scalar_one()
            for row in ROWS
        }


def test_unknown_enum_values_are_refused_not_dropped(world: World) -> None:
    stub, md = world.running.stub, world.running.md("xz-admin")
    before = _counts(world)
    for tenant, field in (
        (tenant_msg(level=999), "tenant.level"),
        (tenant_msg(type=77), "tenant.type"),
    ):
        expect_error(
            lambda t=tenant: stub.CreateTenant(pb.CreateTenantRequest(tenant=t), metadata=md),
            INVALID, "ENUM_UNKNOWN", field,
        )  # fmt: skip
    expect_error(
        lambda: stub.CreateUser(
            pb.CreateUserRequest(
                user=user_pb2.User(username="odd.kind", display_name="x", kind=42,
                                   region_code="320300"),
                password="Good-Passw0rd-123",
            ),
            metadata=md,
        ),
        INVALID, "ENUM_UNKNOWN", "user.kind",
    )  # fmt: skip
    assert _counts(world) == before


def test_names_with_control_characters_are_refused(world: World) -> None:
    stub, md = world.running.stub, world.running.md("xz-admin")
    before = _counts(world)
    for name in ("泉山\x00卫生院", "泉山\n卫生院", "泉山\u0085卫生院", "\x1b[31m卫生院"):
        expect_error(
            lambda n=name: stub.CreateTenant(
                pb.CreateTenantRequest(tenant=tenant_msg(name=n)), metadata=md
            ),
            INVALID, "CONTROL_CHARACTER", "tenant.display_name",
        )  # fmt: skip
    expect_error(
        lambda: stub.CreateUser(
            pb.CreateUserRequest(
                user=user_pb2.User(username="ctl.user", display_name="张\x07三", kind=2,
                                   region_code="320300"),
                password="Good-Passw0rd-123",
            ),
            metadata=md,
        ),
        INVALID, "CONTROL_CHARACTER", "user.display_name",
    )  # fmt: skip
    qs = world.running.md("qs-doctor")
    expect_error(
        lambda: stub.CreateServiceAccount(
            pb.CreateServiceAccountRequest(
                service_account=user_pb2.ServiceAccount(
                    display_name="HIS\r\n接口", tenant_id=world.tenants["qs-chc"]
                )
            ),
            metadata=world.running.md("qs-admin"),
        ),
        INVALID, "CONTROL_CHARACTER", "service_account.display_name",
    )  # fmt: skip
    residents = resident_stub(world.running.channel)
    expect_error(
        lambda: residents.RegisterResident(
            register_request(XUZHOU_MAN, address="泉山区\x00湖北路"), metadata=qs
        ),
        INVALID, "CONTROL_CHARACTER", "resident.address",
    )  # fmt: skip
    assert _counts(world) == before


def test_dates_are_strict(world: World) -> None:
    residents = resident_stub(world.running.channel)
    qs = world.running.md("qs-doctor")
    before = _counts(world)
    for text, reason in (
        ("1985-W49-6", "DATE_FORMAT"),
        ("19851207", "DATE_FORMAT"),
        ("1799-12-07", "DATE_OUT_OF_RANGE"),
    ):
        expect_error(
            lambda t=text: residents.RegisterResident(
                register_request(XUZHOU_MAN, birth_date=t), metadata=qs
            ),
            INVALID, reason, "resident.birth_date",
        )  # fmt: skip
    assert _counts(world) == before


def test_a_huge_update_mask_is_one_violation(world: World) -> None:
    stub, md = world.running.stub, world.running.md("xz-admin")
    name = f"tenants/{world.tenants['qs-chc']}"
    error = expect_error(
        lambda: stub.UpdateTenant(
            pb.UpdateTenantRequest(
                tenant=tenant_pb2.Tenant(name=name, display_name="改名"),
                update_mask=FieldMask(paths=["x" * 100] * 10_000),
            ),
            metadata=md,
        ),
        INVALID, "TOO_MANY_ITEMS", "update_mask.paths",
    )  # fmt: skip
    assert len(error.violations) <= 51
    tenant = stub.GetTenant(pb.GetTenantRequest(name=name), metadata=md)
    assert tenant.display_name != "改名"


def test_a_long_or_odd_request_id_is_not_adopted(world: World) -> None:
    stub = world.running.stub
    for incoming in ("r" * 5000, "id with spaces", "a/b"):
        _, call = stub.GetJwks.with_call(pb.GetJwksRequest(), metadata=[("x-request-id", incoming)])
        echoed = dict(call.trailing_metadata())["x-request-id"]
        assert echoed != incoming and len(echoed) == 32
    _, call = stub.GetJwks.with_call(pb.GetJwksRequest(), metadata=[("x-request-id", "his-7:a.b")])
    assert dict(call.trailing_metadata())["x-request-id"] == "his-7:a.b"
