"""LookupResidents (issue 16: a hospital system's bulk send matches many patients at once):
per document exactly what LookupResident answers, in the request's order, each audited as a
lookup; another region's residents are not found; a bad number is answered with its reason
without failing the others; more than 1,000 documents are refused."""

from __future__ import annotations

import grpc
from rhip.api.identity.v1 import resident_pb2
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
)

BAD_CHECK = XUZHOU_MAN[:17] + ("1" if XUZHOU_MAN[17] != "1" else "2")


def test_each_document_is_answered_as_lookup_answers_it_and_audited(
    running: RunningCell, world: World
) -> None:
    api = stub(running.channel)
    md = running.md("qs-doctor")
    man = api.RegisterResident(register_request(XUZHOU_MAN), metadata=md).resident
    woman = api.RegisterResident(
        register_request(ZAOZHUANG_WOMAN, name="王芳"), metadata=md
    ).resident
    numbers = [ZAOZHUANG_WOMAN, LHASA_MAN, BAD_CHECK, XUZHOU_MAN]
    reply = api.LookupResidents(
        pb.LookupResidentsRequest(documents=[document(n) for n in numbers]), metadata=md
    )
    assert [r.resident_id for r in reply.results] == [
        woman.resident_id, "", "", man.resident_id,
    ]  # fmt: skip
    assert [r.error_reason for r in reply.results] == ["", "", "ID_CHECK_DIGIT", ""]
    assert reply.results[2].error_description  # what is wrong, without the number
    assert BAD_CHECK not in reply.results[2].error_description
    single = api.LookupResident(
        pb.LookupResidentRequest(document=document(XUZHOU_MAN)), metadata=md
    )
    assert single.resident_id == man.resident_id
    with running.cell.part("identity").db.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT target, outcome FROM audit_event WHERE action = 'resident.lookup' ORDER BY seq"
        ).all()
    # one event per looked-up document (the bad one is not looked up), then the single lookup
    assert [(r.target, r.outcome) for r in rows] == [
        ("residents", "OK"), ("residents", "NOT_FOUND"), ("residents", "OK"), ("residents", "OK"),
    ]  # fmt: skip
    # Nanjing sees neither: both answered as unknown, no hint they exist
    elsewhere = api.LookupResidents(
        pb.LookupResidentsRequest(documents=[document(n) for n in numbers]),
        metadata=running.md("nj-doctor"),
    )
    assert [r.resident_id for r in elsewhere.results] == ["", "", "", ""]


def test_more_than_a_thousand_documents_are_refused(running: RunningCell, world: World) -> None:
    many = [resident_pb2.IdentityDocument(type=resident_pb2.DOCUMENT_TYPE_RESIDENT_ID_CARD, number=XUZHOU_MAN)] * 1001  # fmt: skip
    expect_error(
        lambda: stub(running.channel).LookupResidents(
            pb.LookupResidentsRequest(documents=many), metadata=running.md("qs-doctor")
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "TOO_MANY_ITEMS",
        "documents",
    )


def test_a_resident_enrolled_in_the_callers_region_is_found_as_lookup_finds_her(
    running: RunningCell, world: World
) -> None:
    """Visible by an enrollment, not by her home: the batch's one query answers as the
    single lookup's read does."""
    api = stub(running.channel)
    woman = api.RegisterResident(
        register_request(ZAOZHUANG_WOMAN, name="王芳"), metadata=running.md("qs-doctor")
    ).resident
    md = running.md("nj-doctor")
    before = api.LookupResidents(
        pb.LookupResidentsRequest(documents=[document(ZAOZHUANG_WOMAN)]), metadata=md
    )
    assert [r.resident_id for r in before.results] == [""]  # lives in Xuzhou
    # she presents at the Nanjing centre: enrolled there, so Nanjing sees her from now on
    joined = api.RegisterResident(register_request(ZAOZHUANG_WOMAN, name="王芳"), metadata=md)
    assert joined.resident.resident_id == woman.resident_id
    single = api.LookupResident(
        pb.LookupResidentRequest(document=document(ZAOZHUANG_WOMAN)), metadata=md
    )
    reply = api.LookupResidents(
        pb.LookupResidentsRequest(documents=[document(ZAOZHUANG_WOMAN), document(XUZHOU_MAN)]),
        metadata=md,
    )
    assert [r.resident_id for r in reply.results] == [single.resident_id, ""]
    assert single.resident_id == woman.resident_id
