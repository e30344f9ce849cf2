"""The lifetime timeline follows identity's resident merges (#16), on SQLite and PostgreSQL: a
cell with its own account, whose archives and emr read identity's resident change feed every
100 ms. Merging B into A puts B's entries (archives', emr's documents) on A's timeline, each
still shown only to who may read it at its source, and takes them off B's; an entry sent for B
after the merge lands on A's; the undo puts everything back, with what B's record gathered
while merged; the feed read again changes nothing, and merges chain."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import grpc
import pytest
from archives.helpers import complete_form, days_ago
from emr.helpers import Emr, summary
from emr.test_timeline_feeds import ARCHIVES_READ, _cell_stub, _entry, _wait
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.api.emr.v1 import emr_internal_service_pb2 as ipb
from rhip.api.emr.v1 import emr_service_pb2 as pb
from rhip.emr.server import MIGRATIONS
from rhip.emr.timeline.merge_store import MergesStore, Shown
from rhip.emr.timeline.merges import TimelineMerges
from rhip.kit.db import Database, migrate
from rhip.kit.resident_changes import FeedChange
from rhip.kit.tenancy import tenant_scope
from support.errors import expect_error
from support.residents import pb as rpb
from support.residents import stub as resident_stub

pytestmark = pytest.mark.cell_env(
    RHIP_CELL_CLIENT_ID="cell-320000",
    RHIP_CELL_CLIENT_SECRET="cell-secret-0123456789",
    RHIP_ARCHIVES_RESIDENT_EVENTS_INTERVAL_MS="100",
    RHIP_EMR_RESIDENT_EVENTS_INTERVAL_MS="100",
)


def _timeline(emr: Emr, who: str, resident: str) -> list[pb.TimelineEntry]:
    reply = emr.api.ListTimeline(
        pb.ListTimelineRequest(parent=emr.residents[resident], page_size=100),
        metadata=emr.md(who),
    )
    return list(reply.entries)


def _targets(emr: Emr, who: str, resident: str, source: str = "archives") -> set[str]:
    """What the source's entries on the timeline are: ``KIND target`` each."""
    return {f"{e.kind} {e.target}" for e in _timeline(emr, who, resident) if e.source == source}


def _record(emr: Emr, resident: str) -> rec.HealthRecord:
    """An active record at the Quanshan centre."""
    api = archives_service_pb2_grpc.ArchivesServiceStub(emr.running.channel)
    md = emr.md("qs-doctor")
    record = api.CreateHealthRecord(
        apb.CreateHealthRecordRequest(
            resident=emr.residents[resident], township_code="001", village_code="101",
            basic_info=complete_form(),
        ),
        metadata=md,
    )  # fmt: skip
    return api.ActivateHealthRecord(apb.ActivateHealthRecordRequest(name=record.name), metadata=md)


def _check_up(emr: Emr, record: str) -> str:
    api = archives_service_pb2_grpc.ArchivesServiceStub(emr.running.channel)
    check_up = rec.CheckUp(
        exam_date=days_ago(1), symptoms=[1], temperature_celsius=36.6, pulse=72, respiration=16,
        bp_left=rec.BloodPressure(systolic=128, diastolic=82), height_cm=172, weight_kg=70,
        waist_cm=86, exercise_frequency=2, smoking_status=1, health_evaluation=1,
    )  # fmt: skip
    made = api.CreateCheckUp(
        apb.CreateCheckUpRequest(parent=record, check_up=check_up), metadata=emr.md("qs-doctor")
    )
    return str(made.name)


def _merge(emr: Emr) -> str:
    """The alias merged into the man (identity; nothing calls emr)."""
    merge = resident_stub(emr.running.channel).MergeResidents(
        rpb.MergeResidentsRequest(
            survivor=emr.residents["man"], merged=emr.residents["alias"], reason="同一人",
            request_id=str(uuid.uuid4()),
        ),
        metadata=emr.md("qs-admin"),
    )  # fmt: skip
    return str(merge.name)


def _undo(emr: Emr, merge: str) -> None:
    resident_stub(emr.running.channel).UndoResidentMerge(
        rpb.UndoResidentMergeRequest(name=merge, reason="两个人"), metadata=emr.md("qs-admin")
    )


def test_the_survivors_timeline_shows_the_merged_residents_entries_until_the_undo(
    alias: Emr,
) -> None:
    emr = alias
    record = _record(emr, "alias")
    alias_doc = emr.submit(summary(emr.numbers["alias"], "MZ-ALIAS")).name
    man_doc = emr.submit(summary(emr.numbers["man"], "MZ-MAN")).name
    emr.consent("man", "hosp2-doctor")  # the man's consent, for the second hospital
    _wait(lambda: len(_targets(emr, "qs-doctor", "alias")) >= 2)  # created, activated
    alias_entries = _targets(emr, "qs-doctor", "alias")
    assert _targets(emr, "qs-doctor", "man") == set()

    merge = _merge(emr)
    # archives moves the record to the man and says so; emr shows the alias's past there.
    _wait(lambda: alias_entries < _targets(emr, "qs-doctor", "man"))
    assert {t.split(" ")[1] for t in _targets(emr, "qs-doctor", "man")} == {record.name}
    for who in ("qs-doctor", "hosp-doctor"):  # the merged resident's are the man's now
        assert _timeline(emr, who, "alias") == []
    # Each entry by its source's rule: the hospital reads its documents of both.
    assert len([e for e in _timeline(emr, "hosp-doctor", "man") if e.source == "emr"]) == 2
    # The second hospital reads the man's document through his consent, and the alias's too
    # while the merge stands: his basis counts for the alias's documents (test_merged_reads).
    consented = {e.target for e in _timeline(emr, "hosp2-doctor", "man") if e.source == "emr"}
    assert consented == {man_doc, alias_doc}
    # The hospital may not read the record at archives: none of its entries.
    assert _targets(emr, "hosp-doctor", "man") == set()

    _undo(emr, merge)
    _wait(lambda: _targets(emr, "qs-doctor", "man") == set())
    _wait(lambda: alias_entries < _targets(emr, "qs-doctor", "alias"))
    assert [e.source for e in _timeline(emr, "hosp-doctor", "man")] == ["emr"]
    assert len([e for e in _timeline(emr, "hosp-doctor", "alias") if e.source == "emr"]) == 1
    # Separate again: the man's consent opens his document only.
    assert [e.target for e in _timeline(emr, "hosp2-doctor", "man")] == [man_doc]
    assert _timeline(emr, "hosp2-doctor", "alias") == []


def test_the_undo_takes_back_what_the_record_gathered_while_merged(alias: Emr) -> None:
    emr = alias
    record = _record(emr, "alias")
    merge = _merge(emr)
    api = archives_service_pb2_grpc.ArchivesServiceStub(emr.running.channel)
    _wait(
        lambda: (
            api.GetHealthRecord(
                apb.GetHealthRecordRequest(name=record.name), metadata=emr.md("qs-doctor")
            ).resident
            == emr.residents["man"]
        )
    )
    # The record is the man's now: so is the check-up's entry.
    check_up = f"RECORD_CHECK_UP {_check_up(emr, record.name)}"
    _wait(lambda: check_up in _targets(emr, "qs-doctor", "man"))

    _undo(emr, merge)
    # The record goes back to the alias, and with it every entry it has, this one included.
    _wait(lambda: check_up in _targets(emr, "qs-doctor", "alias"))
    _wait(lambda: _targets(emr, "qs-doctor", "man") == set())
    shown = [e for e in _timeline(emr, "qs-doctor", "alias") if e.source == "archives"]
    assert {"RECORD_RESIDENT_MERGED", "RECORD_RESIDENT_MERGE_UNDONE"} <= {e.kind for e in shown}


def test_an_entry_sent_for_the_merged_resident_after_the_merge_lands_on_the_survivors(
    alias: Emr,
) -> None:
    emr = alias
    stub, md = _cell_stub(emr)
    scope = tenant_scope("320311", emr.world.tenants["qs-chc"])
    merge = _merge(emr)
    emr_part = emr.running.cell.part("emr")
    man = emr.residents["man"].removeprefix("residents/")

    def shown() -> Shown:
        with emr_part.db.read() as conn:
            return MergesStore(conn).shown_residents(man)

    _wait(lambda: len(shown().residents) == 2)
    late = _entry(emr, str(uuid.uuid4()), scope)  # queued at archives before it saw the merge
    late_entry = "RECORD_CHECK_UP healthRecords/late"
    late.resident = emr.residents["alias"]
    late.target = "healthRecords/late"
    stub.RecordTimelineEntries(ipb.RecordTimelineEntriesRequest(entries=[late]), metadata=md)
    assert late_entry in _targets(emr, "qs-doctor", "man")
    assert _timeline(emr, "qs-doctor", "alias") == []
    _undo(emr, merge)
    _wait(lambda: late_entry in _targets(emr, "qs-doctor", "alias"))
    assert late_entry not in _targets(emr, "qs-doctor", "man")

    # The feed read again from the start changes nothing: the undone merge stays undone.
    consumer = emr_part.merges
    assert consumer is not None
    with emr_part.db.transaction() as tx:
        MergesStore(tx).set_change_cursor(0, datetime.now(UTC))
    assert consumer.run_once() >= 2
    assert late_entry not in _targets(emr, "qs-doctor", "man")
    assert late_entry in _targets(emr, "qs-doctor", "alias")
    assert shown() == Shown((man,))


def test_a_change_of_resident_names_another_resident(emr: Emr) -> None:
    stub, md = _cell_stub(emr)
    change = ipb.RescopeTimelineEntriesRequest(
        event_id=str(uuid.uuid4()), source="archives", resident=emr.residents["man"],
        read_method=ARCHIVES_READ, target="healthRecords/x", scope_paths=["86/32/03/11"],
    )  # fmt: skip
    for bad in (emr.residents["man"], "people/1", "residents/" + "9" * 40):
        change.new_resident = bad
        expect_error(
            lambda: stub.RescopeTimelineEntries(change, metadata=md),
            grpc.StatusCode.INVALID_ARGUMENT,
            field="new_resident",
        )


@pytest.fixture
def merges(service_urls: dict[str, str]) -> Iterator[TimelineMerges]:
    """emr's database on its own (no cell, no consumer running): changes applied by hand."""
    db = Database.connect(service_urls["emr"])
    migrate(db.engine, MIGRATIONS)
    yield TimelineMerges(db)
    db.dispose()


def _change(sequence: int, kind: str, merged: str, survivor: str, merge: str) -> FeedChange:
    return FeedChange(
        sequence, kind, merged, datetime.now(UTC), "user:admin", survivor_id=survivor,
        merge_id=merge,
    )  # fmt: skip


def _shown(merges: TimelineMerges, resident: str) -> Shown:
    with merges.db.read() as conn:
        return MergesStore(conn).shown_residents(resident)


def _rewind(merges: TimelineMerges) -> None:
    with merges.db.transaction() as tx:
        MergesStore(tx).set_change_cursor(0, datetime.now(UTC))


def test_a_change_read_again_changes_nothing_and_an_undo_is_never_revived(
    merges: TimelineMerges,
) -> None:
    merged = _change(1, "MERGED", "b", "a", "m1")
    undone = _change(2, "MERGE_UNDONE", "b", "a", "m1")
    assert merges.apply(merged) == "merged"
    assert merges.apply(merged) == "already applied (cursor)"
    assert _shown(merges, "a") == Shown(("a", "b")) and _shown(merges, "b") == Shown((), "a")
    _rewind(merges)  # an operator reads the feed again, or a page came twice
    assert merges.apply(merged) == "merge known"
    assert _shown(merges, "a") == Shown(("a", "b"))
    assert merges.apply(undone) == "undone"
    assert merges.apply(_change(3, "DECEASED", "b", "", "")) == "not for the timeline"
    assert merges.cursor() == 3
    _rewind(merges)
    assert [merges.apply(c) for c in (merged, undone)] == ["merge known", "undo known"]
    assert _shown(merges, "a") == Shown(("a",)) and _shown(merges, "b") == Shown(("b",))
    # An undo read before its merge (a feed read from the middle) keeps the merge from standing.
    assert merges.apply(_change(4, "MERGE_UNDONE", "d", "c", "m2")) == "undo known"
    _rewind(merges)
    assert merges.apply(_change(1, "MERGED", "d", "c", "m2")) == "merge known"
    assert _shown(merges, "c") == Shown(("c",))


def test_merges_chain_to_the_last_survivor(merges: TimelineMerges) -> None:
    merges.apply(_change(1, "MERGED", "b", "a", "m1"))  # b into a
    merges.apply(_change(2, "MERGED", "a", "z", "m2"))  # then a into z
    assert _shown(merges, "z") == Shown(("z", "a", "b"))
    assert _shown(merges, "a") == Shown((), "z") and _shown(merges, "b") == Shown((), "a")
    # A basis for either survivor counts for b's documents (test_merged_reads).
    assert _survivors(merges, "b") == ("a", "z") and _survivors(merges, "z") == ()
    merges.apply(_change(3, "MERGE_UNDONE", "a", "z", "m2"))
    assert _shown(merges, "a") == Shown(("a", "b")) and _shown(merges, "z") == Shown(("z",))
    assert _survivors(merges, "b") == ("a",) and _survivors(merges, "a") == ()


def _survivors(merges: TimelineMerges, resident: str) -> tuple[str, ...]:
    with merges.db.read() as conn:
        return MergesStore(conn).survivors(resident)
