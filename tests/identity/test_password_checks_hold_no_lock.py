"""argon2 is slow by design (a fifth of a second with the production parameters), so no login
or password change may hold a lock while it runs: not the user's row on PostgreSQL, not
SQLite's one write lock, which every other write of the cell waits for. Each password is
checked against the hash stored when the call began and the outcome is written against the
row as it is then; a password changed in between is checked again.

The hasher below is argon2 itself, made to stop inside a check until the test lets it go, so
the test can act while a check is under way; everything else is the real cell."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal

import grpc
import pytest
from argon2 import PasswordHasher
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import user_pb2
from rhip.kit.errors import from_rpc_error
from support.cells import PASSWORD, World
from support.errors import expect_error

NEW = "Brand-New-Passw0rd-8"
TEMPORARY = "Temporary-Passw0rd-7"
WAIT = 20.0  # seconds: generous for a loaded machine; a held lock would wait for the gate


class HeldHasher(PasswordHasher):
    """argon2id whose next ``verify`` stops until ``release`` (then runs normally)."""

    def __init__(self, like: PasswordHasher) -> None:
        super().__init__(
            time_cost=like.time_cost, memory_cost=like.memory_cost, parallelism=like.parallelism
        )
        self.holding = True
        self.inside = threading.Event()
        self.released = threading.Event()

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        if self.holding:
            self.holding = False
            self.inside.set()
            assert self.released.wait(WAIT), "the test never released the check"
        return super().verify(hash, password)


@pytest.fixture
def held(world: World) -> HeldHasher:
    for username in ("xz-admin", "nj-admin", "nj-doctor"):  # their tokens, before the gate
        world.running.md(username)
    uc = world.running.usecases
    hasher = HeldHasher(uc.hasher)
    uc.hasher = hasher
    return hasher


def _while_held(
    held: HeldHasher, call: Callable[[], object], meanwhile: Callable[[], Any]
) -> tuple[Future[object], Any]:
    """Start ``call``; once it is inside its password check, run ``meanwhile`` to its end in
    another thread (it must not wait for the check), then let the check go; both results."""
    with ThreadPoolExecutor(2) as pool:
        first: Future[object] = pool.submit(call)
        assert held.inside.wait(WAIT), "the call never reached its password check"
        other = pool.submit(meanwhile)
        try:
            during = other.result(timeout=WAIT)  # a lock held over the check: times out here
            assert not held.released.is_set()
        finally:
            held.released.set()
        return first, during


def _login(world: World, username: str, password: str = PASSWORD) -> pb.LoginResponse:
    return world.running.stub.Login(
        pb.LoginRequest(password=pb.PasswordCredentials(username=username, password=password))
    )


def _user(world: World, username: str) -> str:
    return f"users/{world.users[username]}"


def test_a_login_being_checked_holds_nothing_and_its_outcome_sees_the_row_as_it_is_then(
    world: World, held: HeldHasher
) -> None:
    running = world.running
    admin = running.md("xz-admin")
    login, disabled = _while_held(
        held,
        lambda: _login(world, "qs-doctor"),
        lambda: running.stub.DisableUser(
            pb.DisableUserRequest(
                name=_user(world, "qs-doctor"), reason="离职", request_id=str(uuid.uuid4())
            ),
            metadata=admin,
        ),
    )
    assert disabled.state == user_pb2.USER_STATE_DISABLED
    # The password was right when checked; the account was disabled before the login was
    # recorded, and the login says so.
    expect_error(login.result, grpc.StatusCode.PERMISSION_DENIED, "SUBJECT_BLOCKED")


def test_a_password_reset_during_a_login_check_has_the_login_checked_again(
    world: World, held: HeldHasher
) -> None:
    running = world.running
    login, reset = _while_held(
        held,
        lambda: _login(world, "ts-doctor"),
        lambda: running.stub.ResetUserPassword(
            pb.ResetUserPasswordRequest(
                name=_user(world, "ts-doctor"), password=TEMPORARY, request_id=str(uuid.uuid4())
            ),
            metadata=running.md("xz-admin"),
        ),
    )
    assert reset.password_change_required
    # The old password matched the hash it was checked against, which is no longer stored.
    expect_error(login.result, grpc.StatusCode.UNAUTHENTICATED, "INVALID_CREDENTIALS")
    assert _login(world, "ts-doctor", TEMPORARY).password_change_required


def test_a_password_change_being_checked_lets_the_cell_write_on(
    world: World, held: HeldHasher
) -> None:
    running = world.running
    user = _user(world, "nj-doctor")
    own = running.md("nj-doctor")
    changed, unlocked = _while_held(
        held,
        lambda: running.stub.ChangePassword(
            pb.ChangePasswordRequest(
                name=user,
                current_password=PASSWORD,
                new_password=NEW,
                request_id=str(uuid.uuid4()),
            ),
            metadata=own,
        ),
        lambda: running.stub.UnlockUser(
            pb.UnlockUserRequest(name=user, request_id=str(uuid.uuid4())),
            metadata=running.md("nj-admin"),
        ),
    )
    assert unlocked.name == user and unlocked.state == user_pb2.USER_STATE_ACTIVE
    changed.result(timeout=WAIT)
    assert _login(world, "nj-doctor", NEW).access_token
    expect_error(
        lambda: _login(world, "nj-doctor"), grpc.StatusCode.UNAUTHENTICATED, "INVALID_CREDENTIALS"
    )


def test_wrong_passwords_sent_at_once_lock_the_account_after_exactly_the_limit(
    world: World,
) -> None:
    """Checked side by side, recorded one by one against the row as it is then: no failure
    is lost between two logins, so the limit holds however many guesses arrive together."""
    running = world.running
    limit = running.usecases.options.login_max_failures
    guesses = limit + 7

    def guess(n: int) -> str:
        try:
            _login(world, "qs-doctor", f"Wrong-Passw0rd-{n:02d}")
        except grpc.RpcError as error:
            return from_rpc_error(error).reason
        return "OK"

    with ThreadPoolExecutor(guesses) as pool:
        reasons = list(pool.map(guess, range(guesses)))
    assert reasons.count("INVALID_CREDENTIALS") == limit - 1, reasons
    assert reasons.count("ACCOUNT_LOCKED") == guesses - (limit - 1), reasons
    expect_error(
        lambda: _login(world, "qs-doctor"), grpc.StatusCode.UNAUTHENTICATED, "ACCOUNT_LOCKED"
    )
