"""The kit's per-resource event history (rhip.kit.history), as every service uses it: events
of one resource only, oldest first, paged with tokens bound to the query, details as written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rhip.kit.db import Database
from rhip.kit.history import EventHistory, event_fields
from rhip.kit.pagination import parse_page
from sqlalchemy import Column, DateTime, MetaData, String, Table, Text


def test_history_pages_one_resources_events_oldest_first(database_url: str) -> None:
    table = Table(
        "thing_event", MetaData(),
        Column("id", String(36), primary_key=True), Column("thing_id", String(36)),
        Column("event_time", DateTime(timezone=True)), Column("kind", String(40)),
        Column("actor", String(80)), Column("detail", Text),
    )  # fmt: skip
    db = Database.connect(database_url, pool_size=1)
    table.metadata.create_all(db.engine)
    history = EventHistory(table, "thing_id")
    start = datetime(2026, 12, 1, tzinfo=UTC)
    with db.transaction() as connection:
        for n in range(5):
            history.append(connection, "a", f"STEP_{n}", "user:x", start + timedelta(hours=n), {"n": n, "名": "值"})  # fmt: skip
            history.append(connection, "b", "OTHER", "user:y", start, {})
    seen, token = [], ""
    with db.read() as connection:
        while True:
            events, token = history.page(connection, "a", parse_page(2, token, "things/a"))
            seen.extend(events)
            if not token:
                break
    assert [e.kind for e in seen] == [f"STEP_{n}" for n in range(5)]
    assert {e.resource_id for e in seen} == {"a"}
    assert seen[4].detail == {"n": 4, "名": "值"} and seen[4].event_time == start + timedelta(
        hours=4
    )
    fields = event_fields(seen[0])
    assert fields["detail_json"] == '{"n": 0, "名": "值"}' and fields["actor"] == "user:x"
    db.engine.dispose()
