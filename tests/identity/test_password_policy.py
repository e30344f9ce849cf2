"""The password policy is configuration (``RHIP_PASSWORD_*``): minimum length, character
classes, the recent passwords a change may not reuse; the defaults are the rule from before
(at least 12 characters with letters and digits, only the current password refused)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from conftest import make_settings
from rhip.api.common.v1 import common_pb2
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import user_pb2
from rhip.identity.passwords import PasswordPolicy
from rhip.identity.settings import load_identity_settings
from rhip.kit.config import ConfigError
from rhip.kit.errors import InvalidArgument
from support.cells import PASSWORD, RunningCell, World, build_world, start_cell
from support.errors import expect_error

STRICT = {
    "RHIP_PASSWORD_MIN_LENGTH": "16",
    "RHIP_PASSWORD_CHARACTER_CLASSES": "lower,upper,digit,symbol",
    "RHIP_PASSWORD_HISTORY": "3",
}


def test_defaults_are_the_rule_from_before() -> None:
    settings = load_identity_settings({})
    policy = PasswordPolicy.from_settings(settings)
    assert policy == PasswordPolicy(12, ("letter", "digit"), 0)
    policy.validate("abcdefghijk1", "password")  # 12, letters and digits: enough
    for weak in ("abcdefghij1", "abcdefghijkl", "123456789012"):
        with pytest.raises(InvalidArgument) as caught:
            policy.validate(weak, "password")
        assert caught.value.reason == "PASSWORD_WEAK"


def test_settings_are_checked_when_loaded() -> None:
    strict = load_identity_settings(STRICT)
    assert (strict.password_min_length, strict.password_history) == (16, 3)
    assert strict.password_character_classes == ("lower", "upper", "digit", "symbol")
    for name, value in (
        ("RHIP_PASSWORD_MIN_LENGTH", "7"),
        ("RHIP_PASSWORD_MIN_LENGTH", "twelve"),
        ("RHIP_PASSWORD_CHARACTER_CLASSES", "letter,emoji"),
        ("RHIP_PASSWORD_CHARACTER_CLASSES", " , "),
        ("RHIP_PASSWORD_HISTORY", "25"),
        ("RHIP_PASSWORD_HISTORY", "-1"),
    ):
        with pytest.raises(ConfigError, match=name):
            load_identity_settings({name: value})


def test_every_violation_is_named() -> None:
    policy = PasswordPolicy.from_settings(load_identity_settings(STRICT))
    with pytest.raises(InvalidArgument) as caught:
        policy.validate("abc", "new_password")
    descriptions = [v.description for v in caught.value.violations]
    assert {v.field for v in caught.value.violations} == {"new_password"}
    assert descriptions[0] == "must be at least 16 characters"
    assert "an upper-case letter" in descriptions[1] and "a symbol" in descriptions[1]
    with pytest.raises(InvalidArgument):
        policy.validate("Aa1-" * 65, "password")  # 260 characters: beyond any sane password


@pytest.fixture
def strict(tmp_path: Path, database_url: str) -> Iterator[World]:
    running: RunningCell = start_cell(make_settings(tmp_path, database_url, **STRICT))
    try:
        yield build_world(running)  # the world's password meets the strict policy too
    finally:
        running.channel.close()
        running.cell.stop(0)


def test_configured_policy_is_applied_to_new_reset_and_changed_passwords(strict: World) -> None:
    running, stub = strict.running, strict.running.stub
    admin = running.md("xz-admin")
    expect_error(
        lambda: stub.CreateUser(
            pb.CreateUserRequest(
                user=user_pb2.User(
                    username="weakling",
                    display_name="x",
                    kind=common_pb2.PRINCIPAL_KIND_PRACTITIONER,
                    tenant_id=strict.tenants["qs-chc"],
                ),
                password="Test-Passw0rd-1",  # 15 characters: enough by default, not here
            ),
            metadata=admin,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "PASSWORD_WEAK",
        "password",
    )
    name = f"users/{strict.users['qs-doctor']}"
    expect_error(
        lambda: stub.ResetUserPassword(
            pb.ResetUserPasswordRequest(name=name, password="abcdefgh12345678"), metadata=admin
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "PASSWORD_WEAK",
        "password",
    )
    login = stub.Login(
        pb.LoginRequest(password=pb.PasswordCredentials(username="qs-doctor", password=PASSWORD))
    )
    md = [("authorization", f"Bearer {login.access_token}")]
    current = PASSWORD

    def change(new: str) -> None:
        nonlocal current
        stub.ChangePassword(
            pb.ChangePasswordRequest(name=name, current_password=current, new_password=new),
            metadata=md,
        )
        current = new

    # History 3: the current password and the two before it are refused, older ones not.
    change("Second-Passw0rd-22")
    change("Third-Passw0rd-333")
    for reused in (PASSWORD, "Second-Passw0rd-22", "Third-Passw0rd-333"):
        expect_error(
            lambda r=reused: change(r),
            grpc.StatusCode.INVALID_ARGUMENT,
            "PASSWORD_REUSED",
            "new_password",
        )
    change("Fourth-Passw0rd-4444")
    change(PASSWORD)  # three changes ago: allowed again
    assert stub.Login(
        pb.LoginRequest(password=pb.PasswordCredentials(username="qs-doctor", password=PASSWORD))
    ).access_token
