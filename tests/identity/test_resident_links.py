"""Residents linked across cells, inside one cell on SQLite and PostgreSQL, with a fake of the
gateway (the locator and the other cell; the real two-cell runs are tests/locator/test_links.py
and tests/e2e/test_links_across_cells.py): a registration queues the resident and never waits
for the locator; the worker links it; the linked cell's death, merge and undo are applied once,
replays change nothing; this cell's feed answers a linked cell only about its linked residents."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest
from rhip.api.identity.v1 import resident_pb2
from rhip.identity.links.client import RemoteResident
from rhip.identity.links.domain import RemotePresence
from rhip.identity.links.store import LinkRepository
from rhip.identity.residents.domain import ChangeKind, ResidentChange
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from rhip.kit.errors import Unavailable
from support.cells import RunningCell, World
from support.residents import LHASA_MAN, XUZHOU_MAN, pb, register_request, stub

SHANDONG = "370000"
WORKER = Principal("system:identity-links/320000", PrincipalKind.SERVICE_ACCOUNT, "", "320000")


@dataclass
class FakeGateway:
    """The locator holds ``others`` for every document; the other cell links and answers."""

    others: list[RemotePresence] = field(default_factory=list)
    feed: list[ResidentChange] = field(default_factory=list)
    down: bool = False
    announced: list[str] = field(default_factory=list)
    configured: bool = True

    def announce(self, resident_id, documents):  # type: ignore[no-untyped-def]
        if self.down:
            raise Unavailable("gateway down", reason="UNAVAILABLE")
        assert documents
        self.announced.append(resident_id)
        return list(self.others)

    def link(self, cell, remote_id, resident_id):  # type: ignore[no-untyped-def]
        return RemoteResident(remote_id, "VERIFIED", None)

    def changes(self, cell, after, page_size):  # type: ignore[no-untyped-def]
        found = [c for c in self.feed if c.seq > after][:page_size]
        return found, max([after, *(c.seq for c in self.feed)])


def _change(seq: int, kind: ChangeKind, resident: str, **kw) -> ResidentChange:  # type: ignore[no-untyped-def]
    return ResidentChange(seq, kind, resident, datetime.now(UTC), "user:sd", **kw)


@pytest.fixture
def linked(running: RunningCell, world: World):  # type: ignore[no-untyped-def]
    identity = running.cell.part("identity")
    identity.link_worker.stop()  # the test runs each pass itself
    links = identity.links
    links.gateway = FakeGateway(others=[RemotePresence(SHANDONG, "sd-1")])
    md = running.md("qs-doctor")
    name = (
        stub(running.channel)
        .RegisterResident(register_request(XUZHOU_MAN), metadata=md)
        .resident.name
    )
    return links, md, name


def _get(running: RunningCell, md, name: str) -> resident_pb2.Resident:  # type: ignore[no-untyped-def]
    return stub(running.channel).GetResident(pb.GetResidentRequest(name=name), metadata=md)


def _kinds(running: RunningCell, md, name: str) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    events = (
        stub(running.channel)
        .ListResidentEvents(pb.ListResidentEventsRequest(parent=name, page_size=100), metadata=md)
        .events
    )
    return [(e.kind, json.loads(e.detail_json or "{}")) for e in events]


def test_a_registration_is_queued_and_linked_by_the_worker_and_the_locator_down_waits(
    running: RunningCell, linked
) -> None:  # type: ignore[no-untyped-def]
    links, md, name = linked
    links.gateway.down = True
    with acting_as(WORKER):
        with pytest.raises(Unavailable):  # the pass fails, the registration stood
            links.announce_pending()
        with links.residents.db.read() as conn:
            assert LinkRepository(conn).pending(10) == [name.removeprefix("residents/")]
        links.gateway.down = False
        assert links.announce_pending() == 1
        assert links.announce_pending() == 0  # the queue is empty
    got = _get(running, md, name)
    assert [(r.cell, r.resident) for r in got.linked_residents] == [(SHANDONG, "residents/sd-1")]
    assert ("LINKED", {"cell": SHANDONG, "linked": "sd-1"}) in _kinds(running, md, name)


def test_linked_deaths_merges_and_undos_apply_once_and_replays_change_nothing(
    running: RunningCell, linked
) -> None:  # type: ignore[no-untyped-def]
    links, md, name = linked
    gateway = links.gateway
    with acting_as(WORKER):
        links.announce_pending()
        gateway.feed = [
            _change(3, ChangeKind.MERGED, "sd-1", survivor_id="sd-2", merge_id="m-1"),
            _change(4, ChangeKind.MERGE_UNDONE, "sd-1", survivor_id="sd-2", merge_id="m-1"),
            _change(5, ChangeKind.MERGED, "sd-1", survivor_id="sd-2", merge_id="m-2"),
            _change(7, ChangeKind.DECEASED, "sd-2", death_date=date(2026, 11, 30)),
        ]
        assert links.pull_all() == 4
        for _replay in range(2):  # the cursor lost: the whole feed again
            with links.residents.db.transaction() as tx:
                tx.exec_driver_sql("DELETE FROM linked_feed_cursor")
            links.pull_all()
    got = _get(running, md, name)
    assert got.state == resident_pb2.RESIDENT_STATE_DECEASED and got.death_date == "2026-11-30"
    assert [(r.cell, r.resident) for r in got.linked_residents] == [(SHANDONG, "residents/sd-2")]
    kinds = [k for k, _ in _kinds(running, md, name)]
    assert kinds.count("LINK_MOVED") == 2 and kinds.count("LINK_MOVED_BACK") == 1
    assert kinds.count("DECEASED") == 1
    with links.residents.db.read() as conn:
        assert LinkRepository(conn).cursor(SHANDONG) == 7


def test_this_cells_feed_answers_a_linked_cell_only_about_its_linked_residents(
    running: RunningCell, linked
) -> None:  # type: ignore[no-untyped-def]
    links, md, name = linked
    api = stub(running.channel)
    other = api.RegisterResident(
        register_request(LHASA_MAN, name="李四"), metadata=md
    ).resident.name
    with acting_as(WORKER):
        links.announce_pending()  # both linked to Shandong's sd-1 by the fake: unlink the other
    with links.residents.db.transaction() as tx:
        tx.exec_driver_sql(
            "DELETE FROM resident_link WHERE resident_id = ?" if "sqlite" in str(tx.engine.url)
            else "DELETE FROM resident_link WHERE resident_id = %s",
            (other.removeprefix("residents/"),),
        )  # fmt: skip
    for who in (other, name):
        api.MarkResidentDeceased(
            pb.MarkResidentDeceasedRequest(name=who, death_date="2026-11-29"), metadata=md
        )
    with links.residents.db.read() as conn:
        changes, read = LinkRepository(conn).changes_for(SHANDONG, 0, 50)
        assert [c.resident_id for c in changes] == [name.removeprefix("residents/")]
        assert read == 2  # past the other resident's change too: the next read starts there
        assert LinkRepository(conn).changes_for("440000", 0, 50) == ([], 2)
        first, read = LinkRepository(conn).changes_for(SHANDONG, 0, 1)
        assert read == first[-1].seq
