"""The cross-cell child bundle: a child health record and its visits (with them its schedule,
eye items, acuity and open referral: the whole vision history), exported by the source cell as
JSON-ready rows and imported by the target cell under the child's resident there."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rhip.kit.errors import AlreadyExists, invalid
from rhip.mch.children.domain import ChildRecord
from rhip.mch.children.store import CHILD, CHILD_VISIT, ChildStore
from rhip.mch.store import StoreBase
from sqlalchemy import Date, DateTime, insert, select
from sqlalchemy.exc import IntegrityError

BUNDLE_FORMAT = "rhip.mch.child_bundle.v1"


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _from_json(table: Any, row: Any) -> dict[str, Any]:
    """A bundle row back to column values (dates and times from ISO text); a row that is not
    one of ``table`` is bad input."""
    if not isinstance(row, dict) or not set(row) <= set(table.c.keys()):
        raise invalid("bundle", f"must be a {BUNDLE_FORMAT} document", "BUNDLE_INVALID")
    values: dict[str, Any] = {}
    try:
        for key, value in row.items():
            column = table.c[key]
            if value is not None and isinstance(column.type, DateTime):
                value = datetime.fromisoformat(value)
            elif value is not None and isinstance(column.type, Date):
                value = date.fromisoformat(value)
            values[key] = value
    except (TypeError, ValueError):
        raise invalid("bundle", f"must be a {BUNDLE_FORMAT} document", "BUNDLE_INVALID") from None
    return values


def check_bundle(bundle: Any, record_id: str) -> None:
    """The bundle is a child bundle of ``record_id`` (the transfer's record)."""
    if not (
        isinstance(bundle, dict)
        and bundle.get("format") == BUNDLE_FORMAT
        and isinstance(bundle.get("record"), dict)
        and isinstance(bundle.get("visits"), list)
    ):
        raise invalid("bundle", f"must be a {BUNDLE_FORMAT} document", "BUNDLE_INVALID")
    if bundle["record"].get("id") != record_id:
        raise invalid("bundle", "is not the record of this transfer", "BUNDLE_MISMATCH")


class ChildBundleStore(StoreBase):
    def export(self, record_id: str) -> dict[str, Any]:
        """The record and its visits as JSON-ready rows (request ids stay: they are this
        cell's idempotency keys)."""

        def rows(table: Any, *where: Any) -> list[dict[str, Any]]:
            found = self.s.execute(select(table).where(*where).order_by(table.c.id)).mappings()
            return [{k: _jsonable(v) for k, v in r.items() if k != "request_id"} for r in found]

        return {
            "format": BUNDLE_FORMAT,
            "record": rows(CHILD, CHILD.c.id == record_id)[0],
            "visits": rows(CHILD_VISIT, CHILD_VISIT.c.record_id == record_id),
        }

    def import_record(
        self, bundle: dict[str, Any], resident_id: str, tenant_id: str, scope: str
    ) -> tuple[ChildRecord, int]:
        """The bundle's record under ``tenant_id`` and the child's resident of this cell, with
        the same ids (nothing renumbered: the vision history keeps its visit names); returns
        the record and how many visits arrived."""
        values = _from_json(CHILD, bundle["record"])
        values.update(resident_id=resident_id, tenant_id=tenant_id, scope_path=scope)
        values["request_id"] = None
        visits = [_from_json(CHILD_VISIT, row) for row in bundle["visits"]]
        if any(v.get("record_id") != values["id"] for v in visits):
            raise invalid("bundle", "holds a visit of another record", "BUNDLE_MISMATCH")
        try:
            with self.s.begin_nested():
                self.s.execute(insert(CHILD).values(**values))
                for visit in visits:
                    self.s.execute(insert(CHILD_VISIT).values(**{**visit, "request_id": None}))
        except IntegrityError:
            raise AlreadyExists(
                "the child already has a child health record here", reason="CHILD_RECORD_EXISTS"
            ) from None
        record = ChildStore(self.s).get(values["id"])
        assert record is not None
        return record, len(visits)
