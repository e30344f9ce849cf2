"""A record's history event on the resident's lifetime timeline (emr's index): every entry of
the history (created, basic information, check-ups, follow-ups, plans, contracts, transfers…)
is queued for emr in the same transaction (rhip.kit.timeline_feed), shown there to whoever may
read the record here (GetHealthRecord at its scope). Each entry names the record's keeper (the
institution's name, rhip.kit.institution_names) and the clinical date: a check-up's exam date,
a follow-up's visit date, else the day the event was recorded.

The referral moves archives writes into the history (``REFERRAL_*``) are left out: the
referral service publishes them itself, under the referral's own read rule, so they would
appear twice.

A record transferred to another institution of the cell takes its entries with it
(``enqueue_record_moved``, in the transaction that moves it): emr reads them at the record's new
scope from then on, so the new keeper sees the record's past on the timeline and the old one,
which may no longer read the record, no longer does. A record that a merge of its resident
moved to the survivor (and its undo back: resident_events/usecases.py) takes its entries to
that resident the same way (``new_resident_id``), so an undone merge takes back to the merged
resident what the record gathered meanwhile."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from rhip.kit.timeline_feed import enqueue_entry, enqueue_rescope
from sqlalchemy import Connection

SOURCE = "archives"
READ_METHOD = "rhip.api.archives.v1.ArchivesService/GetHealthRecord"
# Which history detail names a sub-resource, and its collection in the record's name.
SUB_RESOURCES = (("check_up", "checkUps"), ("follow_up", "followUps"))


def target_of(record_id: str, detail: Mapping[str, object]) -> str:
    """The resource the entry points to: the check-up or follow-up when there is one."""
    for key, collection in SUB_RESOURCES:
        if detail.get(key):
            return f"healthRecords/{record_id}/{collection}/{detail[key]}"
    return f"healthRecords/{record_id}"


def on_timeline(kind: str) -> bool:
    """Whether a history event of this kind goes to the timeline."""
    return not kind.startswith("REFERRAL_")


def enqueue_record_event(
    conn: Connection,
    record_id: str,
    keeper: tuple[str, str, str],
    kind: str,
    now: datetime,
    detail: Mapping[str, object],
    tenant_name: str = "",
    clinical_date: date | None = None,
) -> None:
    """Queue the event for emr. ``keeper``: the record's resident, managing tenant and scope
    path as they stand in this transaction (a transfer's event carries the new keeper);
    ``tenant_name``: the keeper's name; ``clinical_date``: None for the day of ``now``."""
    resident_id, tenant_id, scope_path = keeper
    enqueue_entry(
        conn,
        source=SOURCE,
        resident_id=resident_id,
        occur_time=now,
        kind=f"RECORD_{kind}",
        target=target_of(record_id, detail),
        tenant_id=tenant_id,
        scope_paths=[scope_path],
        read_method=READ_METHOD,
        tenant_name=tenant_name,
        clinical_date=clinical_date,
    )


def enqueue_record_moved(
    conn: Connection,
    record_id: str,
    resident_id: str,
    scope_path: str,
    now: datetime,
    new_resident_id: str = "",
) -> None:
    """Queue for emr the record's change of hands: its entries (the record's and its check-ups'
    and follow-ups') are read at ``scope_path``, the record's new scope, from now on; and, when
    the record moved from ``resident_id`` to ``new_resident_id``, are that resident's."""
    enqueue_rescope(
        conn, source=SOURCE, resident_id=resident_id, occur_time=now, read_method=READ_METHOD,
        target=f"healthRecords/{record_id}", scope_paths=[scope_path],
        new_resident_id=new_resident_id,
    )  # fmt: skip
