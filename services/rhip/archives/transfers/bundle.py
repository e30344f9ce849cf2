"""The cross-cell bundle: a record and everything that moves with it (history, check-ups,
follow-ups and its open work), exported by the source cell as JSON-ready rows and imported
by the destination under the record it adds there."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from rhip.archives.follow_ups.store import CHECK_UPS, FOLLOW_UPS, PLANS, TASKS
from rhip.archives.records.domain import HealthRecord, RecordState, RecordTaken
from rhip.archives.records.store import RECORD_EVENTS, RECORDS, RecordsStore
from rhip.archives.store import StoreBase
from rhip.kit.db import utc
from rhip.kit.errors import invalid
from rhip.kit.ids import new_id
from sqlalchemy import Date, DateTime, insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

# v2 carries the record's open tasks; a v1 bundle (from a cell not yet upgraded) has none.
BUNDLE_FORMAT = "rhip.archives.bundle.v2"
BUNDLE_FORMATS = frozenset({"rhip.archives.bundle.v1", BUNDLE_FORMAT})


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _from_json(table: Any, row: dict[str, Any]) -> dict[str, Any]:
    """A bundle row back to column values (dates and times from ISO text); unknown keys fail."""
    values: dict[str, Any] = {}
    for key, value in row.items():
        column = table.c[key]
        if value is not None and isinstance(column.type, DateTime):
            value = datetime.fromisoformat(value)
        elif value is not None and isinstance(column.type, Date):
            value = date.fromisoformat(value)
        values[key] = value
    return values


@dataclass(frozen=True)
class Imported:
    plans: int  # the open plans that came with the record
    new_ids: dict[str, str]  # a row's id in the bundle → here, when the record came back


def bundle_record_number(bundle: dict[str, Any]) -> str:
    head = bundle.get("record")
    number = head.get("record_number") if isinstance(head, dict) else None
    if not isinstance(number, str):
        raise invalid("bundle", f"must be a {BUNDLE_FORMAT} document", "BUNDLE_INVALID")
    return number


class BundleStore(StoreBase):
    # -- cross-cell bundles ------------------------------------------------------------------------
    def export_bundle(self, record_id: str) -> dict[str, Any]:
        """The record and everything that moves with it, as JSON-ready rows: its history,
        check-ups and follow-ups, and its open work (plans and tasks)."""

        def rows(table: Any, *where: Any) -> list[dict[str, Any]]:
            found = self.s.execute(select(table).where(*where)).mappings().all()
            return [{k: _jsonable(v) for k, v in r.items() if k != "request_id"} for r in found]

        record = rows(RECORDS, RECORDS.c.id == record_id)[0]
        return {
            "format": BUNDLE_FORMAT,
            "record": record,
            "check_ups": rows(CHECK_UPS, CHECK_UPS.c.record_id == record_id),
            "follow_ups": rows(FOLLOW_UPS, FOLLOW_UPS.c.record_id == record_id),
            "plans": rows(PLANS, PLANS.c.record_id == record_id, PLANS.c.state == "open"),
            "events": rows(RECORD_EVENTS, RECORD_EVENTS.c.record_id == record_id),
            "tasks": rows(TASKS, TASKS.c.record_id == record_id, TASKS.c.state == "open"),
        }

    def import_record(
        self,
        bundle: dict[str, Any],
        resident_id: str,
        tenant_id: str,
        region: str,
        scope: str,
        now: datetime,
    ) -> HealthRecord:
        """The bundle's record, ACTIVE under the destination institution: same number, the
        resident of this cell, and the same id, unless this cell keeps a trace under that id
        (the record left from here once and now comes back): then the record gets a new id
        here and the trace stays the trace of the earlier move."""
        values = _from_json(RECORDS, bundle["record"])
        if RecordsStore(self.s).get(values["id"]) is not None:
            values["id"] = new_id()
        values.update(
            resident_id=resident_id,
            open_resident_id=resident_id,
            state=RecordState.ACTIVE.value,
            managing_tenant_id=tenant_id,
            managing_region=region,
            scope_path=scope,
            team_id="",
            update_time=now,
            version=1,
            request_id=None,
        )
        try:
            with self._counted(values["id"]), self.s.begin_nested():
                self.s.execute(insert(RECORDS).values(**values))
        except IntegrityError:
            raise RecordTaken from None
        record = RecordsStore(self.s).get(values["id"])
        assert record is not None
        return record

    def import_bundle(self, bundle: dict[str, Any], record: HealthRecord) -> Imported:
        """Insert the bundle's rows under ``record`` (already added); returns the open plans
        and the rows' new ids. When the record came back under a new id (``import_record``),
        every row gets a new id too, in the bundle's order (ids sort by creation, so the
        history keeps its order), since the trace here still holds its copies under the old
        ones."""
        with self._counted(record.record_id):
            renew = record.record_id != bundle["record"]["id"]
            new_ids: dict[str, str] = {}

            def local(row_id: str) -> str:
                if not renew:
                    return row_id
                return new_ids.setdefault(row_id, new_id())

            for table, key in (
                (CHECK_UPS, "check_ups"),
                (FOLLOW_UPS, "follow_ups"),
                (RECORD_EVENTS, "events"),
            ):
                for row in sorted(bundle[key], key=lambda r: str(r["id"])):
                    values = _from_json(table, row)
                    values.update(id=local(values["id"]), record_id=record.record_id)
                    self.s.execute(insert(table).values(**values))
            for row in bundle.get("tasks", []):
                values = _from_json(TASKS, row)
                values.update(
                    id=local(values["id"]),
                    record_id=record.record_id,
                    follow_up_id=local(values["follow_up_id"]) if values["follow_up_id"] else "",
                    scope_path=record.scope_path,
                )
                self.s.execute(insert(TASKS).values(**values))
            for row in bundle["plans"]:
                values = _from_json(PLANS, row)
                values.update(
                    record_id=record.record_id,
                    scope_path=record.scope_path,
                    managing_tenant_id=record.managing_tenant_id,
                    team_id="",
                )
                self.s.execute(insert(PLANS).values(**values))
        return Imported(len(bundle["plans"]), new_ids)

    def known_events(self, record: HealthRecord) -> set[tuple[datetime, str]]:
        """(time, kind) of each history event this cell holds of another record of the
        resident with this number: the trace of the record's earlier stay here, whose events
        were on this cell's timeline then (an event keeps its time and kind through every move;
        its id changes when the record comes back: ``import_bundle``). Found through the
        resident's records (indexed), which a trace stays among (a merge moves it too)."""
        e, r = RECORD_EVENTS.c, RECORDS.c
        rows = self.s.execute(
            select(e.event_time, e.kind)
            .join(RECORDS, r.id == e.record_id)
            .where(
                r.resident_id == record.resident_id,
                r.record_number == record.record_number,
                r.id != record.record_id,
            )
        )
        return {(when, kind) for stored, kind in rows if (when := utc(stored)) is not None}

    def hand_over_tasks(self, record_id: str) -> int:
        """The record's open tasks went to another cell with it: ``moved`` here, no longer
        open work of this cell's institution; returns how many."""
        result = self.s.execute(
            update(TASKS)
            .where(TASKS.c.record_id == record_id, TASKS.c.state == "open")
            .values(state="moved")
        )
        return int(cast(CursorResult, result).rowcount)
