"""A health record imported from another cell brings its history onto this cell's lifetime
timeline (emr's index), in the importing transaction: each event of the bundle's history
(created, activated, check-ups, follow-ups, plans, earlier transfers…) as the entry archives
would have queued had it happened here, dated as the source dated it (its time, and the
check-up's exam date or the follow-up's visit date as the day of care), naming the institution
that kept the record there (``transfer.source_tenant_id``, with the name the source sent in the
bundle: this cell's identity knows no other cell's institution), and read here as the record
is: by its new keeper (GetHealthRecord at the record's scope).

Nothing twice: the entries' ids derive from the transfer and the event, so however the import
is retried (it commits once; a retry after that returns the first result) and the outbox and
emr redeliver, each entry is stored once. The events of an earlier stay of the record in this
cell (it left and came back) are on the timeline already, under the trace this cell keeps of
that stay, and are not queued again (found by their time and kind: their ids changed when the
record came back). The referral moves in the history stay out, as for the record's own entries
(the referral service publishes its own; another cell's referrals are not on this cell's).

The bundle comes from another cell: a value that emr would refuse drops the name (control
characters), the sub-resource (an id that is no id) or, for a kind emr cannot hold, the event
from the timeline (it stays in the history), rather than fail the import or dead-letter an
entry, which would hold up every later entry of the resident."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from rhip.archives.records.domain import HealthRecord
from rhip.archives.records.timeline import READ_METHOD, SOURCE, on_timeline, target_of
from rhip.archives.repository import ArchivesRepository
from rhip.archives.transfers.bundle import Imported
from rhip.archives.transfers.domain import Transfer
from rhip.kit.db import utc
from rhip.kit.timeline_feed import enqueue_entry

# The namespace of the ids of the entries an import brings: one per transfer and event.
IMPORT_IDS = uuid.UUID("8f4c2b1e-7d3a-4c5e-9b6f-2a1d0e3c4b57")
KIND = re.compile(r"[A-Z][A-Z0-9_]{0,32}")  # RECORD_ + kind fits emr's 40 characters
ROW_ID = re.compile(r"[0-9A-Za-z-]{1,36}")
MAX_NAME = 200  # emr's tenant_display_name


def _name(value: object) -> str:
    if isinstance(value, str) and len(value) <= MAX_NAME and value.isprintable():
        return value
    return ""


def _detail(raw: object) -> dict[str, str]:
    """The event's detail as far as the timeline reads it: its check-up or follow-up (their
    ids in the bundle)."""
    try:
        detail = json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        return {}
    if not isinstance(detail, dict):
        return {}
    return {
        key: value
        for key in ("check_up", "follow_up")
        if isinstance(value := detail.get(key), str) and ROW_ID.fullmatch(value)
    }


def _care_days(bundle: Mapping[str, Any]) -> dict[str, date]:
    """A check-up's exam date, a follow-up's visit date, by their id in the bundle."""
    days: dict[str, date] = {}
    for key, column in (("check_ups", "exam_date"), ("follow_ups", "visit_date")):
        for row in bundle.get(key) or []:
            try:
                days[str(row["id"])] = date.fromisoformat(row[column])
            except (KeyError, TypeError, ValueError):
                continue
    return days


def enqueue_brought_history(
    repo: ArchivesRepository,
    bundle: Mapping[str, Any],
    record: HealthRecord,
    imported: Imported,
    transfer: Transfer,
    now: datetime,
) -> int:
    """Queue the bundle's history for emr (``record``: as added here); how many entries."""
    known = repo.known_events(record)
    days = _care_days(bundle)
    local = imported.new_ids
    keeper = transfer.source_tenant_id or str(bundle["record"].get("managing_tenant_id", ""))
    if not ROW_ID.fullmatch(keeper):
        return 0  # no institution to attribute the history to: none is made up
    name = _name(bundle.get("keeper_name"))
    queued = 0
    for event in sorted(bundle["events"], key=lambda e: str(e["id"])):
        kind, when = event["kind"], utc(datetime.fromisoformat(event["event_time"]))
        if not (isinstance(kind, str) and KIND.fullmatch(kind) and on_timeline(kind)):
            continue
        if when is None or (when, kind) in known:
            continue
        detail = _detail(event.get("detail"))
        # The day of care where the source recorded one (a check-up's, a visit's); else the
        # event's own day (enqueue_entry). The target names the sub-resource by its id here.
        care = next((days[v] for v in detail.values() if v in days), None)
        detail = {key: local.get(value, value) for key, value in detail.items()}
        enqueue_entry(
            repo.s, source=SOURCE, resident_id=record.resident_id, occur_time=when,
            kind=f"RECORD_{kind}", target=target_of(record.record_id, detail), tenant_id=keeper,
            scope_paths=[record.scope_path], read_method=READ_METHOD, tenant_name=name,
            clinical_date=care, queued_at=now,
            event_id=str(uuid.uuid5(IMPORT_IDS, f"{transfer.transfer_id}/{event['id']}")),
        )  # fmt: skip
        queued += 1
    return queued
