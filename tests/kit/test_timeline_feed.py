"""rhip.kit.timeline_feed: what a source queues for emr's timeline (ids and codes, keyed by
the resident, committed with the business write) and how the delivery's message becomes emr's
request entry; a record's change of hands queued on the same key, after the entries before it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rhip.kit import outbox
from rhip.kit.db import Database
from rhip.kit.outbox_delivery import Message
from rhip.kit.timeline_feed import (
    RESCOPE,
    STREAM,
    enqueue_entry,
    enqueue_rescope,
    entry_of,
    rescope_of,
)

from tests.support.outbox import kit_database

WHEN = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


@pytest.fixture
def db(database_url: str, tmp_path: Path) -> Iterator[Database]:
    database = kit_database(database_url, tmp_path)
    yield database
    database.dispose()


def _queue(db: Database, resident: str, kind: str, when: datetime = WHEN) -> str:
    with db.transaction() as tx:
        return enqueue_entry(
            tx, source="archives", resident_id=resident, occur_time=when, kind=kind,
            target="healthRecords/r1", tenant_id="t1", scope_paths=["86/32/3203/320311"],
            read_method="rhip.api.archives.v1.ArchivesService/GetHealthRecord",
        )  # fmt: skip


def test_entries_are_keyed_by_resident_in_commit_order_with_ids_and_codes_only(
    db: Database,
) -> None:
    first = _queue(db, "res-1", "RECORD_CREATED")
    second = _queue(db, "res-1", "RECORD_CHECK_UP")
    other = _queue(db, "res-2", "RECORD_CREATED")
    with db.read() as conn:
        queued = {e.event_id: e for e in outbox.events(conn, stream=STREAM)}
    assert [queued[i].position for i in (first, second)] == [1, 2]
    assert queued[other].key == "res-2" and queued[other].position == 1
    # Ids, codes, dates and the institution's name: nothing about the person.
    assert set(queued[first].payload) == {
        "source", "resident", "occur_time", "kind", "target", "tenant", "scope_paths",
        "read_method", "tenant_name", "clinical_date",
    }  # fmt: skip
    assert queued[first].payload["tenant_name"] == ""  # a source that names no institution


def test_an_entry_without_its_own_day_of_care_is_dated_the_day_it_happened_in_china(
    db: Database,
) -> None:
    morning = _queue(db, "res-1", "RECORD_CREATED")  # 16:30 in Beijing
    evening = _queue(db, "res-1", "RECORD_ACTIVATED", datetime(2026, 3, 1, 20, 0, tzinfo=UTC))
    with db.read() as conn:
        queued = {
            e.event_id: e.payload["clinical_date"] for e in outbox.events(conn, stream=STREAM)
        }
    assert queued == {morning: "2026-03-01", evening: "2026-03-02"}  # 04:00 the next day there


def test_a_message_becomes_emrs_entry_with_resource_names(db: Database) -> None:
    event_id = _queue(db, "res-1", "RECORD_FOLLOW_UP")
    with db.read() as conn:
        event = outbox.get(conn, event_id)
    assert event is not None
    message = Message(
        event.event_id, event.stream, event.key, event.position, event.kind, event.payload,
        event.enqueued_at, event.due_at, 1,
    )  # fmt: skip
    entry = entry_of(message)
    assert entry.event_id == event_id and entry.resident == "residents/res-1"
    assert entry.tenant == "tenants/t1" and list(entry.scope_paths) == ["86/32/3203/320311"]
    assert entry.occur_time.ToDatetime(tzinfo=UTC) == WHEN


def test_a_rescope_follows_the_residents_entries_on_their_key_and_becomes_emrs_request(
    db: Database,
) -> None:
    before = _queue(db, "res-1", "RECORD_CREATED")
    with db.transaction() as tx:
        moved = enqueue_rescope(
            tx, source="archives", resident_id="res-1", occur_time=WHEN,
            read_method="rhip.api.archives.v1.ArchivesService/GetHealthRecord",
            target="healthRecords/r1", scope_paths=["86/32/3203/320312/t-t2"],
        )  # fmt: skip
    after = _queue(db, "res-1", "RECORD_TRANSFERRED")
    with db.read() as conn:
        queued = {e.event_id: e for e in outbox.events(conn, stream=STREAM)}
    assert [queued[i].position for i in (before, moved, after)] == [1, 2, 3]
    event = queued[moved]
    assert event.kind == RESCOPE and event.key == "res-1"
    assert set(event.payload) == {"source", "resident", "read_method", "target", "scope_paths"}
    message = Message(
        event.event_id, event.stream, event.key, event.position, event.kind, event.payload,
        event.enqueued_at, event.due_at, 1,
    )  # fmt: skip
    request = rescope_of(message)
    assert (request.event_id, request.resident, request.target) == (
        moved, "residents/res-1", "healthRecords/r1",
    )  # fmt: skip
    assert list(request.scope_paths) == ["86/32/3203/320312/t-t2"]
