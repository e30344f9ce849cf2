"""Audit people can use (issue 12): SearchAuditEvents over the identity log answers "who
viewed this resident, when, under which basis" for auditors and the administrators of the
region chain, newest first, filtered in SQL inside the region subtree; nobody else may search,
bad filters are INVALID_ARGUMENT, and a search is itself audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import resident_service_pb2 as rpb
from support.cells import RunningCell, World
from support.errors import expect_error
from support.residents import XUZHOU_MAN, register_request, stub

DENIED = grpc.StatusCode.PERMISSION_DENIED
INVALID = grpc.StatusCode.INVALID_ARGUMENT


def _viewed(running: RunningCell) -> str:
    """A Quanshan resident registered by qs-doctor and read by qs-doctor and xz-admin."""
    api = stub(running.channel)
    resident = api.RegisterResident(
        register_request(XUZHOU_MAN), metadata=running.md("qs-doctor")
    ).resident
    for who in ("qs-doctor", "xz-admin"):
        api.GetResident(rpb.GetResidentRequest(name=resident.name), metadata=running.md(who))
    return resident.name


def _search(running: RunningCell, who: str, **fields) -> pb.SearchAuditEventsResponse:  # type: ignore[no-untyped-def]
    fields.setdefault("parent", "regions/320000")
    return running.stub.SearchAuditEvents(
        pb.SearchAuditEventsRequest(**fields), metadata=running.md(who)
    )


def test_who_viewed_this_resident(running: RunningCell, world: World) -> None:
    resident = _viewed(running)
    found = _search(running, "js-auditor", resident=resident, action="resident.read").events
    assert [(e.actor, e.basis, e.target) for e in found] == [
        (f"user:{world.users['xz-admin']}", "administration", resident),
        (f"user:{world.users['qs-doctor']}", "treatment", resident),
    ]
    assert found[0].seq > found[1].seq and found[0].event_time.seconds > 0
    assert found[1].actor_tenant == world.tenants["qs-chc"]
    everything = _search(running, "xz-admin", parent="regions/320300", resident=resident).events
    assert {e.action for e in everything} >= {"resident.register", "resident.read"}


def test_filters_actor_tenant_family_time_and_pages(running: RunningCell, world: World) -> None:
    resident = _viewed(running)
    doctor = f"user:{world.users['qs-doctor']}"
    mine = _search(running, "js-auditor", actor=doctor, action="resident.*").events
    assert mine and all(e.actor == doctor and e.action.startswith("resident.") for e in mine)
    tenant = _search(running, "js-auditor", tenant=f"tenants/{world.tenants['qs-chc']}").events
    assert tenant and all(e.actor_tenant == world.tenants["qs-chc"] for e in tenant)
    later = Timestamp()
    later.FromDatetime(datetime.now(UTC) + timedelta(hours=1))
    assert not _search(running, "js-auditor", resident=resident, start_time=later).events
    assert _search(running, "js-auditor", resident=resident, end_time=later).events
    first = _search(running, "js-auditor", resident=resident, page_size=1)
    second = _search(
        running, "js-auditor", resident=resident, page_size=1, page_token=first.next_page_token
    )
    assert first.next_page_token and second.events[0].seq < first.events[0].seq


def test_only_auditors_and_the_region_chain_may_search(running: RunningCell, world: World) -> None:
    resident = _viewed(running)
    for who, parent in (
        ("qs-doctor", "regions/320311"),  # practitioners do not search the audit log
        ("nj-admin", "regions/320300"),  # Nanjing is not on Xuzhou's chain
        ("qs-admin", "regions/320300"),  # a county administrator cannot search its city
        ("xz-admin", "regions/370400"),  # another province's cell
        ("xz-admin", "regions/320000"),  # the province above it
    ):
        expect_error(lambda w=who, p=parent: _search(running, w, parent=p), DENIED)
    # Nanjing's administrator searching its own region sees nothing of a Xuzhou resident
    assert not _search(running, "nj-admin", parent="regions/320100", resident=resident).events
    assert _search(running, "qs-admin", parent="regions/320311", resident=resident).events


def test_bad_filters_are_refused(running: RunningCell, world: World) -> None:
    far = Timestamp(seconds=10**15)
    early, late = Timestamp(), Timestamp()
    early.FromDatetime(datetime(2026, 1, 2, tzinfo=UTC))
    late.FromDatetime(datetime(2026, 1, 1, tzinfo=UTC))
    for fields, field, reason in (
        ({"resident": "people/1"}, "resident", "RESOURCE_NAME"),
        ({"tenant": "tenants/../x"}, "tenant", "RESOURCE_NAME"),
        ({"actor": "root"}, "actor", "ACTOR_FORMAT"),
        ({"action": "DROP TABLE"}, "action", "ACTION_FORMAT"),
        ({"start_time": far}, "start_time", "TIME_RANGE"),
        ({"start_time": early, "end_time": late}, "end_time", "TIME_RANGE"),
        ({"parent": "regions/32"}, "parent", "REGION_CODE_FORMAT"),
        ({"page_token": "not-a-token"}, "page_token", None),
    ):
        expect_error(lambda f=fields: _search(running, "js-auditor", **f), INVALID, reason, field)


def test_a_search_of_the_audit_log_is_audited(running: RunningCell, world: World) -> None:
    resident = _viewed(running)
    _search(running, "js-auditor", resident=resident)
    [last] = _search(running, "js-auditor", action="audit.search", page_size=1).events
    assert last.actor == f"user:{world.users['js-auditor']}" and last.basis == "audit"
    assert last.detail["resident"] == resident.split("/")[1]
