"""Issue 12 item 2: a token signed by one cell's key is no token for another cell's
principal. Claims of the Jiangsu province administrator, signed with the Shandong cell's real
signing key, whichever issuer they name, are UNAUTHENTICATED at the gateway and at the
Jiangsu cell itself, for identity, residents and archives alike; genuine tokens of either
cell keep working. (The two in-process cells and gateway of the archives tests.)"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import jwt
import pytest
from archives.two_cells import TIMEOUT, TwoCells, _record_in_xuzhou
from conftest import make_settings
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.identity.v1 import identity_service_pb2 as ipb
from rhip.api.identity.v1 import identity_service_pb2_grpc, resident_service_pb2_grpc
from rhip.api.identity.v1 import resident_service_pb2 as rpb
from support.cells import build_world, start_cell
from support.errors import expect_error
from support.platform import free_port, write_routes

UNAUTH = grpc.StatusCode.UNAUTHENTICATED
# The issuer a forged token names → the reason it is refused for.
FORGERIES = {
    # Shandong's key, naming Shandong: Shandong does not vouch for a Jiangsu principal.
    "rhip-identity/370000": "TOKEN_KEY_NOT_TRUSTED_FOR_REGION",
    # Shandong's key, naming Jiangsu: not a key of the cell it names.
    "rhip-identity/320000": "TOKEN_ISSUER",
}


def _claims(md: list[tuple[str, str]]) -> dict[str, Any]:
    token = md[0][1].removeprefix("Bearer ")
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _forge(t: TwoCells, claims: dict[str, Any], issuer: str) -> list[tuple[str, str]]:
    """``claims`` re-signed with the Shandong cell's current signing key, naming ``issuer``."""
    key = t.cells["370000"].cell.part("identity").keys.current()
    forged = {**claims, "iss": issuer, "jti": str(uuid.uuid4())}
    token = jwt.encode(forged, key.private, algorithm="EdDSA", headers={"kid": key.kid})
    return [("authorization", f"Bearer {token}")]


def _calls(channel: grpc.Channel, record: str, resident: str) -> dict[str, Callable[..., Any]]:
    """The calls of the report, each taking the caller's metadata."""
    identity = identity_service_pb2_grpc.IdentityServiceStub(channel)
    residents = resident_service_pb2_grpc.ResidentServiceStub(channel)
    archives = archives_service_pb2_grpc.ArchivesServiceStub(channel)
    return {
        "GetHealthRecord": lambda md: archives.GetHealthRecord(
            apb.GetHealthRecordRequest(name=record), metadata=md, timeout=TIMEOUT
        ),
        "ListUsers": lambda md: identity.ListUsers(
            ipb.ListUsersRequest(parent="regions/320000"), metadata=md, timeout=TIMEOUT
        ),
        "GetResident": lambda md: residents.GetResident(
            rpb.GetResidentRequest(name=resident), metadata=md, timeout=TIMEOUT
        ),
        "RotateSigningKey": lambda md: identity.RotateSigningKey(
            ipb.RotateSigningKeyRequest(), metadata=md, timeout=TIMEOUT
        ),
    }


@pytest.fixture
def record(two_cells: TwoCells) -> apb.HealthRecord:
    return _record_in_xuzhou(two_cells, two_cells.md("xz-doctor-1", "320300"))


def test_another_cells_key_forges_no_principal_at_the_gateway_or_the_cell(
    two_cells: TwoCells, record: apb.HealthRecord
) -> None:
    t = two_cells
    admin = t.md("js-admin", "320000")
    jiangsu_kid = jwt.get_unverified_header(admin[0][1].removeprefix("Bearer "))["kid"]
    for where, channel in (("gateway", t.channel), ("jiangsu", t.cells["320000"].channel)):
        calls = _calls(channel, record.name, record.resident)
        # The genuine administrator may make these calls (so only the key is refused below).
        for name in ("GetHealthRecord", "ListUsers", "GetResident"):
            calls[name](admin)
        for issuer, reason in FORGERIES.items():
            forged = _forge(t, _claims(admin), issuer)
            for name, call in calls.items():
                error = expect_error(lambda c=call, md=forged: c(md), UNAUTH)
                assert error.reason == reason, (where, issuer, name, error)
    # Nothing rotated: Jiangsu still signs with the key it had.
    relogin = t.md("js-admin", "320000")[0][1].removeprefix("Bearer ")
    assert jwt.get_unverified_header(relogin)["kid"] == jiangsu_kid


def test_a_cells_own_key_vouches_for_its_own_principals_and_account(
    two_cells: TwoCells, record: apb.HealthRecord
) -> None:
    t = two_cells
    # A genuine Shandong administrator's token works at the gateway…
    sd_admin = t.md("sd-admin", "370000")
    users = identity_service_pb2_grpc.IdentityServiceStub(t.channel).ListUsers(
        ipb.ListUsersRequest(parent="regions/370000"), metadata=sd_admin, timeout=TIMEOUT
    )
    assert users.users
    # …and verifies in Jiangsu (there it may not read Jiangsu's users: PERMISSION_DENIED,
    # not UNAUTHENTICATED).
    jiangsu = _calls(t.cells["320000"].channel, record.name, record.resident)
    expect_error(lambda: jiangsu["ListUsers"](sd_admin), grpc.StatusCode.PERMISSION_DENIED)
    # Shandong's key re-signing Shandong's own claims (its own issuer) is as good as a login.
    resigned = _forge(t, _claims(sd_admin), "rhip-identity/370000")
    identity_service_pb2_grpc.IdentityServiceStub(t.channel).ListUsers(
        ipb.ListUsersRequest(parent="regions/370000"), metadata=resigned, timeout=TIMEOUT
    )
    # Shandong's key speaks for Shandong's cell account, not for Jiangsu's.
    shandong_account = {**_claims(sd_admin), "sub": "sa:cell-370000", "kind": "service_account",
                        "tid": "", "reg": "370000"}  # fmt: skip
    jiangsu_account = {**shandong_account, "sub": "sa:cell-320000", "reg": "320000"}
    residents = resident_service_pb2_grpc.ResidentServiceStub(t.cells["320000"].channel)
    get = rpb.GetResidentRequest(name=record.resident)
    expect_error(
        lambda: residents.GetResident(
            get, metadata=_forge(t, shandong_account, "rhip-identity/370000"), timeout=TIMEOUT
        ),
        grpc.StatusCode.PERMISSION_DENIED,  # verified; Shandong's account reads no resident
    )
    for issuer, reason in FORGERIES.items():
        expect_error(
            lambda i=issuer: residents.GetResident(
                get, metadata=_forge(t, jiangsu_account, i), timeout=TIMEOUT
            ),
            UNAUTH,
            reason,
        )


def test_a_cell_whose_table_lists_only_its_peers_accepts_its_own_tokens(
    tmp_path: Path, database_url: str
) -> None:
    """The Helm chart renders a cell's routing table from its peers alone: the cell still
    owns its own region, and its own keys vouch for it."""
    routes = write_routes(tmp_path / "routes.json", {"370000": f"127.0.0.1:{free_port()}"})
    running = start_cell(make_settings(tmp_path, database_url, RHIP_ROUTES=str(routes)))
    try:
        build_world(running)
        listed = running.stub.ListUsers(
            ipb.ListUsersRequest(parent="regions/320300"), metadata=running.md("xz-admin")
        )
        assert listed.users
    finally:
        running.channel.close()
        running.cell.stop(0)
