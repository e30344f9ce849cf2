"""Account administration (issue 12, Accounts): an administrator unlocks, disables, re-enables
a user of their subtree and resets a password (the user must change it before anything else);
outside the subtree every one of these is PERMISSION_DENIED; each change is audited, never
with a password."""

from __future__ import annotations

import uuid

import grpc
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import user_pb2
from rhip.gateway.guard import Guard
from rhip.kit.authn import Principal, PrincipalKind
from rhip.kit.schema import audit_event
from sqlalchemy import select
from support.cells import PASSWORD, RunningCell, World
from support.errors import expect_error

DENIED = grpc.StatusCode.PERMISSION_DENIED
INVALID = grpc.StatusCode.INVALID_ARGUMENT
TEMPORARY = "Temporary-Passw0rd-7"
NEW = "Brand-New-Passw0rd-8"


def _login(running: RunningCell, username: str, password: str = PASSWORD) -> pb.LoginResponse:
    return running.stub.Login(
        pb.LoginRequest(password=pb.PasswordCredentials(username=username, password=password))
    )


def _bearer(login: pb.LoginResponse) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {login.access_token}")]


def _name(world: World, username: str) -> str:
    return f"users/{world.users[username]}"


def _audit(world: World, action: str) -> list[tuple[str, str, str, str]]:
    with world.running.usecases.db.read() as conn:
        rows = conn.execute(
            select(
                audit_event.c.action,
                audit_event.c.target,
                audit_event.c.actor,
                audit_event.c.detail,
            )
            .where(audit_event.c.action == action)
            .order_by(audit_event.c.seq)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _all_audit_text(world: World) -> str:
    with world.running.usecases.db.read() as conn:
        rows = conn.execute(select(audit_event)).all()
    return "\n".join(str(tuple(r)) for r in rows)


def _lock(running: RunningCell, username: str) -> None:
    for _ in range(running.usecases.options.login_max_failures):
        expect_error(
            lambda: _login(running, username, "Wrong-Passw0rd-00"), grpc.StatusCode.UNAUTHENTICATED
        )


def test_county_admin_unlocks_a_locked_practitioner_of_its_county(world: World) -> None:
    running = world.running
    _lock(running, "qs-doctor")
    expect_error(
        lambda: _login(running, "qs-doctor"), grpc.StatusCode.UNAUTHENTICATED, "ACCOUNT_LOCKED"
    )
    md = running.md("qs-admin")
    user = running.stub.GetUser(pb.GetUserRequest(name=_name(world, "qs-doctor")), metadata=md)
    assert user.state == user_pb2.USER_STATE_LOCKED
    unlocked = running.stub.UnlockUser(
        pb.UnlockUserRequest(name=_name(world, "qs-doctor"), request_id=str(uuid.uuid4())),
        metadata=md,
    )
    assert unlocked.state == user_pb2.USER_STATE_ACTIVE
    assert not unlocked.HasField("locked_until")
    assert _login(running, "qs-doctor").access_token
    events = _audit(world, "user.unlock")
    assert [(e[1], e[2]) for e in events] == [
        (_name(world, "qs-doctor"), f"user:{world.users['qs-admin']}")
    ]
    # Unlocking an account that is not locked changes nothing and records nothing.
    running.stub.UnlockUser(pb.UnlockUserRequest(name=_name(world, "qs-doctor")), metadata=md)
    assert len(_audit(world, "user.unlock")) == 1


def test_every_account_method_is_denied_outside_the_subtree(world: World) -> None:
    running, stub = world.running, world.running.stub
    md = running.md("qs-admin")  # county 320311
    # A sibling county's practitioner, the city administrator above, another city's user.
    for target in ("ts-doctor", "xz-admin", "nj-doctor", "nj-admin"):
        name = _name(world, target)
        for call in (
            lambda n=name: stub.UnlockUser(pb.UnlockUserRequest(name=n), metadata=md),
            lambda n=name: stub.DisableUser(
                pb.DisableUserRequest(name=n, reason="离职"), metadata=md
            ),
            lambda n=name: stub.EnableUser(pb.EnableUserRequest(name=n), metadata=md),
            lambda n=name: stub.ResetUserPassword(
                pb.ResetUserPasswordRequest(name=n, password=TEMPORARY), metadata=md
            ),
        ):
            expect_error(call, DENIED)
    # Permission before existence: a missing user is denied to the county, NOT_FOUND only to
    # the province administrator, who could act anywhere in the cell.
    missing = "users/01a20000-0000-7000-8000-000000000000"
    expect_error(lambda: stub.DisableUser(pb.DisableUserRequest(name=missing), metadata=md), DENIED)
    expect_error(
        lambda: stub.DisableUser(
            pb.DisableUserRequest(name=missing, reason="x"), metadata=running.md("js-admin")
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    # Neither a practitioner nor an auditor administers accounts, even in their own tenant.
    for caller in ("qs-doctor", "js-auditor"):
        expect_error(
            lambda c=caller: stub.DisableUser(
                pb.DisableUserRequest(name=_name(world, "qs-doctor"), reason="x"),
                metadata=running.md(c),
            ),
            DENIED,
        )
    # Nothing changed: every target still logs in with its password.
    for target in ("ts-doctor", "xz-admin", "nj-doctor", "nj-admin"):
        assert not _login(running, target).password_change_required
    assert _audit(world, "user.disable") == [] and _audit(world, "user.password_reset") == []


def test_disabled_user_is_refused_everywhere_until_enabled(world: World) -> None:
    running, stub = world.running, world.running.stub
    session = _login(running, "qs-doctor")
    token = _bearer(session)
    tenant = f"tenants/{world.tenants['qs-chc']}"
    archives = archives_service_pb2_grpc.ArchivesServiceStub(running.channel)
    stub.GetTenant(pb.GetTenantRequest(name=tenant), metadata=token)
    admin = running.md("xz-admin")
    disabled = stub.DisableUser(
        pb.DisableUserRequest(
            name=_name(world, "qs-doctor"), reason="离职", request_id=str(uuid.uuid4())
        ),
        metadata=admin,
    )
    assert disabled.state == user_pb2.USER_STATE_DISABLED and disabled.disable_reason == "离职"
    # The token issued before is refused at once, by identity and by archives.
    expect_error(
        lambda: stub.GetTenant(pb.GetTenantRequest(name=tenant), metadata=token),
        DENIED,
        "SUBJECT_BLOCKED",
    )
    expect_error(
        lambda: archives.ListHealthRecords(
            apb.ListHealthRecordsRequest(parent=tenant), metadata=token
        ),
        DENIED,
        "SUBJECT_BLOCKED",
    )
    # No login (the wrong password still gets the generic answer), no refresh.
    expect_error(lambda: _login(running, "qs-doctor"), DENIED, "SUBJECT_BLOCKED")
    expect_error(
        lambda: _login(running, "qs-doctor", "Wrong-Passw0rd-00"),
        grpc.StatusCode.UNAUTHENTICATED,
        "INVALID_CREDENTIALS",
    )
    expect_error(
        lambda: stub.RefreshAccessToken(
            pb.RefreshAccessTokenRequest(refresh_token=session.refresh_token)
        ),
        grpc.StatusCode.UNAUTHENTICATED,
        "REFRESH_TOKEN_INVALID",
    )
    enabled = stub.EnableUser(pb.EnableUserRequest(name=_name(world, "qs-doctor")), metadata=admin)
    assert enabled.state == user_pb2.USER_STATE_ACTIVE and enabled.disable_reason == ""
    fresh = _login(running, "qs-doctor")
    stub.GetTenant(pb.GetTenantRequest(name=tenant), metadata=_bearer(fresh))
    # Sessions from before the disabling stay ended.
    expect_error(
        lambda: stub.RefreshAccessToken(
            pb.RefreshAccessTokenRequest(refresh_token=session.refresh_token)
        ),
        grpc.StatusCode.UNAUTHENTICATED,
        "REFRESH_TOKEN_INVALID",
    )
    disable_events = _audit(world, "user.disable")
    assert len(disable_events) == 1 and "离职" in str(disable_events[0][3])
    assert len(_audit(world, "user.enable")) == 1


def test_bad_input_is_invalid_argument_with_reasons(world: World) -> None:
    stub, md = world.running.stub, world.running.md("xz-admin")
    name = _name(world, "qs-doctor")
    expect_error(
        lambda: stub.DisableUser(pb.DisableUserRequest(name=name), metadata=md),
        INVALID,
        "REASON_REQUIRED",
        "reason",
    )
    expect_error(
        lambda: stub.DisableUser(pb.DisableUserRequest(name=name, reason="x" * 501), metadata=md),
        INVALID,
        "REASON_TOO_LONG",
        "reason",
    )
    expect_error(
        lambda: stub.UnlockUser(pb.UnlockUserRequest(name=name, request_id="nope"), metadata=md),
        INVALID,
        "REQUEST_ID_FORMAT",
        "request_id",
    )
    expect_error(
        lambda: stub.EnableUser(pb.EnableUserRequest(name="tenants/x"), metadata=md),
        INVALID,
        "RESOURCE_NAME",
        "name",
    )
    error = expect_error(
        lambda: stub.ResetUserPassword(
            pb.ResetUserPasswordRequest(name=name, password="short"), metadata=md
        ),
        INVALID,
        "PASSWORD_WEAK",
        "password",
    )
    assert "short" not in error.message
    # An administrator does not disable or reset their own account.
    own = _name(world, "xz-admin")
    expect_error(
        lambda: stub.DisableUser(pb.DisableUserRequest(name=own, reason="x"), metadata=md),
        grpc.StatusCode.FAILED_PRECONDITION,
        "OWN_ACCOUNT",
    )
    expect_error(
        lambda: stub.ResetUserPassword(
            pb.ResetUserPasswordRequest(name=own, password=TEMPORARY), metadata=md
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "OWN_ACCOUNT",
    )
    # Nothing was written by any refused call.
    assert not _login(world.running, "qs-doctor").password_change_required
    assert _audit(world, "user.disable") == [] and _audit(world, "user.password_reset") == []


def test_reset_password_must_be_changed_before_anything_else(world: World) -> None:
    running, stub = world.running, world.running.stub
    tenant = f"tenants/{world.tenants['ts-th']}"
    before = _bearer(_login(running, "ts-doctor"))
    reset_id = str(uuid.uuid4())
    reset = stub.ResetUserPassword(
        pb.ResetUserPasswordRequest(
            name=_name(world, "ts-doctor"), password=TEMPORARY, request_id=reset_id
        ),
        metadata=running.md("xz-admin"),
    )
    assert reset.password_change_required
    # A token from before the reset allows nothing but ChangePassword, in every service.
    expect_error(
        lambda: stub.GetTenant(pb.GetTenantRequest(name=tenant), metadata=before),
        DENIED,
        "PASSWORD_CHANGE_REQUIRED",
    )
    expect_error(
        lambda: archives_service_pb2_grpc.ArchivesServiceStub(running.channel).ListHealthRecords(
            apb.ListHealthRecordsRequest(parent=tenant), metadata=before
        ),
        DENIED,
        "PASSWORD_CHANGE_REQUIRED",
    )
    # The old password is gone; the temporary one logs in and says a change is required.
    expect_error(
        lambda: _login(running, "ts-doctor"), grpc.StatusCode.UNAUTHENTICATED, "INVALID_CREDENTIALS"
    )
    login = _login(running, "ts-doctor", TEMPORARY)
    assert login.password_change_required and login.refresh_token == ""
    md = _bearer(login)
    expect_error(
        lambda: stub.GetUser(pb.GetUserRequest(name=_name(world, "ts-doctor")), metadata=md),
        DENIED,
        "PASSWORD_CHANGE_REQUIRED",
    )

    def change(current: str, new: str, name: str = "", request_id: str = ""):  # type: ignore[no-untyped-def]
        return stub.ChangePassword(
            pb.ChangePasswordRequest(
                name=name or _name(world, "ts-doctor"),
                current_password=current,
                new_password=new,
                request_id=request_id,
            ),
            metadata=md,
        )

    expect_error(lambda: change("Wrong-Passw0rd-00", NEW), INVALID, "CURRENT_PASSWORD_WRONG")
    expect_error(lambda: change(TEMPORARY, TEMPORARY), INVALID, "PASSWORD_REUSED", "new_password")
    expect_error(lambda: change(TEMPORARY, "weak"), INVALID, "PASSWORD_WEAK", "new_password")
    expect_error(lambda: change("", NEW), INVALID, "CURRENT_PASSWORD_REQUIRED", "current_password")
    expect_error(
        lambda: change(TEMPORARY, NEW, name=_name(world, "qs-doctor")), DENIED, "NOT_OWN_ACCOUNT"
    )
    change_id = str(uuid.uuid4())
    changed = change(TEMPORARY, NEW, request_id=change_id)
    assert not changed.password_change_required
    # The same token now works for everything the user may do; a retry changes nothing.
    stub.GetTenant(pb.GetTenantRequest(name=tenant), metadata=md)
    assert not change(TEMPORARY, NEW, request_id=change_id).password_change_required
    after = _login(running, "ts-doctor", NEW)
    assert not after.password_change_required and after.refresh_token
    # The administrator's retry of the reset does not reset the changed password again.
    stub.ResetUserPassword(
        pb.ResetUserPasswordRequest(
            name=_name(world, "ts-doctor"), password=TEMPORARY, request_id=reset_id
        ),
        metadata=running.md("xz-admin"),
    )
    assert not _login(running, "ts-doctor", NEW).password_change_required
    # Audited once each (the refused change too), and no password anywhere in the log.
    assert len(_audit(world, "user.password_reset")) == 1
    changes = _audit(world, "user.password_change")
    assert [("DENIED" in str(e[3])) for e in changes] == [True, False]
    text = _all_audit_text(world)
    assert not any(p in text for p in (TEMPORARY, NEW, PASSWORD, "Wrong-Passw0rd-00"))


def test_every_kind_of_user_changes_their_own_password_through_the_guard(world: World) -> None:
    running = world.running
    login = _login(running, "js-auditor")
    changed = running.stub.ChangePassword(
        pb.ChangePasswordRequest(
            name=_name(world, "js-auditor"), current_password=PASSWORD, new_password=NEW
        ),
        metadata=_bearer(login),
    )
    assert changed.username == "js-auditor"
    assert _login(running, "js-auditor", NEW).access_token
    # The gateway's coarse guard lets an auditor change their password and nothing else.
    guard = Guard()
    auditor = Principal("user:a", PrincipalKind.AUDITOR, "", "320000")
    service = "/rhip.api.identity.v1.IdentityService/"
    assert guard.allows(auditor, "320000", service + "ChangePassword")
    assert not guard.allows(auditor, "320000", service + "DisableUser")
    assert not guard.allows(auditor, "320000", service + "ResetUserPassword")


def test_wrong_current_passwords_count_towards_the_lockout(world: World) -> None:
    running = world.running
    md = _bearer(_login(running, "nj-doctor"))
    for _ in range(running.usecases.options.login_max_failures):
        expect_error(
            lambda: running.stub.ChangePassword(
                pb.ChangePasswordRequest(
                    name=_name(world, "nj-doctor"),
                    current_password="Wrong-Passw0rd-00",
                    new_password=NEW,
                ),
                metadata=md,
            ),
            INVALID,
            "CURRENT_PASSWORD_WRONG",
        )
    expect_error(
        lambda: _login(running, "nj-doctor"), grpc.StatusCode.UNAUTHENTICATED, "ACCOUNT_LOCKED"
    )
