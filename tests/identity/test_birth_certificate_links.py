"""LinkBirthCertificates: mch's outbox links its certificates' numbers to the children in
batches, as the cell's own account — each link as LinkBirthCertificate makes it, in one
transaction (all or none), a resend answered false and not linked twice; nobody else may."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from conftest import make_settings
from rhip.api.identity.v1 import identity_service_pb2 as id_pb
from rhip.api.identity.v1 import resident_pb2
from support.cells import RunningCell, World, build_world, start_cell
from support.errors import expect_error
from support.residents import ZAOZHUANG_WOMAN, pb, register_request, stub

CELL_ID, CELL_SECRET = "cell-320000", "cell-secret-0123456789"
BIRTH_CERTIFICATE = resident_pb2.DOCUMENT_TYPE_BIRTH_CERTIFICATE


@pytest.fixture
def running(tmp_path: Path, database_url: str) -> Iterator[RunningCell]:
    settings = make_settings(
        tmp_path, database_url, RHIP_CELL_CLIENT_ID=CELL_ID, RHIP_CELL_CLIENT_SECRET=CELL_SECRET
    )
    cell = start_cell(settings)
    yield cell
    cell.channel.close()
    cell.cell.stop(0)


@pytest.fixture
def world(running: RunningCell) -> World:
    return build_world(running)


def _cell_md(running: RunningCell) -> list[tuple[str, str]]:
    login = running.stub.Login(
        id_pb.LoginRequest(client=id_pb.ClientCredentials(client_id=CELL_ID,
                                                           client_secret=CELL_SECRET))
    )  # fmt: skip
    return [("authorization", f"Bearer {login.access_token}")]


def _newborns(running: RunningCell, count: int) -> list[str]:
    api, md = stub(running.channel), running.md("qs-doctor")
    mother = api.RegisterResident(register_request(ZAOZHUANG_WOMAN, name="王芳"), metadata=md)
    return [
        api.RegisterNewborn(
            pb.RegisterNewbornRequest(
                resident=resident_pb2.Resident(
                    display_name="王芳之" + "甲乙丙"[i], sex=resident_pb2.SEX_MALE,
                    birth_date="2026-11-20", mother=mother.resident.name,
                ),
                request_id=str(uuid.uuid4()),
            ),
            metadata=md,
        ).name
        for i in range(count)
    ]  # fmt: skip


def _link(name: str, number: str, replaces: str = "") -> pb.LinkBirthCertificateRequest:
    return pb.LinkBirthCertificateRequest(
        name=name, birth_certificate_number=number, replaces=replaces
    )


def _numbers(running: RunningCell, name: str) -> list[tuple[str, str]]:
    found = stub(running.channel).GetResident(
        pb.GetResidentRequest(name=name), metadata=running.md("qs-doctor")
    )
    return sorted((d.number, d.origin) for d in found.documents if d.type == BIRTH_CERTIFICATE)


def test_the_cell_links_a_batch_and_a_resend_links_nothing_twice(
    running: RunningCell, world: World
) -> None:
    a, b = _newborns(running, 2)
    api, md = stub(running.channel), _cell_md(running)
    batch = pb.LinkBirthCertificatesRequest(links=[_link(a, "X320101001"), _link(b, "X320101002")])
    assert list(api.LinkBirthCertificates(batch, metadata=md).linked) == [True, True]
    assert list(api.LinkBirthCertificates(batch, metadata=md).linked) == [False, False]
    assert _numbers(running, a) == [("X320101001", "newborn_link")]
    reissue = pb.LinkBirthCertificatesRequest(links=[_link(a, "X320101003", "X320101001")])
    assert list(api.LinkBirthCertificates(reissue, metadata=md).linked) == [True]
    assert _numbers(running, a) == [
        ("X320101001", "newborn_link"), ("X320101003", "replaces:X320101001"),
    ]  # fmt: skip


def test_one_refusal_refuses_the_whole_batch(running: RunningCell, world: World) -> None:
    a, b = _newborns(running, 2)
    api, md = stub(running.channel), _cell_md(running)
    refused = pb.LinkBirthCertificatesRequest(
        links=[_link(a, "X320101001"), _link(b, "X320101003", "X320101009")]
    )
    expect_error(lambda: api.LinkBirthCertificates(refused, metadata=md),
                 grpc.StatusCode.FAILED_PRECONDITION, "BIRTH_CERTIFICATE_NOT_LINKED")  # fmt: skip
    assert _numbers(running, a) == []  # the first link of the batch rolled back with it


def test_only_the_cell_account_links_in_batches_and_bad_batches_are_refused(
    running: RunningCell, world: World
) -> None:
    [a] = _newborns(running, 1)
    api = stub(running.channel)
    batch = pb.LinkBirthCertificatesRequest(links=[_link(a, "X320101001")])
    for who in ("qs-doctor", "js-admin"):
        expect_error(lambda w=who: api.LinkBirthCertificates(batch, metadata=running.md(w)),
                     grpc.StatusCode.PERMISSION_DENIED)  # fmt: skip
    md = _cell_md(running)
    for bad in (
        pb.LinkBirthCertificatesRequest(),
        pb.LinkBirthCertificatesRequest(links=[_link(a, "X320101001"), _link(a, "X320101002")]),
        pb.LinkBirthCertificatesRequest(links=[_link(a, "X3201010011")]),
    ):
        expect_error(lambda r=bad: api.LinkBirthCertificates(r, metadata=md),
                     grpc.StatusCode.INVALID_ARGUMENT)  # fmt: skip
    assert _numbers(running, a) == []
