"""Every tenant and user change lands in the hash-chained audit log; tampering is detected."""

from __future__ import annotations

import grpc
from google.protobuf.field_mask_pb2 import FieldMask
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import tenant_pb2, user_pb2
from rhip.kit.schema import audit_event
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from support.cells import World, tenant_msg
from support.errors import expect_error


def _events(world: World) -> list[tuple[str, str, str]]:
    with world.running.usecases.db.transaction() as session:
        rows = session.execute(
            select(audit_event.c.action, audit_event.c.target, audit_event.c.actor).order_by(
                audit_event.c.seq
            )
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _drop_append_only_guard(world: World) -> None:
    """What an intruder with database access would do first."""
    with world.running.usecases.db.transaction() as session:
        if session.dialect.name == "postgresql":
            session.execute(text("DROP TRIGGER audit_event_no_update ON audit_event"))
        else:
            session.execute(text("DROP TRIGGER audit_event_no_update"))
            session.execute(text("DROP TRIGGER audit_event_no_delete"))


def test_every_tenant_and_user_change_is_audited(world: World) -> None:
    stub, md = world.running.stub, world.running.md("xz-admin")
    admin = f"user:{world.users['xz-admin']}"
    tenant = stub.CreateTenant(pb.CreateTenantRequest(tenant=tenant_msg()), metadata=md)
    stub.UpdateTenant(
        pb.UpdateTenantRequest(
            tenant=tenant_pb2.Tenant(name=tenant.name, display_name="改名卫生院"),
            update_mask=FieldMask(paths=["display_name"]),
        ),
        metadata=md,
    )
    stub.SuspendTenant(pb.SuspendTenantRequest(name=tenant.name, reason="整改"), metadata=md)
    stub.ReactivateTenant(pb.ReactivateTenantRequest(name=tenant.name), metadata=md)
    user = stub.CreateUser(
        pb.CreateUserRequest(
            user=user_pb2.User(
                username="audited", display_name="x", kind=1, tenant_id=tenant.tenant_id
            ),
            password="Audit-Passw0rd-1",
        ),
        metadata=md,
    )
    grant = stub.GrantRole(
        pb.GrantRoleRequest(
            grant=user_pb2.RoleGrant(
                subject=f"user:{user.user_id}", role="auditor", region_code="320311"
            )
        ),
        metadata=md,
    )
    stub.RevokeRole(pb.RevokeRoleRequest(name=grant.name), metadata=md)
    mine = [(a, t) for a, t, actor in _events(world) if actor == admin]
    target = f"tenants/{tenant.tenant_id}"
    assert mine == [
        ("login", f"users/{world.users['xz-admin']}"),
        ("tenant.create", target),
        ("tenant.update", target),
        ("tenant.suspend", target),
        ("tenant.reactivate", target),
        ("user.create", user.name),
        ("role.grant", grant.name),
        ("role.revoke", grant.name),
    ]
    report = stub.VerifyAuditChain(
        pb.VerifyAuditChainRequest(), metadata=world.running.md("js-auditor")
    )
    assert report.intact and report.rows_checked == len(_events(world))


def test_audit_log_is_append_only(world: World) -> None:
    with world.running.usecases.db.engine.connect() as conn:
        for statement in ("UPDATE audit_event SET outcome = 'OK'", "DELETE FROM audit_event"):
            try:
                conn.execute(text(statement))
                raise AssertionError(f"{statement} was allowed")
            except DBAPIError as error:
                assert "append-only" in str(error)
                conn.rollback()


def test_changed_row_is_detected(world: World) -> None:
    _drop_append_only_guard(world)
    with world.running.usecases.db.transaction() as session:
        session.execute(text("UPDATE audit_event SET outcome = 'DENIED' WHERE seq = 3"))
    report = world.running.stub.VerifyAuditChain(
        pb.VerifyAuditChainRequest(), metadata=world.running.md("js-auditor")
    )
    assert not report.intact and report.problem == "ROW_CHANGED" and report.first_broken_seq == 3


def test_deleted_rows_are_detected(world: World) -> None:
    _drop_append_only_guard(world)
    with world.running.usecases.db.transaction() as session:
        session.execute(text("DELETE FROM audit_event WHERE seq = 2"))
    report = world.running.stub.VerifyAuditChain(
        pb.VerifyAuditChainRequest(), metadata=world.running.md("js-auditor")
    )
    assert not report.intact and report.problem == "ROW_MISSING" and report.first_broken_seq == 2


def test_truncated_tail_is_detected(world: World) -> None:
    uc = world.running.usecases
    _drop_append_only_guard(world)
    with uc.db.transaction() as session:
        last = session.execute(text("SELECT max(seq) FROM audit_event")).scalar_one()
        session.execute(text(f"DELETE FROM audit_event WHERE seq = {last}"))
    # The auditor's own login appends rows, so check with the use case's verifier directly.
    from rhip.kit import audit

    with uc.db.transaction() as session:
        report = audit.verify(session)
    assert not report.intact and report.problem == "HEAD_MISMATCH"


def test_only_cell_wide_roles_verify_the_chain(world: World) -> None:
    expect_error(
        lambda: world.running.stub.VerifyAuditChain(
            pb.VerifyAuditChainRequest(), metadata=world.running.md("xz-admin")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
