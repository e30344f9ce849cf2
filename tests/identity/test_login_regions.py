"""A login aimed at the wrong region (``x-rhip-region``) says so only when that leaks nothing:
once the password verified, the answer names the account's region; an unknown username, a
wrong password, or a user of another cell (unknown in the cell the call reached, which cannot
check that password) get the very answer a made-up username gets."""

from __future__ import annotations

import grpc
from archives.two_cells import TIMEOUT, TwoCells, two_cells  # noqa: F401  (the fixture)
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.demo import DEMO_PASSWORD
from rhip.kit.errors import RhipError
from rhip.kit.schema import audit_event
from sqlalchemy import select
from support.cells import PASSWORD, World
from support.errors import expect_error

UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED


def _login(stub, username: str, password: str, region: str):  # type: ignore[no-untyped-def]
    return stub.Login(
        pb.LoginRequest(password=pb.PasswordCredentials(username=username, password=password)),
        metadata=[("x-rhip-region", region)] if region else [],
        timeout=TIMEOUT,
    )


def _shape(error: RhipError) -> tuple[object, ...]:
    return (type(error), error.message, error.reason, error.metadata, error.violations)


def test_a_verified_password_learns_the_right_region_within_the_cell(world: World) -> None:
    stub = world.running.stub
    # The account's own region, the city and the province above it: logged in.
    for region in ("320311", "320300", "320000", ""):
        assert _login(stub, "qs-doctor", PASSWORD, region).principal.region_code == "320311"
    # Nanjing (same cell, another city): the password verified, so the answer may say where.
    error = expect_error(
        lambda: _login(stub, "qs-doctor", PASSWORD, "320100"),
        grpc.StatusCode.FAILED_PRECONDITION,
        "WRONG_REGION",
    )
    assert error.metadata["region"] == "320311" and "320311" in error.message
    # A county below another county's city: also another region.
    expect_error(
        lambda: _login(stub, "xz-admin", PASSWORD, "320106"),
        grpc.StatusCode.FAILED_PRECONDITION,
        "WRONG_REGION",
    )
    with world.running.usecases.db.read() as conn:
        outcomes = conn.execute(
            select(audit_event.c.outcome).where(
                audit_event.c.action == "login",
                audit_event.c.target == f"users/{world.users['qs-doctor']}",
            )
        ).scalars()
        assert "WRONG_REGION" in list(outcomes)


def test_without_the_password_a_wrong_region_is_just_a_wrong_login(world: World) -> None:
    stub = world.running.stub
    unknown = expect_error(
        lambda: _login(stub, "nobody-here", PASSWORD, "320100"),
        UNAUTHENTICATED,
        "INVALID_CREDENTIALS",
    )
    wrong_password = expect_error(
        lambda: _login(stub, "qs-doctor", "Wrong-Passw0rd-00", "320100"),
        UNAUTHENTICATED,
        "INVALID_CREDENTIALS",
    )
    assert _shape(wrong_password) == _shape(unknown) and not unknown.metadata
    expect_error(
        lambda: _login(stub, "qs-doctor", PASSWORD, "32010"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REGION_CODE_FORMAT",
        "x-rhip-region",
    )


def test_a_user_of_another_cell_gets_the_generic_answer_through_the_gateway(
    two_cells: TwoCells,  # noqa: F811
) -> None:
    stub = identity_service_pb2_grpc.IdentityServiceStub(two_cells.channel)
    # Zaozhuang's administrator aimed at Xuzhou reaches the Jiangsu cell, which has no such
    # user and cannot check the password: exactly what a made-up username gets.
    other_cell = expect_error(
        lambda: _login(stub, "zz-admin", DEMO_PASSWORD, "320300"),
        UNAUTHENTICATED,
        "INVALID_CREDENTIALS",
    )
    made_up = expect_error(
        lambda: _login(stub, "zz-nobody", DEMO_PASSWORD, "320300"),
        UNAUTHENTICATED,
        "INVALID_CREDENTIALS",
    )
    assert _shape(other_cell) == _shape(made_up)
    assert _login(stub, "zz-admin", DEMO_PASSWORD, "370400").principal.region_code == "370400"
    # Within its own cell the verified password learns the right region through the gateway.
    home = _login(stub, "xz-doctor-1", DEMO_PASSWORD, "320300").principal.region_code
    error = expect_error(
        lambda: _login(stub, "xz-doctor-1", DEMO_PASSWORD, "320100"),
        grpc.StatusCode.FAILED_PRECONDITION,
        "WRONG_REGION",
    )
    assert error.metadata["region"] == home
