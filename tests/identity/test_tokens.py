"""Login, tokens, lockout, refresh rotation, key rotation and service accounts."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import grpc
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import user_pb2
from rhip.kit.authn import PrincipalKind
from support.cells import PASSWORD, World, tenant_msg
from support.errors import expect_error

UNAUTH = grpc.StatusCode.UNAUTHENTICATED


def _list(world: World, token: str):  # type: ignore[no-untyped-def]
    return world.running.stub.ListTenants(
        pb.ListTenantsRequest(parent="regions/320300"),
        metadata=[("authorization", f"Bearer {token}")],
    )


def test_no_token_malformed_token_expired_token_foreign_key(world: World) -> None:
    stub = world.running.stub
    expect_error(
        lambda: stub.ListTenants(pb.ListTenantsRequest(parent="regions/320300")),
        UNAUTH,
        "TOKEN_MISSING",
    )
    expect_error(lambda: _list(world, "not-a-jwt"), UNAUTH, "TOKEN_MALFORMED")
    expect_error(
        lambda: stub.ListTenants(
            pb.ListTenantsRequest(parent="regions/320300"),
            metadata=[("authorization", "Basic abc")],
        ),
        UNAUTH,
        "TOKEN_MALFORMED",
    )
    uc = world.running.usecases
    subject = f"user:{world.users['xz-admin']}"
    expired = uc.tokens.issue(
        subject, PrincipalKind.REGIONAL_ADMIN, "", "320300", datetime.now(UTC) - timedelta(hours=1)
    )
    expect_error(lambda: _list(world, expired.token), UNAUTH, "TOKEN_EXPIRED")
    # Same claims and the real key id, but signed by a key identity never issued.
    real = jwt.decode(world.running.login("xz-admin"), options={"verify_signature": False})
    kid = jwt.get_unverified_header(world.running.login("xz-admin"))["kid"]
    forged = jwt.encode(real, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid})
    expect_error(lambda: _list(world, forged), UNAUTH, "TOKEN_SIGNATURE")
    unknown = jwt.encode(
        real, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "nope"}
    )
    expect_error(lambda: _list(world, unknown), UNAUTH, "TOKEN_KEY_UNKNOWN")
    hs256 = jwt.encode(
        real, "a-shared-secret-of-32-bytes-long!!", algorithm="HS256", headers={"kid": kid}
    )
    expect_error(lambda: _list(world, hs256), UNAUTH, "TOKEN_ALGORITHM")


def test_wrong_password_does_not_reveal_whether_the_user_exists(world: World) -> None:
    stub = world.running.stub
    for username in ("xz-admin", "nobody-here"):
        error = expect_error(
            lambda u=username: stub.Login(
                pb.LoginRequest(
                    password=pb.PasswordCredentials(username=u, password="Wrong-Passw0rd-1")
                )
            ),
            UNAUTH,
            "INVALID_CREDENTIALS",
        )
        assert error.message == "wrong username or password"


def test_lockout_after_repeated_failures(world: World) -> None:
    stub = world.running.stub
    bad = pb.LoginRequest(
        password=pb.PasswordCredentials(username="qs-doctor", password="Wrong-Passw0rd-1")
    )
    limit = world.running.usecases.options.login_max_failures
    for _ in range(limit - 1):
        expect_error(lambda: stub.Login(bad), UNAUTH, "INVALID_CREDENTIALS")
    expect_error(lambda: stub.Login(bad), UNAUTH, "ACCOUNT_LOCKED")
    # Even the right password is refused while locked.
    expect_error(lambda: world.running.login("qs-doctor", PASSWORD), UNAUTH, "ACCOUNT_LOCKED")
    # A success before the limit resets the count.
    world.running.login("ts-doctor")
    for _ in range(limit - 1):
        expect_error(
            lambda: stub.Login(
                pb.LoginRequest(
                    password=pb.PasswordCredentials(
                        username="ts-doctor", password="Wrong-1-xxxxxxx"
                    )
                )
            ),
            UNAUTH,
            "INVALID_CREDENTIALS",
        )
    world.running.login("ts-doctor")
    expect_error(
        lambda: stub.Login(
            pb.LoginRequest(
                password=pb.PasswordCredentials(username="ts-doctor", password="Wrong-1-xxxxxxx")
            )
        ),
        UNAUTH,
        "INVALID_CREDENTIALS",
    )


def test_refresh_rotates_and_reuse_revokes_the_family(world: World) -> None:
    stub = world.running.stub
    first = stub.Login(
        pb.LoginRequest(password=pb.PasswordCredentials(username="xz-admin", password=PASSWORD))
    )
    assert first.refresh_token and first.principal.region_code == "320300"
    second = stub.RefreshAccessToken(
        pb.RefreshAccessTokenRequest(refresh_token=first.refresh_token)
    )
    assert second.refresh_token != first.refresh_token
    assert _list(world, second.access_token).tenants
    expect_error(
        lambda: stub.RefreshAccessToken(
            pb.RefreshAccessTokenRequest(refresh_token=first.refresh_token)
        ),
        UNAUTH,
        "REFRESH_TOKEN_REUSED",
    )
    # The reuse ended the family: the newer token is dead too.
    expect_error(
        lambda: stub.RefreshAccessToken(
            pb.RefreshAccessTokenRequest(refresh_token=second.refresh_token)
        ),
        UNAUTH,
        "REFRESH_TOKEN_INVALID",
    )


def test_key_rotation_keeps_old_tokens_valid_until_expiry(world: World) -> None:
    stub = world.running.stub
    old_token = world.running.login("xz-admin")
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    rotated = stub.RotateSigningKey(
        pb.RotateSigningKeyRequest(), metadata=world.running.md("js-admin")
    )
    assert rotated.kid != old_kid
    new_token = world.running.login("xz-admin")
    assert jwt.get_unverified_header(new_token)["kid"] == rotated.kid
    assert _list(world, old_token).tenants and _list(world, new_token).tenants
    kids = [k.kid for k in stub.GetJwks(pb.GetJwksRequest()).keys]
    assert kids[0] == rotated.kid and old_kid in kids
    # Only the cell's top administrator may rotate.
    expect_error(
        lambda: stub.RotateSigningKey(
            pb.RotateSigningKeyRequest(), metadata=world.running.md("xz-admin")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )


def test_service_account_logs_in_with_client_credentials(world: World) -> None:
    stub = world.running.stub
    account = stub.CreateServiceAccount(
        pb.CreateServiceAccountRequest(
            service_account=user_pb2.ServiceAccount(
                display_name="泉山HIS", tenant_id=world.tenants["qs-chc"]
            )
        ),
        metadata=world.running.md("xz-admin"),
    )
    assert account.client_secret and account.client_id.startswith("sa-")
    login = stub.Login(
        pb.LoginRequest(
            client=pb.ClientCredentials(
                client_id=account.client_id, client_secret=account.client_secret
            )
        )
    )
    assert login.refresh_token == "" and login.principal.tenant_id == world.tenants["qs-chc"]
    md = [("authorization", f"Bearer {login.access_token}")]
    assert stub.GetTenant(
        pb.GetTenantRequest(name=f"tenants/{world.tenants['qs-chc']}"), metadata=md
    ).tenant_id
    expect_error(
        lambda: stub.GetTenant(
            pb.GetTenantRequest(name=f"tenants/{world.tenants['ts-th']}"), metadata=md
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    expect_error(
        lambda: stub.Login(
            pb.LoginRequest(
                client=pb.ClientCredentials(client_id=account.client_id, client_secret="wrong")
            )
        ),
        UNAUTH,
        "INVALID_CREDENTIALS",
    )


def test_suspended_tenant_users_are_refused_within_a_second(world: World) -> None:
    stub = world.running.stub
    doctor_md = world.running.md("qs-doctor")
    name = f"tenants/{world.tenants['qs-chc']}"
    assert stub.GetTenant(pb.GetTenantRequest(name=name), metadata=doctor_md).tenant_id
    suspended = stub.SuspendTenant(
        pb.SuspendTenantRequest(name=name, reason="执业许可过期"),
        metadata=world.running.md("xz-admin"),
    )
    assert suspended.state == 2 and suspended.suspend_reason == "执业许可过期"
    start = time.monotonic()
    expect_error(
        lambda: stub.GetTenant(pb.GetTenantRequest(name=name), metadata=doctor_md),
        grpc.StatusCode.PERMISSION_DENIED,
        "SUBJECT_BLOCKED",
    )
    assert time.monotonic() - start < 1.0
    expect_error(
        lambda: world.running.login("qs-doctor"),
        grpc.StatusCode.PERMISSION_DENIED,
        "SUBJECT_BLOCKED",
    )
    # Another tenant's practitioner is unaffected.
    stub.GetTenant(
        pb.GetTenantRequest(name=f"tenants/{world.tenants['ts-th']}"),
        metadata=world.running.md("ts-doctor"),
    )
    stub.ReactivateTenant(
        pb.ReactivateTenantRequest(name=name), metadata=world.running.md("xz-admin")
    )
    assert stub.GetTenant(pb.GetTenantRequest(name=name), metadata=doctor_md).state == 1


def test_created_user_can_log_in_and_read_itself(world: World) -> None:
    stub = world.running.stub
    user = stub.CreateUser(
        pb.CreateUserRequest(
            user=user_pb2.User(
                username="new.doc", display_name="新医生", kind=1, tenant_id=world.tenants["ts-th"]
            ),
            password="Fresh-Passw0rd-9",
        ),
        metadata=world.running.md("xz-admin"),
    )
    token = world.running.login("new.doc", "Fresh-Passw0rd-9")
    me = stub.GetUser(
        pb.GetUserRequest(name=user.name), metadata=[("authorization", f"Bearer {token}")]
    )
    assert me.username == "new.doc" and me.region_code == "320312"
    expect_error(
        lambda: stub.CreateTenant(
            pb.CreateTenantRequest(tenant=tenant_msg()),
            metadata=[("authorization", f"Bearer {token}")],
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
