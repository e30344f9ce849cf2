"""Region isolation of the master index inside one cell: a Nanjing clinician and a Nanjing
administrator cannot find, read, change, merge or card a Xuzhou resident through any method
of ResidentService (the other-cell case runs in tests/e2e). And no ID number, name or phone
reaches a log line or an error message."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from rhip.api.identity.v1 import health_card_pb2, resident_pb2
from rhip.kit.errors import from_rpc_error
from support.cells import RunningCell, World
from support.errors import expect_error
from support.residents import (
    LHASA_MAN,
    XUZHOU_MAN,
    ZAOZHUANG_WOMAN,
    document,
    pb,
    register_request,
    stub,
    with_check,
)

OUTSIDERS = ("nj-doctor", "nj-admin")


def _xuzhou_residents(running: RunningCell) -> dict[str, Any]:
    api = stub(running.channel)
    md = running.md("qs-doctor")
    man = api.RegisterResident(register_request(XUZHOU_MAN, phone="13912345678"), metadata=md)
    woman = api.RegisterResident(register_request(ZAOZHUANG_WOMAN, name="王芳"), metadata=md)
    card = api.IssueHealthCard(pb.IssueHealthCardRequest(parent=man.resident.name), metadata=md)
    return {"man": man.resident, "woman": woman.resident, "card": card}


def _every_method(api: Any, xz: dict[str, Any], own: str) -> dict[str, Callable[[list], Any]]:
    """Each ResidentService call aimed at the Xuzhou residents; ``own`` is a resident of the
    caller's own region (for the merge that would pull a Xuzhou resident in)."""
    man, woman, card = xz["man"].name, xz["woman"].name, xz["card"].name
    return {
        "GetResident": lambda md: api.GetResident(pb.GetResidentRequest(name=man), metadata=md),
        "ListResidentEvents": lambda md: api.ListResidentEvents(
            pb.ListResidentEventsRequest(parent=man), metadata=md
        ),
        "RegisterNewborn": lambda md: api.RegisterNewborn(
            pb.RegisterNewbornRequest(
                resident=resident_pb2.Resident(
                    display_name="新生儿", sex=1, birth_date="2026-11-20", mother=woman
                )
            ),
            metadata=md,
        ),
        "VerifyResidentIdentity": lambda md: api.VerifyResidentIdentity(
            pb.VerifyResidentIdentityRequest(name=man, document=document(XUZHOU_MAN)), metadata=md
        ),
        "LinkBirthCertificate": lambda md: api.LinkBirthCertificate(
            pb.LinkBirthCertificateRequest(name=man, birth_certificate_number="X320101009"),
            metadata=md,
        ),
        "MarkResidentDeceased": lambda md: api.MarkResidentDeceased(
            pb.MarkResidentDeceasedRequest(name=man, death_date="2026-11-01"), metadata=md
        ),
        "MergeResidents(survivor)": lambda md: api.MergeResidents(
            pb.MergeResidentsRequest(survivor=man, merged=own, reason="x"), metadata=md
        ),
        "MergeResidents(merged)": lambda md: api.MergeResidents(
            pb.MergeResidentsRequest(survivor=own, merged=man, reason="x"), metadata=md
        ),
        "IssueHealthCard": lambda md: api.IssueHealthCard(
            pb.IssueHealthCardRequest(parent=woman), metadata=md
        ),
        "GetHealthCard": lambda md: api.GetHealthCard(
            pb.GetHealthCardRequest(name=card), metadata=md
        ),
        "RevokeHealthCard": lambda md: api.RevokeHealthCard(
            pb.RevokeHealthCardRequest(name=card, reason="lost"), metadata=md
        ),
        "CreateHealthCardQrCode": lambda md: api.CreateHealthCardQrCode(
            pb.CreateHealthCardQrCodeRequest(name=card, type=health_card_pb2.QR_CODE_TYPE_STATIC),
            metadata=md,
        ),
    }


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_nanjing_cannot_reach_xuzhou_residents(
    running: RunningCell, world: World, outsider: str
) -> None:
    api = stub(running.channel)
    xz = _xuzhou_residents(running)
    own = api.RegisterResident(
        register_request(with_check("32010619800101031"), name="钱一", region="320106"),
        metadata=running.md("nj-doctor"),
    ).resident.name
    md = running.md(outsider)
    for method, call in _every_method(api, xz, own).items():
        try:
            call(md)
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.PERMISSION_DENIED, (method, error.code())
        else:
            pytest.fail(f"{outsider} reached a Xuzhou resident through {method}")
    # Finding: by document and by name, nothing (and no hint that the document exists).
    for number in (XUZHOU_MAN, ZAOZHUANG_WOMAN):
        expect_error(
            lambda n=number: api.LookupResident(
                pb.LookupResidentRequest(document=document(n)), metadata=md
            ),
            grpc.StatusCode.NOT_FOUND,
        )
    for name in ("张三", "王芳"):
        found = api.SearchResidents(pb.SearchResidentsRequest(display_name=name), metadata=md)
        assert list(found.matches) == []
    # The Xuzhou clinician still sees them all (the same calls are not simply broken).
    xz_md = running.md("qs-doctor")
    assert api.GetResident(pb.GetResidentRequest(name=xz["man"].name), metadata=xz_md).name
    assert api.SearchResidents(
        pb.SearchResidentsRequest(display_name="张三"), metadata=xz_md
    ).matches


def test_a_practitioner_of_another_county_of_the_city_cannot_search_either(
    running: RunningCell, world: World
) -> None:
    api = stub(running.channel)
    _xuzhou_residents(running)  # Quanshan (320311) residents, enrolled at the Quanshan centre
    found = api.SearchResidents(
        pb.SearchResidentsRequest(display_name="张三"), metadata=running.md("ts-doctor")
    )
    assert list(found.matches) == []  # Tongshan (320312) is a sibling county


def test_no_id_number_name_or_phone_in_logs_or_errors(
    running: RunningCell, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    secrets_ = [XUZHOU_MAN, ZAOZHUANG_WOMAN, "110105194912310021", "张三", "王芳", "13912345678"]
    caplog.set_level(logging.DEBUG)
    api = stub(running.channel)
    errors: list[str] = []

    def attempt(call: Callable[[], Any]) -> None:
        try:
            call()
        except grpc.RpcError as error:
            errors.append(f"{error.details()} {from_rpc_error(error)!r}")

    xz = _xuzhou_residents(running)
    md = running.md("qs-doctor")
    attempt(lambda: api.RegisterResident(register_request("110105194912310021"), metadata=md))
    attempt(
        lambda: api.RegisterResident(
            register_request(XUZHOU_MAN, sex=resident_pb2.SEX_FEMALE), metadata=md
        )
    )
    attempt(
        lambda: api.RegisterResident(
            register_request(XUZHOU_MAN, name="李四", region="320106"),
            metadata=running.md("nj-doctor"),
        )
    )
    attempt(
        lambda: api.LookupResident(
            pb.LookupResidentRequest(document=document(ZAOZHUANG_WOMAN)),
            metadata=running.md("nj-doctor"),
        )
    )
    attempt(
        lambda: api.SearchResidents(pb.SearchResidentsRequest(display_name="张三"), metadata=md)
    )
    attempt(
        lambda: api.GetResident(
            pb.GetResidentRequest(name=xz["man"].name), metadata=running.md("nj-doctor")
        )
    )
    assert len(errors) == 5  # every call above but the search is refused
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RegisterResident" in logged  # the access log did run
    for secret in secrets_:
        assert secret not in logged
        for message in errors:
            assert secret not in message
    assert running.cell.part("identity").residents.read_audit.flush()
    with running.cell.part("identity").db.read() as conn:
        stored = conn.exec_driver_sql("SELECT detail, target FROM audit_event").all()
    assert any("resident.lookup" in f"{d}{t}" or t == "residents" for d, t in stored)
    for secret in secrets_:
        assert all(secret not in f"{d} {t}" for d, t in stored)


def test_the_cell_account_only_looks_residents_up(tmp_path, database_url: str) -> None:  # type: ignore[no-untyped-def]
    """The cell's own account (cross-cell transfers) finds a resident by document, masked, and
    can do nothing else with residents; nobody can grant its role to anyone else."""
    from conftest import make_settings
    from rhip.api.identity.v1 import identity_service_pb2 as id_pb
    from rhip.api.identity.v1 import user_pb2
    from support.cells import build_world, start_cell

    settings = make_settings(
        tmp_path,
        database_url,
        RHIP_CELL_CLIENT_ID="cell-320000",
        RHIP_CELL_CLIENT_SECRET="cell-secret-0123456789",
    )
    running = start_cell(settings)
    try:
        world = build_world(running)
        xz = _xuzhou_residents(running)
        login = running.stub.Login(
            id_pb.LoginRequest(
                client=id_pb.ClientCredentials(
                    client_id="cell-320000", client_secret="cell-secret-0123456789"
                )
            )
        )
        md = [("authorization", f"Bearer {login.access_token}")]
        api = stub(running.channel)
        found = api.LookupResident(
            pb.LookupResidentRequest(document=document(XUZHOU_MAN)), metadata=md
        )
        assert found.name == xz["man"].name and found.documents[0].masked
        for call in (
            lambda: api.GetResident(pb.GetResidentRequest(name=xz["man"].name), metadata=md),
            lambda: api.RegisterResident(register_request(LHASA_MAN), metadata=md),
            lambda: api.SearchResidents(
                pb.SearchResidentsRequest(display_name="张三"), metadata=md
            ),
        ):
            expect_error(call, grpc.StatusCode.PERMISSION_DENIED)
        expect_error(
            lambda: running.stub.GrantRole(
                id_pb.GrantRoleRequest(
                    grant=user_pb2.RoleGrant(
                        subject=f"user:{world.users['nj-doctor']}",
                        role="cell",
                        region_code="320100",
                    )
                ),
                metadata=running.md("js-admin"),
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "ROLE_UNKNOWN",
        )
    finally:
        running.channel.close()
        running.cell.stop(0)
