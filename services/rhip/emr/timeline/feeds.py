"""RecordTimelineEntries: the other services of this cell (archives, referral, mch) hand emr the
events of a resident's life from their outboxes (rhip.kit.outbox), for the timeline index.

Only this cell's own account may write here (the cell role, and a token this cell's identity
issued): the entries decide what residents' timelines show. Delivery is at least once, so an
entry whose event id is known is skipped, and the call answers how many were new. One bad
entry refuses the whole call (INVALID_ARGUMENT): the sender sends one event per call, so the
refusal dead-letters exactly that event, where an administrator sees it.

RescopeTimelineEntries: a record changed hands at its source (a child health record or a health
record transferred to another institution); its entries are read at the new scope paths from
then on, as the source reads the record, so the new institution sees the record's past on the
timeline and the old one no longer does. It travels in the source's outbox with the entries, in
commit order per resident: every entry queued before it is here when it arrives, every entry
queued after it carries the new scope already. Applied once by event id. A health record that a
merge of its resident moved to the survivor (or its undo moved back: archives'
resident_events) changes resident the same way (``new_resident``): keyed by the resident it
left, the change follows every entry of the record queued for that resident, and every later
entry names the new one; so an undo takes back the entries the record gathered while merged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rhip.emr.access import UseCaseBase
from rhip.emr.roles import EMR_INTERNAL
from rhip.emr.timeline.sources import MAX_ENTRIES, MAX_SCOPES, SOURCE_READS
from rhip.emr.timeline.store import TimelineEntry
from rhip.kit.authn import current_principal
from rhip.kit.errors import PermissionDenied, Violations
from rhip.kit.requests import check_no_controls, parse_resource_name
from rhip.kit.timestamps import parse_iso_date

MAX_TENANT_NAME = 200  # the index's column


@dataclass(frozen=True)
class SourceEntry:
    """One entry as the source sends it (SourceTimelineEntry): resource names, not ids."""

    event_id: str
    source: str
    resident: str  # residents/{id}
    occur_time: datetime | None
    kind: str
    target: str
    tenant: str  # tenants/{id}
    scope_paths: tuple[str, ...]
    read_method: str
    tenant_name: str = ""  # the institution's name; empty when the source did not say
    clinical_date: str = ""  # YYYY-MM-DD; empty when the source has none


def check_entry(e: SourceEntry, at: str, checks: Violations) -> TimelineEntry | None:
    """One entry from another service as an index entry; violations under ``at``."""
    resident_id = checks.check(parse_resource_name, e.resident, "residents", f"{at}.resident")
    tenant_id = checks.check(parse_resource_name, e.tenant, "tenants", f"{at}.tenant")
    for name, value in (("resident", resident_id), ("tenant", tenant_id)):
        if value is not None and len(value) > 36:  # the index's id columns
            checks.add(f"{at}.{name}", "the id must be at most 36 characters", "ID_FORMAT")
    if e.occur_time is None:
        checks.add(f"{at}.occur_time", "is required", "OCCUR_TIME_REQUIRED")
    for name, text in (
        ("event_id", e.event_id), ("kind", e.kind), ("target", e.target), ("source", e.source),
        ("read_method", e.read_method), ("tenant_display_name", e.tenant_name),
        *(("scope_paths", p) for p in e.scope_paths),
    ):  # fmt: skip
        checks.check(check_no_controls, text, f"{at}.{name}")
    if not 0 < len(e.event_id) <= 36:
        checks.add(f"{at}.event_id", "must be 1–36 characters", "EVENT_ID_FORMAT")
    reads = SOURCE_READS.get(e.source)
    if reads is None:
        checks.add(f"{at}.source", f"must be one of {', '.join(sorted(SOURCE_READS))}", "SOURCE")
    elif e.read_method not in reads:
        checks.add(f"{at}.read_method", f"not a read method of {e.source}", "READ_METHOD")
    if not 0 < len(e.kind) <= 40:
        checks.add(f"{at}.kind", "must be 1–40 characters", "KIND_FORMAT")
    if not 0 < len(e.target) <= 120:
        checks.add(f"{at}.target", "must be 1–120 characters", "TARGET_FORMAT")
    if len(e.tenant_name) > MAX_TENANT_NAME:
        checks.add(
            f"{at}.tenant_display_name", f"at most {MAX_TENANT_NAME} characters", "TEXT_TOO_LONG"
        )
    day = (
        checks.check(parse_iso_date, e.clinical_date, f"{at}.clinical_date")
        if e.clinical_date
        else None
    )
    paths = e.scope_paths
    if not 0 < len(paths) <= MAX_SCOPES or not all(_path(p) for p in paths):
        checks.add(
            f"{at}.scope_paths", f"1–{MAX_SCOPES} paths like 86/32/3203/320311", "SCOPE_PATHS"
        )
    if resident_id is None or tenant_id is None or e.occur_time is None or not paths:
        return None
    return TimelineEntry(
        e.event_id, resident_id, e.occur_time, e.source, e.kind, e.target, tenant_id,
        paths[0], e.read_method, paths, e.tenant_name, day,
    )  # fmt: skip


@dataclass(frozen=True)
class SourceRescope:
    """One change of scope as the source sends it (RescopeTimelineEntriesRequest)."""

    event_id: str
    source: str
    resident: str  # residents/{id}
    read_method: str
    target: str  # the record that changed hands: childRecords/{id}, healthRecords/{id}
    scope_paths: tuple[str, ...]
    new_resident: str = ""  # residents/{id} the record moved to (a merge, its undo); or empty


def check_rescope(c: SourceRescope, checks: Violations) -> tuple[str | None, str]:
    """The resident's id of a valid change and the new resident's ("" when it stays with the
    same resident); violations otherwise."""
    resident_id = checks.check(parse_resource_name, c.resident, "residents", "resident")
    new_id = ""
    if c.new_resident:
        new_id = checks.check(parse_resource_name, c.new_resident, "residents", "new_resident")
        if new_id == resident_id:
            checks.add("new_resident", "must differ from resident", "SAME_RESIDENT")
    for name, value in (("resident", resident_id), ("new_resident", new_id)):
        if value is not None and len(value) > 36:
            checks.add(name, "the id must be at most 36 characters", "ID_FORMAT")
    for name, text in (
        ("event_id", c.event_id), ("source", c.source), ("read_method", c.read_method),
        ("target", c.target), *(("scope_paths", p) for p in c.scope_paths),
    ):  # fmt: skip
        checks.check(check_no_controls, text, name)
    if not 0 < len(c.event_id) <= 36:
        checks.add("event_id", "must be 1–36 characters", "EVENT_ID_FORMAT")
    reads = SOURCE_READS.get(c.source)
    if reads is None:
        checks.add("source", f"must be one of {', '.join(sorted(SOURCE_READS))}", "SOURCE")
    elif c.read_method not in reads:
        checks.add("read_method", f"not a read method of {c.source}", "READ_METHOD")
    # A record's name, never a prefix that would take in other records' entries.
    parts = c.target.split("/")
    if not (len(c.target) <= 120 and len(parts) == 2 and all(parts)):
        checks.add("target", "a record's name like childRecords/{id}", "TARGET_FORMAT")
    paths = c.scope_paths
    if not 0 < len(paths) <= MAX_SCOPES or not all(_path(p) for p in paths):
        checks.add("scope_paths", f"1–{MAX_SCOPES} paths like 86/32/3203/320311", "SCOPE_PATHS")
    return resident_id, new_id or ""


def _path(p: str) -> bool:
    """A scope path as the policy spells it: segments under the country, no empty one."""
    return 0 < len(p) <= 120 and p.startswith("86") and "" not in p.split("/")


class FeedUseCases(UseCaseBase):
    def _require_cell(self, method: str) -> None:
        principal = current_principal()
        if not principal.is_cell_account or principal.issuer != self.issuer:
            raise PermissionDenied(
                "only this cell's services write timeline entries",
                reason="CELL_ACCOUNT_REQUIRED",
            )
        self.authz.require(principal, self.cell_path, EMR_INTERNAL + method)

    def record_entries(self, entries: Sequence[SourceEntry]) -> int:
        """Store the entries not seen before; how many were new."""
        self._require_cell("RecordTimelineEntries")
        checks = Violations()
        if len(entries) > MAX_ENTRIES:
            checks.add("entries", f"at most {MAX_ENTRIES}", "TOO_MANY")
        checked = [
            check_entry(entry, f"entries[{index}]", checks)
            for index, entry in enumerate(entries[:MAX_ENTRIES])
        ]
        checks.raise_if_any()
        recorded = 0
        with self._unit() as repo:
            for entry in checked:
                assert entry is not None  # no violations: every entry converted
                recorded += repo.add_source_entry(entry)
        # No audit event: no person read or changed anything; the sources audited the change.
        return recorded

    def rescope_entries(self, change: SourceRescope) -> int:
        """Apply a change of scope not seen before; how many entries changed (0 for one
        applied before)."""
        self._require_cell("RescopeTimelineEntries")
        checks = Violations()
        resident_id, new_resident_id = check_rescope(change, checks)
        checks.raise_if_any()
        assert resident_id is not None
        with self._unit() as repo:
            changed = repo.rescope(
                change.event_id, resident_id, change.source, change.read_method, change.target,
                change.scope_paths, self.clock(), new_resident_id,
            )  # fmt: skip
        # No audit event, as for the entries: the source audited the transfer.
        return changed or 0
