"""The master index across cells, against real processes: a Xuzhou resident registered through
the gateway is invisible to a Zaozhuang clinician through the gateway, with a forged region,
and when the gateway is bypassed."""

from __future__ import annotations

import grpc
from rhip.api.identity.v1 import identity_service_pb2 as id_pb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from support.errors import expect_error
from support.platform import Platform
from support.residents import XUZHOU_MAN, document, pb, register_request, stub

PASSWORD = "Demo-Passw0rd-2026"


def _login(platform: Platform, username: str, region: str) -> id_pb.LoginResponse:
    gateway = identity_service_pb2_grpc.IdentityServiceStub(grpc.insecure_channel(platform.gateway))
    return gateway.Login(
        id_pb.LoginRequest(
            password=id_pb.PasswordCredentials(username=username, password=PASSWORD)
        ),
        metadata=[("x-rhip-region", region)],
        timeout=10,
    )


def _bearer(login: id_pb.LoginResponse, region: str = "") -> list[tuple[str, str]]:
    metadata = [("authorization", f"Bearer {login.access_token}")]
    return metadata + ([("x-rhip-region", region)] if region else [])


def test_zaozhuang_clinician_cannot_find_or_read_a_xuzhou_resident(platform: Platform) -> None:
    xuzhou = _login(platform, "xz-doctor-1", "320300")
    zaozhuang = _login(platform, "zz-doctor-1", "370400")
    gateway = stub(grpc.insecure_channel(platform.gateway))
    registered = gateway.RegisterResident(
        register_request(XUZHOU_MAN, region=xuzhou.principal.region_code),
        metadata=_bearer(xuzhou),
        timeout=10,
    ).resident
    lookup = pb.LookupResidentRequest(document=document(XUZHOU_MAN))
    assert gateway.LookupResident(lookup, metadata=_bearer(xuzhou), timeout=10).name

    # Through the gateway the call lands in the Shandong cell, which holds no such resident.
    expect_error(
        lambda: gateway.LookupResident(lookup, metadata=_bearer(zaozhuang), timeout=10),
        grpc.StatusCode.NOT_FOUND,
    )
    search = pb.SearchResidentsRequest(display_name="张三", birth_date="1985-12-07")
    assert not gateway.SearchResidents(search, metadata=_bearer(zaozhuang), timeout=10).matches
    for call in (
        lambda md: gateway.GetResident(pb.GetResidentRequest(name=registered.name), metadata=md),
        lambda md: gateway.IssueHealthCard(
            pb.IssueHealthCardRequest(parent=registered.name), metadata=md
        ),
        lambda md: gateway.MergeResidents(
            pb.MergeResidentsRequest(
                survivor=registered.name, merged=f"{registered.name}0", reason="same person"
            ),
            metadata=md,
        ),
    ):
        expect_error(lambda c=call: c(_bearer(zaozhuang)), grpc.StatusCode.PERMISSION_DENIED)
        # Naming the Jiangsu region: the gateway's coarse check refuses.
        error = expect_error(
            lambda c=call: c(_bearer(zaozhuang, "320300")), grpc.StatusCode.PERMISSION_DENIED
        )
        assert error.domain == "gateway.rhip"

    # Bypassing the gateway: the Jiangsu cell verifies the Shandong token and refuses.
    jiangsu = stub(grpc.insecure_channel(platform.cells["320000"]))
    for call in (
        lambda: jiangsu.LookupResident(lookup, metadata=_bearer(zaozhuang), timeout=10),
        lambda: jiangsu.SearchResidents(search, metadata=_bearer(zaozhuang), timeout=10),
        lambda: jiangsu.GetResident(
            pb.GetResidentRequest(name=registered.name), metadata=_bearer(zaozhuang), timeout=10
        ),
    ):
        expect_error(call, grpc.StatusCode.PERMISSION_DENIED)
