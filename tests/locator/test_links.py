"""Residents linked across cells, end to end: two cells behind a real gateway serving the
locator (SQLite and PostgreSQL). The same ID number registered in both cells links the two
residents on both sides; a death in one cell reaches the other; a merge there relinks, its undo
links back; the locator down at registration delays the link and never the registration;
replays of a linked cell's feed change nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import grpc
import sqlalchemy as sa
from locator.platform import JIANGSU, SHANDONG, TIMEOUT, Platform
from rhip.api.identity.v1 import resident_pb2
from rhip.api.identity.v1 import resident_service_pb2 as pb
from rhip.identity.links.client import RemoteResident
from rhip.identity.links.store import LinkRepository, announce_later
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from support.residents import register_request, stub

ID_NUMBER = "540102199104081015"
NAME = "次仁"


def _eventually(check: Callable[[], Any], seconds: float = 30.0) -> Any:
    """``check()``'s first truthy answer; the link worker runs in the background."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            answer = check()
        except grpc.RpcError as error:  # a cell's channel to a restarted gateway reconnecting
            if error.code() != grpc.StatusCode.UNAVAILABLE:
                raise
            answer = None
        if answer or time.monotonic() > deadline:
            assert answer, "not reached in time"
            return answer
        time.sleep(0.2)


def _register(p: Platform, md, region: str, channel=None, **kw) -> str:  # type: ignore[no-untyped-def]
    request = register_request(ID_NUMBER, name=NAME, region=region, **kw)
    return (
        stub(channel or p.channel)
        .RegisterResident(request, metadata=md, timeout=TIMEOUT)
        .resident.name
    )


def _get(p: Platform, md, name: str) -> resident_pb2.Resident:  # type: ignore[no-untyped-def]
    return stub(p.channel).GetResident(
        pb.GetResidentRequest(name=name), metadata=md, timeout=TIMEOUT
    )


def _links(p: Platform, md, name: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(link.cell, link.resident) for link in _get(p, md, name).linked_residents]


def _events(p: Platform, md, name: str, kind: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    events = (
        stub(p.channel)
        .ListResidentEvents(
            pb.ListResidentEventsRequest(parent=name, page_size=100), metadata=md, timeout=TIMEOUT
        )
        .events
    )
    return [json.loads(e.detail_json or "{}") for e in events if e.kind == kind]


def _linked_pair(p: Platform) -> tuple[Any, Any, str, str]:
    xz, zz = p.md("xz-doctor-1", "320300"), p.md("zz-doctor-1", "370400")
    js = _register(p, xz, "320311")
    sd = _register(p, zz, "370402")
    _eventually(lambda: _links(p, zz, sd) == [(JIANGSU, js)])
    _eventually(lambda: _links(p, xz, js) == [(SHANDONG, sd)])
    return xz, zz, js, sd


def test_the_same_id_registered_in_two_cells_links_both_residents(platform: Platform) -> None:
    p = platform
    xz, zz, js, sd = _linked_pair(p)
    link = _get(p, xz, js).linked_residents[0]
    assert link.link_time.seconds > 0
    # Both histories say so, with ids only.
    assert _events(p, xz, js, "LINKED") == [
        {"cell": SHANDONG, "linked": sd.removeprefix("residents/")}
    ]
    assert _events(p, zz, sd, "LINKED") == [
        {"cell": JIANGSU, "linked": js.removeprefix("residents/")}
    ]
    # The locator holds one presence row per cell, digests only.
    rows = p.claim_rows("resident_presence")
    assert sorted((r["cell"], r["resident_id"]) for r in rows) == sorted(
        [(JIANGSU, js.removeprefix("residents/")), (SHANDONG, sd.removeprefix("residents/"))]
    )
    stored = " ".join(str(v) for row in rows for v in row.values())
    for secret in (ID_NUMBER, ID_NUMBER[6:14], ID_NUMBER[-6:], NAME, "1991-04-08"):
        assert secret not in stored


def test_a_death_in_one_cell_reaches_the_linked_resident_and_replays_change_nothing(
    platform: Platform,
) -> None:
    p = platform
    xz, zz, js, sd = _linked_pair(p)
    stub(p.channel).MarkResidentDeceased(
        pb.MarkResidentDeceasedRequest(name=sd, death_date="2026-11-30"),
        metadata=zz,
        timeout=TIMEOUT,
    )
    died = _eventually(
        lambda: (r := _get(p, xz, js)).state == resident_pb2.RESIDENT_STATE_DECEASED and r
    )
    assert died.death_date == "2026-11-30"
    [entry] = _events(p, xz, js, "DECEASED")
    assert entry == {"source_cell": SHANDONG, "source_resident": sd.removeprefix("residents/")}
    # The death went into Jiangsu's own feed too; Shandong reads it back and changes nothing.
    links = p.cells[JIANGSU].cell.part("identity").links
    with links.residents.db.transaction() as tx:  # a replay of Shandong's whole feed
        tx.execute(sa.text("DELETE FROM linked_feed_cursor"))
    with acting_as(Principal("system:test", PrincipalKind.SERVICE_ACCOUNT, "", JIANGSU)):
        assert links.pull_all() >= 1
    assert len(_events(p, xz, js, "DECEASED")) == 1
    time.sleep(1.0)  # Shandong's worker polled Jiangsu's feed meanwhile
    assert len(_events(p, zz, sd, "DECEASED")) == 1
    assert _get(p, zz, sd).death_date == "2026-11-30"


def test_a_merge_in_one_cell_relinks_the_other_and_its_undo_links_back(platform: Platform) -> None:
    p = platform
    xz, zz, js, sd = _linked_pair(p)
    api = stub(p.channel)
    # The same person registered again in Shandong with a passport: merged, the ID resident
    # (linked to Jiangsu) into the passport one.
    other = api.RegisterResident(
        register_request("E12345678", name=NAME, region="370402",
                         doc_type=resident_pb2.DOCUMENT_TYPE_PASSPORT, issuing_country="CHN",
                         birth_date="1991-04-08", sex=resident_pb2.SEX_MALE),
        metadata=zz, timeout=TIMEOUT,
    ).resident.name  # fmt: skip
    merge = api.MergeResidents(
        pb.MergeResidentsRequest(survivor=other, merged=sd, reason="one person, two documents",
                                 request_id="0e2f3b59-5c4a-4d0e-9a39-2f1b6c1f0a01"),
        metadata=zz, timeout=TIMEOUT,
    )  # fmt: skip
    # Shandong's own link moved to the survivor at once; Jiangsu's follows from the feed.
    assert _links(p, zz, other) == [(JIANGSU, js)]
    _eventually(lambda: _links(p, xz, js) == [(SHANDONG, other)])
    [moved] = _events(p, xz, js, "LINK_MOVED")
    assert moved["was"] == sd.removeprefix("residents/") and moved[
        "merge"
    ] == merge.name.removeprefix("residentMerges/")
    api.UndoResidentMerge(
        pb.UndoResidentMergeRequest(name=merge.name, reason="recorded in error"),
        metadata=zz, timeout=TIMEOUT,
    )  # fmt: skip
    assert _links(p, zz, sd) == [(JIANGSU, js)] and _links(p, zz, other) == []
    _eventually(lambda: _links(p, xz, js) == [(SHANDONG, sd)])
    assert len(_events(p, xz, js, "LINK_MOVED_BACK")) == 1


def test_a_link_answered_before_the_resident_was_queued_again_is_not_made(
    platform: Platform,
) -> None:
    """A pass announces what a resident held when it read it; a merge or its undo committed
    meanwhile queues the resident again, and what the other cell answered then is not linked
    (the undo may just have moved that very link back to the merged resident: CI saw the
    survivor keep it). The next pass announces what it holds then."""
    p = platform
    xz, _, js, sd = _linked_pair(p)
    links = p.cells[JIANGSU].cell.part("identity").links
    resident = js.removeprefix("residents/")
    with links.residents.db.transaction() as tx:
        read = LinkRepository(tx).generation(resident)
        announce_later(tx, resident, datetime.now(UTC))  # queued again after the pass read it
    answered = RemoteResident("01a00000-0000-7000-8000-00000000beef", "VERIFIED", None)
    with acting_as(Principal("system:test", PrincipalKind.SERVICE_ACCOUNT, "", JIANGSU)):
        assert links._link_here(resident, SHANDONG, answered, read) == 0
    assert _links(p, xz, js) == [(SHANDONG, sd)]


def test_the_locator_down_never_blocks_a_registration_and_the_link_follows(
    platform: Platform,
) -> None:
    p = platform
    zz = p.md("zz-doctor-1", "370400")
    sd = _register(p, zz, "370402")
    jiangsu = p.cells[JIANGSU].channel  # the cell itself, not through the gateway
    xz = p.md("xz-doctor-1", "320300", jiangsu)
    p.stop_gateway()
    js = _register(p, xz, "320311", channel=jiangsu)  # registered, the locator unreachable
    got = stub(jiangsu).GetResident(pb.GetResidentRequest(name=js), metadata=xz, timeout=TIMEOUT)
    assert got.state == resident_pb2.RESIDENT_STATE_VERIFIED and not got.linked_residents
    p.start_gateway()
    xz = p.md("xz-doctor-1", "320300")
    _eventually(lambda: _links(p, xz, js) == [(SHANDONG, sd)], 60)
    _eventually(lambda: _links(p, zz, sd) == [(JIANGSU, js)])


def test_only_linked_cells_read_linked_changes_and_links_need_the_locator(
    platform: Platform,
) -> None:
    p = platform
    from rhip.api.identity.v1 import identity_peer_service_pb2 as peer
    from rhip.api.identity.v1 import identity_peer_service_pb2_grpc

    zz = p.md("zz-doctor-1", "370400")
    sd = _register(p, zz, "370402")
    api = identity_peer_service_pb2_grpc.IdentityPeerServiceStub(p.channel)
    # A clinician cannot call the peer service, at home or in the other cell.
    for region in ("370400", "320300"):
        try:
            api.ListLinkedResidentChanges(peer.ListLinkedResidentChangesRequest(),
                                          metadata=[*zz, ("x-rhip-region", region)], timeout=TIMEOUT)  # fmt: skip
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.PERMISSION_DENIED
        else:
            raise AssertionError("a clinician read a peer feed")
    # Jiangsu's cell account (speaking for itself) cannot link a resident the locator does
    # not hold for one document in both cells.
    cell = p.cell_md(JIANGSU)
    md = [
        *cell,
        ("x-rhip-region", SHANDONG),
        ("x-rhip-on-behalf-of", cell[0][1].removeprefix("Bearer ")),
    ]
    try:
        api.LinkResident(peer.LinkResidentRequest(resident=sd, linked_resident="residents/x-1"),
                         metadata=md, timeout=TIMEOUT)  # fmt: skip
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    else:
        raise AssertionError("a link the locator does not confirm was made")
    assert _links(p, zz, sd) == []
    # Nothing of Shandong's feed reaches Jiangsu about residents not linked to it.
    stub(p.channel).MarkResidentDeceased(
        pb.MarkResidentDeceasedRequest(name=sd, death_date="2026-11-30"),
        metadata=zz,
        timeout=TIMEOUT,
    )
    answer = api.ListLinkedResidentChanges(
        peer.ListLinkedResidentChangesRequest(), metadata=md, timeout=TIMEOUT
    )
    assert list(answer.changes) == [] and answer.read_sequence >= 1
