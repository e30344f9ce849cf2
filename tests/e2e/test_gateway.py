"""Through the gateway against real processes: routing by region, the gateway's and the
cell's own checks, missing tokens, rate limits, and a stopped cell."""

from __future__ import annotations

import time

import grpc
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.kit.errors import from_rpc_error
from support.errors import expect_error
from support.platform import Platform

PASSWORD = "Demo-Passw0rd-2026"


def _stub(address: str) -> identity_service_pb2_grpc.IdentityServiceStub:
    return identity_service_pb2_grpc.IdentityServiceStub(grpc.insecure_channel(address))


def _login(platform: Platform, username: str, region: str) -> pb.LoginResponse:
    return _stub(platform.gateway).Login(
        pb.LoginRequest(password=pb.PasswordCredentials(username=username, password=PASSWORD)),
        metadata=[("x-rhip-region", region)],
        timeout=10,
    )


def _bearer(login: pb.LoginResponse, region: str = "") -> list[tuple[str, str]]:
    metadata = [("authorization", f"Bearer {login.access_token}")]
    return metadata + ([("x-rhip-region", region)] if region else [])


def test_clinicians_read_their_own_tenant_in_either_cell(platform: Platform) -> None:
    gateway = _stub(platform.gateway)
    for username, region in (("xz-doctor-1", "320300"), ("zz-doctor-1", "370400")):
        login = _login(platform, username, region)
        tenant = gateway.GetTenant(
            pb.GetTenantRequest(name=f"tenants/{login.principal.tenant_id}"),
            metadata=_bearer(login),
            timeout=10,
        )
        assert tenant.region_code[:2] == region[:2]


def test_xuzhou_clinician_is_denied_a_zaozhuang_tenant_by_gateway_and_by_cells(
    platform: Platform,
) -> None:
    xuzhou = _login(platform, "xz-doctor-1", "320300")
    zaozhuang = _login(platform, "zz-doctor-1", "370400")
    target = pb.GetTenantRequest(name=f"tenants/{zaozhuang.principal.tenant_id}")
    gateway = _stub(platform.gateway)
    error = expect_error(
        lambda: gateway.GetTenant(target, metadata=_bearer(xuzhou, "370402"), timeout=10),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert error.domain == "gateway.rhip"  # refused by the gateway's coarse check
    # Without naming the region the call goes to the caller's own cell, which refuses it too.
    expect_error(
        lambda: gateway.GetTenant(target, metadata=_bearer(xuzhou), timeout=10),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    # Bypassing the gateway: the Shandong cell verifies the Jiangsu token (peer JWKS) and its
    # own policy refuses; the Jiangsu cell refuses a tenant it does not hold.
    for cell in ("370000", "320000"):
        expect_error(
            lambda c=cell: _stub(platform.cells[c]).GetTenant(
                target, metadata=_bearer(xuzhou), timeout=10
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )


def test_calls_without_token_or_region_are_refused(platform: Platform) -> None:
    gateway = _stub(platform.gateway)
    expect_error(
        lambda: gateway.ListTenants(
            pb.ListTenantsRequest(parent="regions/320300"),
            metadata=[("x-rhip-region", "320300")],
            timeout=10,
        ),
        grpc.StatusCode.UNAUTHENTICATED,
        "TOKEN_MISSING",
    )
    expect_error(
        lambda: gateway.Login(
            pb.LoginRequest(
                password=pb.PasswordCredentials(username="xz-admin", password=PASSWORD)
            ),
            timeout=10,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REGION_REQUIRED",
        "x-rhip-region",
    )
    expect_error(
        lambda: gateway.Login(
            pb.LoginRequest(
                password=pb.PasswordCredentials(username="xz-admin", password=PASSWORD)
            ),
            metadata=[("x-rhip-region", "650102")],
            timeout=10,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REGION_NOT_SERVED",
    )


def test_rate_limit_trips_and_recovers(platform: Platform) -> None:
    login = _login(platform, "zz-doctor-2", "370400")
    gateway = _stub(platform.gateway)
    request = pb.GetTenantRequest(name=f"tenants/{login.principal.tenant_id}")
    refused = None
    for _ in range(80):  # the gateway under test allows 5/s with bursts of 20
        try:
            gateway.GetTenant(request, metadata=_bearer(login), timeout=10)
        except grpc.RpcError as error:
            refused = from_rpc_error(error)
            break
    assert refused is not None and refused.reason == "RATE_LIMITED"
    assert refused.domain == "gateway.rhip"
    assert refused.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert refused.retry_after_seconds is not None and 0 < refused.retry_after_seconds <= 1
    time.sleep(refused.retry_after_seconds + 0.05)
    assert gateway.GetTenant(request, metadata=_bearer(login), timeout=10).tenant_id


# Keep this test last in the file: it stops a cell of the module's platform.
def test_stopped_cell_is_unavailable_within_the_deadline(platform: Platform) -> None:
    login = _login(platform, "zz-admin", "370400")
    platform.stop("370000")
    gateway = _stub(platform.gateway)
    start = time.monotonic()
    error = expect_error(
        lambda: gateway.ListTenants(
            pb.ListTenantsRequest(parent="regions/370400"), metadata=_bearer(login), timeout=2
        ),
        grpc.StatusCode.UNAVAILABLE,
        "CELL_UNAVAILABLE",
    )
    assert time.monotonic() - start < 2.0, error
    assert error.domain == "gateway.rhip"
    # The other cell is unaffected.
    xuzhou = _login(platform, "xz-admin", "320300")
    assert gateway.ListTenants(
        pb.ListTenantsRequest(parent="regions/320300"), metadata=_bearer(xuzhou), timeout=10
    ).tenants
