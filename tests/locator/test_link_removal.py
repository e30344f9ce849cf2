"""Links removed when the document they were found by leaves a resident, end to end: two cells
behind a real gateway serving the locator (SQLite and PostgreSQL). The only way a document
leaves a resident is a merge undone (documents are never edited or deleted): a wrongly merged
survivor linked through the merged resident's ID number loses that link on both sides once the
merge is undone, its presence for the number is withdrawn first, history keeps the link, and
the other resident's deaths stop reaching it. A cell's word alone unlinks nothing: the called
cell checks with the locator."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
from locator.platform import JIANGSU, SHANDONG, TIMEOUT, Platform
from locator.test_links import ID_NUMBER, NAME, _events, _eventually, _get, _linked_pair, _links
from rhip.api.identity.v1 import identity_peer_service_pb2 as peer
from rhip.api.identity.v1 import identity_peer_service_pb2_grpc, resident_pb2
from rhip.api.identity.v1 import resident_service_pb2 as pb
from rhip.identity.links.store import LinkRepository
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from support.errors import expect_error
from support.residents import ZAOZHUANG_WOMAN, register_request, stub, with_check


def _worker(p: Platform, cell: str) -> Any:
    """The cell's ResidentLinks with its background worker stopped: the test runs each pass
    itself, in the order it needs, as the worker would (its principal)."""
    identity = p.cells[cell].cell.part("identity")
    identity.link_worker.stop()
    return identity.links


def _as_worker(cell: str) -> Any:
    return acting_as(
        Principal(f"system:identity-links/{cell}", PrincipalKind.SERVICE_ACCOUNT, "", cell)
    )


def _id(name: str) -> str:
    return name.removeprefix("residents/")


def _peer_md(p: Platform, caller: str, callee: str) -> list[tuple[str, str]]:
    """``caller``'s cell account speaking for itself to ``callee`` through the gateway."""
    cell = p.cell_md(caller)
    return [
        *cell,
        ("x-rhip-region", callee),
        ("x-rhip-on-behalf-of", cell[0][1].removeprefix("Bearer ")),
    ]


def _peer(p: Platform) -> identity_peer_service_pb2_grpc.IdentityPeerServiceStub:
    return identity_peer_service_pb2_grpc.IdentityPeerServiceStub(p.channel)


def _merge(p: Platform, md, survivor: str, merged: str) -> str:  # type: ignore[no-untyped-def]
    return (
        stub(p.channel)
        .MergeResidents(
            pb.MergeResidentsRequest(
                survivor=survivor,
                merged=merged,
                reason="taken for one person",
                request_id=str(uuid.uuid4()),
            ),
            metadata=md,
            timeout=TIMEOUT,
        )
        .name
    )


def _undo(p: Platform, md, merge: str) -> None:  # type: ignore[no-untyped-def]
    stub(p.channel).UndoResidentMerge(
        pb.UndoResidentMergeRequest(name=merge, reason="two people after all"),
        metadata=md, timeout=TIMEOUT,
    )  # fmt: skip


def _die(p: Platform, md, name: str) -> None:  # type: ignore[no-untyped-def]
    stub(p.channel).MarkResidentDeceased(
        pb.MarkResidentDeceasedRequest(name=name, death_date="2026-11-30"),
        metadata=md, timeout=TIMEOUT,
    )  # fmt: skip


def _presence(p: Platform) -> list[tuple[str, str]]:
    return sorted((r["cell"], r["resident_id"]) for r in p.claim_rows("resident_presence"))


def _linked_through_a_merge(p: Platform, survivor: str, merged: str):  # type: ignore[no-untyped-def]
    """Shandong merges ``merged`` (holding ID_NUMBER) into ``survivor``, then Jiangsu registers
    ID_NUMBER: the survivor is linked to Jiangsu's resident through the merged one's number."""
    xz, zz = p.md("xz-doctor-1", "320300"), p.md("zz-doctor-1", "370400")
    merge = _merge(p, zz, survivor, merged)
    js = (
        stub(p.channel)
        .RegisterResident(
            register_request(ID_NUMBER, name=NAME, region="320311"), metadata=xz, timeout=TIMEOUT
        )
        .resident.name
    )
    _eventually(lambda: _links(p, xz, js) == [(SHANDONG, survivor)])
    _eventually(lambda: _links(p, zz, survivor) == [(JIANGSU, js)])
    return xz, zz, js, merge


def test_a_merge_undone_removes_the_link_its_document_made_on_both_sides(
    platform: Platform,
) -> None:
    p = platform
    zz = p.md("zz-doctor-1", "370400")
    api = stub(p.channel)
    # Two people in Shandong wrongly taken for one: a passport holder and an ID holder.
    other = api.RegisterResident(
        register_request("E12345678", name=NAME, region="370402",
                         doc_type=resident_pb2.DOCUMENT_TYPE_PASSPORT, issuing_country="CHN",
                         birth_date="1991-04-08", sex=resident_pb2.SEX_MALE),
        metadata=zz, timeout=TIMEOUT,
    ).resident.name  # fmt: skip
    sd = api.RegisterResident(
        register_request(ID_NUMBER, name=NAME, region="370402"), metadata=zz, timeout=TIMEOUT
    ).resident.name
    xz, zz, js, merge = _linked_through_a_merge(p, other, sd)
    links = _worker(p, SHANDONG)
    _undo(p, zz, merge)  # the ID number is sd's again; `other` holds the passport only
    with _as_worker(SHANDONG):
        # The one that lost the number first: it withdraws its presence for the number, so
        # Jiangsu, asked to unlink, no longer finds it with the locator and agrees.
        assert links.announce(_id(other)) == 0
        assert _links(p, zz, other) == [] and _links(p, xz, js) == []
        assert links.announce_pending() == 1  # then sd: linked to Jiangsu's resident
    assert _links(p, zz, sd) == [(JIANGSU, js)]
    assert _links(p, xz, js) == [(SHANDONG, sd)]
    # History keeps the removed link on both sides, with ids only.
    [mine] = _events(p, zz, other, "UNLINKED")
    assert mine["cell"] == JIANGSU and mine["linked"] == _id(js) and mine["linked_since"]
    [theirs] = _events(p, xz, js, "UNLINKED")
    assert theirs["cell"] == SHANDONG and theirs["linked"] == _id(other)
    assert _presence(p) == sorted([(JIANGSU, _id(js)), (SHANDONG, _id(other)), (SHANDONG, _id(sd))])
    # Idempotent: announced again, asked again, nothing more happens.
    with _as_worker(SHANDONG):
        assert links.announce(_id(other)) == 0
    again = _peer(p).UnlinkResident(
        peer.UnlinkResidentRequest(resident=js, linked_resident=other),
        metadata=_peer_md(p, SHANDONG, JIANGSU), timeout=TIMEOUT,
    )  # fmt: skip
    assert again.resident == js and not again.unlinked
    assert len(_events(p, zz, other, "UNLINKED")) == len(_events(p, xz, js, "UNLINKED")) == 1
    # `other`'s death no longer reaches Jiangsu's resident; sd's does.
    _die(p, zz, other)
    with links.residents.db.read() as conn:
        changes, _ = LinkRepository(conn).changes_for(JIANGSU, 0, 100)
    assert _id(other) not in {c.resident_id for c in changes}
    with _as_worker(JIANGSU):
        p.cells[JIANGSU].cell.part("identity").links.pull_all()
    assert _get(p, xz, js).state == resident_pb2.RESIDENT_STATE_VERIFIED
    _die(p, zz, sd)
    _eventually(lambda: _get(p, xz, js).state == resident_pb2.RESIDENT_STATE_DECEASED)


def test_a_newborn_left_without_documents_by_an_undo_loses_its_links(platform: Platform) -> None:
    """A newborn (no document) merged with the ID registration of another child, linked to
    Jiangsu through that ID number; the undo leaves the newborn without any document: it is
    announced all the same, to withdraw its presence and remove its links."""
    p = platform
    zz = p.md("zz-doctor-1", "370400")
    api = stub(p.channel)
    mother = api.RegisterResident(
        register_request(ZAOZHUANG_WOMAN, name="王芳", region="370402"),
        metadata=zz, timeout=TIMEOUT,
    ).resident.name  # fmt: skip
    newborn = api.RegisterNewborn(
        pb.RegisterNewbornRequest(
            resident=resident_pb2.Resident(display_name="王芳之女", sex=resident_pb2.SEX_FEMALE,
                                           birth_date="2026-11-20", mother=mother),
        ),
        metadata=zz, timeout=TIMEOUT,
    ).name  # fmt: skip
    child = with_check("37040220261120002")
    kid = api.RegisterResident(
        register_request(child, name="王小芳", region="370402"), metadata=zz, timeout=TIMEOUT
    ).resident.name
    xz = p.md("xz-doctor-1", "320300")
    merge = _merge(p, zz, newborn, kid)
    js = api.RegisterResident(
        register_request(child, name="王小芳", region="320311"), metadata=xz, timeout=TIMEOUT
    ).resident.name
    _eventually(lambda: _links(p, xz, js) == [(SHANDONG, newborn)])
    _eventually(lambda: _links(p, zz, newborn) == [(JIANGSU, js)])
    links = _worker(p, SHANDONG)
    _undo(p, zz, merge)
    assert not _get(p, zz, newborn).documents
    with _as_worker(SHANDONG):
        links.announce(_id(newborn))
        assert _links(p, zz, newborn) == [] and _links(p, xz, js) == []
        links.announce_pending()
    assert _links(p, xz, js) == [(SHANDONG, kid)]
    assert (SHANDONG, _id(newborn)) not in _presence(p)


def test_a_cell_cannot_unlink_what_the_locator_still_confirms(platform: Platform) -> None:
    p = platform
    xz, zz, js, sd = _linked_pair(p)  # one ID number in both cells
    api, md = _peer(p), _peer_md(p, JIANGSU, SHANDONG)
    # Jiangsu's word alone: Shandong asks the locator, which still holds both for the number.
    expect_error(
        lambda: api.UnlinkResident(
            peer.UnlinkResidentRequest(resident=sd, linked_resident=js),
            metadata=md,
            timeout=TIMEOUT,
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "LINK_STILL_CONFIRMED",
    )
    assert _links(p, zz, sd) == [(JIANGSU, js)] and not _events(p, zz, sd, "UNLINKED")
    # The worker's own attempt on a link it believed gone: refused there, so kept here too.
    links = p.cells[JIANGSU].cell.part("identity").links
    with _as_worker(JIANGSU):
        links._unlink_unconfirmed(_id(js), set())
    assert _links(p, xz, js) == [(SHANDONG, sd)] and _links(p, zz, sd) == [(JIANGSU, js)]
    # Bad names, unknown residents, and callers that are not cells.
    expect_error(
        lambda: api.UnlinkResident(
            peer.UnlinkResidentRequest(resident="sd", linked_resident=js),
            metadata=md,
            timeout=TIMEOUT,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="resident",
    )
    expect_error(
        lambda: api.UnlinkResident(
            peer.UnlinkResidentRequest(resident="residents/nobody", linked_resident=js),
            metadata=md, timeout=TIMEOUT,
        ),
        grpc.StatusCode.NOT_FOUND,
    )  # fmt: skip
    expect_error(
        lambda: api.UnlinkResident(
            peer.UnlinkResidentRequest(resident=sd, linked_resident=js),
            metadata=[*xz, ("x-rhip-region", SHANDONG)],
            timeout=TIMEOUT,
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert _links(p, zz, sd) == [(JIANGSU, js)]
