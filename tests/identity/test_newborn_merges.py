"""Merging a PROVISIONAL newborn with the ID-verified resident of the same child, in either
direction, on SQLite and PostgreSQL: the survivor keeps the link to the mother, the ID number
is its primary document, moved documents say where they came from, and an undo puts every one
of those back."""

from __future__ import annotations

import uuid

import grpc
import pytest
from rhip.api.identity.v1 import resident_pb2
from support.cells import RunningCell, World
from support.errors import expect_error
from support.residents import ZAOZHUANG_WOMAN, pb, register_request, stub, with_check

ID_CARD = resident_pb2.DOCUMENT_TYPE_RESIDENT_ID_CARD
BIRTH_CERTIFICATE = resident_pb2.DOCUMENT_TYPE_BIRTH_CERTIFICATE
CHILD_ID = with_check("32031120261120002")  # born 2026-11-20, female


def _newborn_and_child(api, md, mother_number: str = ZAOZHUANG_WOMAN, certificate="X320101001"):  # type: ignore[no-untyped-def]
    """The same girl twice: registered at birth as a newborn of her mother, and later at
    another desk by her new ID number without the mother."""
    mother = api.RegisterResident(register_request(mother_number, name="王芳"), metadata=md)
    newborn = api.RegisterNewborn(
        pb.RegisterNewbornRequest(
            resident=resident_pb2.Resident(
                display_name="王芳之女", sex=resident_pb2.SEX_FEMALE,
                birth_date="2026-11-20", mother=mother.resident.name,
            ),
            birth_certificate_number=certificate,
        ),
        metadata=md,
    )  # fmt: skip
    by_id = api.RegisterResident(register_request(CHILD_ID, name="王小芳"), metadata=md)
    return mother.resident, newborn, by_id.resident


def _merge(api, md, survivor: str, merged: str):  # type: ignore[no-untyped-def]
    return api.MergeResidents(
        pb.MergeResidentsRequest(
            survivor=survivor, merged=merged, reason="same child: newborn and ID registration",
            request_id=str(uuid.uuid4()),
        ),
        metadata=md,
    )  # fmt: skip


def _documents(resident: resident_pb2.Resident) -> dict[int, tuple[bool, str]]:
    return {d.type: (d.primary, d.origin) for d in resident.documents}


@pytest.mark.parametrize("survivor_is_newborn", [True, False], ids=["into-newborn", "into-id"])
def test_merging_newborn_and_id_resident_keeps_mother_and_makes_the_id_primary(
    running: RunningCell, world: World, survivor_is_newborn: bool
) -> None:
    api = stub(running.channel)
    md = running.md("qs-doctor")
    mother, newborn, by_id = _newborn_and_child(api, md)
    survivor, merged = (newborn, by_id) if survivor_is_newborn else (by_id, newborn)
    merge = _merge(api, md, survivor.name, merged.name)

    after = api.GetResident(pb.GetResidentRequest(name=survivor.name), metadata=md)
    assert after.state == resident_pb2.RESIDENT_STATE_VERIFIED
    assert after.mother == mother.name  # the link to the mother survives either direction
    documents = _documents(after)
    assert documents[ID_CARD][0] is True  # the ID number is the primary document
    assert documents[BIRTH_CERTIFICATE][0] is False
    assert sum(d.primary for d in after.documents) == 1
    moved_type = ID_CARD if survivor_is_newborn else BIRTH_CERTIFICATE
    kept_origin = "newborn_link" if survivor_is_newborn else "registered"
    assert documents[moved_type][1] == f"merged_from:{merged.resident_id}"
    assert documents[BIRTH_CERTIFICATE if survivor_is_newborn else ID_CARD][1] == kept_origin
    found = api.LookupResident(
        pb.LookupResidentRequest(
            document=resident_pb2.IdentityDocument(type=ID_CARD, number=CHILD_ID)
        ),
        metadata=md,
    )
    assert found.resident_id == survivor.resident_id

    api.UndoResidentMerge(
        pb.UndoResidentMergeRequest(name=merge.name, reason="recorded in error"), metadata=md
    )
    survivor_back = api.GetResident(pb.GetResidentRequest(name=survivor.name), metadata=md)
    merged_back = api.GetResident(pb.GetResidentRequest(name=merged.name), metadata=md)
    for before, back in ((survivor, survivor_back), (merged, merged_back)):
        assert back.state == before.state
        assert back.mother == before.mother
        assert _documents(back) == _documents(before)


def test_two_residents_with_different_mothers_are_not_merged(
    running: RunningCell, world: World
) -> None:
    api = stub(running.channel)
    md = running.md("qs-doctor")
    _, newborn, _ = _newborn_and_child(api, md)
    other_mother = api.RegisterResident(
        register_request(with_check("32031119950101002"), name="李娜"), metadata=md
    )
    twin = api.RegisterNewborn(
        pb.RegisterNewbornRequest(
            resident=resident_pb2.Resident(
                display_name="李娜之女", sex=resident_pb2.SEX_FEMALE,
                birth_date="2026-11-20", mother=other_mother.resident.name,
            ),
            birth_certificate_number="X320101002",
        ),
        metadata=md,
    )  # fmt: skip
    expect_error(
        lambda: _merge(api, md, newborn.name, twin.name),
        grpc.StatusCode.FAILED_PRECONDITION,
        "MERGE_MOTHER_CONFLICT",
    )
    untouched = api.GetResident(pb.GetResidentRequest(name=twin.name), metadata=md)
    assert untouched.state == resident_pb2.RESIDENT_STATE_PROVISIONAL
    assert untouched.mother == other_mother.resident.name
