"""SignOut: the session (refresh-token family, the tokens' ``sid``) ends; its refresh tokens no
longer refresh and its access tokens are refused (TOKEN_REVOKED) by this process and by any
other one that follows the cell's policy (a service in a process of its own)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import grpc
import jwt
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.kit.authz import Authorizer, PolicyStore
from rhip.kit.db import Database
from support.cells import PASSWORD, World
from support.errors import expect_error

UNAUTH = grpc.StatusCode.UNAUTHENTICATED


def _login(world: World, username: str) -> pb.LoginResponse:
    return world.running.stub.Login(
        pb.LoginRequest(password=pb.PasswordCredentials(username=username, password=PASSWORD))
    )


def _list(world: World, token: str) -> pb.ListTenantsResponse:
    return world.running.stub.ListTenants(
        pb.ListTenantsRequest(parent="regions/320300"),
        metadata=[("authorization", f"Bearer {token}")],
    )


def _eventually(check: Callable[[], bool], what: str) -> None:
    """Wait for the policy watchers (they reload within a second; the bound is generous)."""
    deadline = time.monotonic() + 15
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _refused(world: World, token: str) -> bool:
    try:
        _list(world, token)
    except grpc.RpcError as error:
        assert error.code() == UNAUTH, error
        return True
    return False


def test_sign_out_revokes_the_session_everywhere(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    stub = world.running.stub
    # Another process following the same policy (a service running on its own).
    other_db = Database.connect(settings.database_url("identity"), pool_size=2)
    other = Authorizer(PolicyStore(other_db), poll_seconds=0.05)
    other.start()
    try:
        first = _login(world, "xz-admin")
        kept = _login(world, "xz-admin")  # a second session of the same user (another browser)
        sid = jwt.decode(first.access_token, options={"verify_signature": False})["sid"]
        assert (
            sid and sid != jwt.decode(kept.access_token, options={"verify_signature": False})["sid"]
        )
        # A refreshed token stays in its session.
        refreshed = stub.RefreshAccessToken(
            pb.RefreshAccessTokenRequest(refresh_token=first.refresh_token)
        )
        claims = jwt.decode(refreshed.access_token, options={"verify_signature": False})
        assert claims["sid"] == sid
        assert _list(world, first.access_token).tenants
        assert not other.is_revoked(sid)

        # Signing out with the older refresh token of the family ends the session too.
        ended = stub.SignOut(pb.SignOutRequest(refresh_token=first.refresh_token))
        assert ended.sign_out_time.seconds > 0

        _eventually(lambda: _refused(world, refreshed.access_token), "token still accepted")
        for token in (first.access_token, refreshed.access_token):
            expect_error(lambda t=token: _list(world, t), UNAUTH, "TOKEN_REVOKED")
        _eventually(lambda: other.is_revoked(sid), "the other process never saw the sign-out")
        expect_error(
            lambda: stub.RefreshAccessToken(
                pb.RefreshAccessTokenRequest(refresh_token=refreshed.refresh_token)
            ),
            UNAUTH,
            "REFRESH_TOKEN_INVALID",
        )
        # The user's other session is untouched.
        assert _list(world, kept.access_token).tenants
        assert not other.is_revoked(
            jwt.decode(kept.access_token, options={"verify_signature": False})["sid"]
        )
        # Signing out again is harmless and tells when the session ended.
        again = stub.SignOut(pb.SignOutRequest(refresh_token=refreshed.refresh_token))
        assert again.sign_out_time == ended.sign_out_time
    finally:
        other.stop()
        other_db.engine.dispose()


def test_sign_out_bad_input(world: World) -> None:
    stub = world.running.stub
    expect_error(
        lambda: stub.SignOut(pb.SignOutRequest()),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REFRESH_TOKEN_REQUIRED",
        "refresh_token",
    )
    expect_error(
        lambda: stub.SignOut(pb.SignOutRequest(refresh_token="never-issued")),
        UNAUTH,
        "REFRESH_TOKEN_INVALID",
    )


def test_revoked_sessions_are_kept_only_while_their_tokens_live(world: World) -> None:
    policy = world.running.usecases.policy
    now = datetime.now(UTC)
    with policy.db.transaction() as tx:
        policy.revoke_session(tx, "s-old", now - timedelta(hours=2), now - timedelta(hours=1))
    with policy.db.read() as conn:
        assert "s-old" not in policy.revoked_sessions(conn, now)  # its tokens have all expired
    with policy.db.transaction() as tx:
        policy.revoke_session(tx, "s-new", now, now + timedelta(minutes=15))
    with policy.db.read() as conn:
        assert policy.revoked_sessions(conn, now) == frozenset({"s-new"})
        # The next sign-out dropped the expired row.
        assert "s-old" not in policy.revoked_sessions(conn, now - timedelta(days=1))
