"""Health-record tables and their repository: the records, the serials of their numbers and
their history.

The one-record rule is held by the database: ``open_resident_id`` is the resident id while
the record is open (draft, active, transfer pending) and NULL otherwise, under a unique index.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, cast

from rhip.archives.records.domain import (
    OPEN_STATES,
    HealthRecord,
    RecordState,
    RecordTaken,
    Termination,
    TerminationReason,
    missing_items,
)
from rhip.archives.records.timeline import enqueue_record_event, on_timeline
from rhip.archives.store import Base, StoreBase
from rhip.kit.db import utc
from rhip.kit.history import EventHistory, ResourceEvent
from rhip.kit.pagination import Page
from rhip.kit.scopes import within_scopes
from sqlalchemy import Date, DateTime, Index, Integer, String, Text, insert, select, text, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column


class HealthRecordRow(Base):
    __tablename__ = "health_record"
    __table_args__ = (
        Index("ix_health_record_scope_state", "scope_path", "state"),
        Index("ix_health_record_region", "managing_region", "state"),
        # Indicators count every record in force under a region: on PostgreSQL an
        # index-only scan of this narrow index instead of the wide rows (basic_info).
        Index(
            "ix_health_record_indicators",
            "scope_path",
            postgresql_include=[
                "state",
                "managing_tenant_id",
                "create_time",
                "termination_date",
                "missing_items",
                "id",
            ],
        ),
        Index(
            "uq_health_record_number_in_force",
            "record_number",
            unique=True,
            postgresql_where=text("state <> 'transferred'"),
            sqlite_where=text("state <> 'transferred'"),
        ),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # Unique among the records in force (uq_health_record_number_in_force): a cell may also
    # keep traces of the same number (the record left and came back).
    record_number: Mapped[str] = mapped_column(String(17))
    resident_id: Mapped[str] = mapped_column(String(36), index=True)
    open_resident_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    birth_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20))
    managing_tenant_id: Mapped[str] = mapped_column(String(36))
    managing_region: Mapped[str] = mapped_column(String(6))
    scope_path: Mapped[str] = mapped_column(String(120))
    creating_tenant_id: Mapped[str] = mapped_column(String(36))
    team_id: Mapped[str] = mapped_column(String(36), index=True)
    basic_info: Mapped[str] = mapped_column(Text)
    # Required items of the basic information form still empty (qualified-rate numerator).
    missing_items: Mapped[int] = mapped_column(Integer, default=0)
    termination_reason: Mapped[str] = mapped_column(String(20))
    termination_date: Mapped[date | None] = mapped_column(Date)
    termination_destination: Mapped[str] = mapped_column(String(500))
    handover_note: Mapped[str] = mapped_column(String(500))
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    update_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(36), unique=True)


class RecordSerialRow(Base):
    """The next personal serial of each creating institution (§2.3, in creation order)."""

    __tablename__ = "record_serial"
    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    next_serial: Mapped[int] = mapped_column(Integer)


class RecordEventRow(Base):
    __tablename__ = "record_event"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(80))
    detail: Mapped[str] = mapped_column(Text)


RECORDS = cast(Any, HealthRecordRow.__table__)
_SER = cast(Any, RecordSerialRow.__table__)
RECORD_EVENTS = cast(Any, RecordEventRow.__table__)
HISTORY = EventHistory(RECORD_EVENTS, "record_id")


def _record(row: Any) -> HealthRecord:
    termination = None
    if row.termination_reason:
        termination = Termination(
            TerminationReason(row.termination_reason),
            row.termination_date,
            row.termination_destination,
            row.handover_note,
        )
    return HealthRecord(
        record_id=row.id,
        record_number=row.record_number,
        resident_id=row.resident_id,
        birth_date=row.birth_date,
        state=RecordState(row.state),
        managing_tenant_id=row.managing_tenant_id,
        managing_region=row.managing_region,
        scope_path=row.scope_path,
        creating_tenant_id=row.creating_tenant_id,
        team_id=row.team_id,
        basic_info=json.loads(row.basic_info),
        termination=termination,
        create_time=utc(row.create_time),  # type: ignore[arg-type]
        update_time=utc(row.update_time),  # type: ignore[arg-type]
        version=row.version,
    )


class RecordsStore(StoreBase):
    def _columns(self, r: HealthRecord) -> dict[str, object]:
        t = r.termination
        return {
            "record_number": r.record_number,
            "resident_id": r.resident_id,
            "open_resident_id": r.resident_id if r.state in OPEN_STATES else None,
            "birth_date": r.birth_date,
            "state": r.state.value,
            "managing_tenant_id": r.managing_tenant_id,
            "managing_region": r.managing_region,
            "scope_path": r.scope_path,
            "creating_tenant_id": r.creating_tenant_id,
            "team_id": r.team_id,
            "basic_info": json.dumps(r.basic_info, ensure_ascii=False, sort_keys=True),
            "missing_items": len(missing_items(r.basic_info)),
            "termination_reason": t.reason.value if t else "",
            "termination_date": t.day if t else None,
            "termination_destination": t.destination if t else "",
            "handover_note": t.handover_note if t else "",
            "update_time": r.update_time,
            "version": r.version,
        }

    def add(self, record: HealthRecord, request_id: str) -> None:
        """Raises RecordTaken when the resident has an open record; the savepoint keeps the
        transaction usable."""
        try:
            with self._counted(record.record_id), self.s.begin_nested():
                self.s.execute(
                    insert(RECORDS).values(
                        id=record.record_id,
                        **self._columns(record),
                        create_time=record.create_time,
                        request_id=request_id or None,
                    )
                )
        except IntegrityError:
            raise RecordTaken from None

    def save(self, record: HealthRecord, expected_version: int) -> bool:
        try:
            with self._counted(record.record_id), self.s.begin_nested():
                result = self.s.execute(
                    update(RECORDS)
                    .where(RECORDS.c.id == record.record_id, RECORDS.c.version == expected_version)
                    .values(**self._columns(record))
                )
        except IntegrityError:
            raise RecordTaken from None
        return bool(cast(CursorResult, result).rowcount)

    def get(self, record_id: str, *, for_update: bool = False) -> HealthRecord | None:
        query = select(RECORDS).where(RECORDS.c.id == record_id)
        if for_update:
            query = query.with_for_update()
        row = self.s.execute(query).first()
        return _record(row) if row else None

    def by_request(self, request_id: str) -> HealthRecord | None:
        row = self.s.execute(select(RECORDS).where(RECORDS.c.request_id == request_id)).first()
        return _record(row) if row else None

    def records_of(self, resident_id: str, *, for_update: bool = False) -> list[HealthRecord]:
        """Every record of the resident, open or closed, oldest first (resident_events.py)."""
        query = select(RECORDS).where(RECORDS.c.resident_id == resident_id).order_by(RECORDS.c.id)
        if for_update:
            query = query.with_for_update()
        return [_record(row) for row in self.s.execute(query)]

    def open_record_of(self, resident_id: str, *, for_update: bool = False) -> HealthRecord | None:
        query = select(RECORDS).where(RECORDS.c.open_resident_id == resident_id)
        if for_update:
            query = query.with_for_update()
        row = self.s.execute(query).first()
        return _record(row) if row else None

    def list_records(
        self,
        scopes: Sequence[str],
        *,
        state: RecordState | None,
        record_number: str,
        resident_id: str,
        tenant_id: str,
        after: str | None,
        limit: int,
    ) -> list[HealthRecord]:
        """Served by ix_health_record_scope_state (the scope filter is a prefix LIKE)."""
        query = select(RECORDS).where(within_scopes(RECORDS.c.scope_path, scopes))
        if tenant_id:
            query = query.where(RECORDS.c.managing_tenant_id == tenant_id)
        if state is not None:
            query = query.where(RECORDS.c.state == state.value)
        if record_number:
            query = query.where(RECORDS.c.record_number == record_number)
        if resident_id:
            query = query.where(RECORDS.c.resident_id == resident_id)
        if after:
            query = query.where(RECORDS.c.id < after)
        rows = self.s.execute(query.order_by(RECORDS.c.id.desc()).limit(limit))
        return [_record(r) for r in rows]

    def next_serial(self, tenant_id: str, prefix: str) -> int:
        """The creating institution's next serial not yet used by any record of ``prefix``
        (another institution of the same locality may hold a number already)."""
        row = self.s.execute(
            select(_SER.c.next_serial).where(_SER.c.tenant_id == tenant_id).with_for_update()
        ).first()
        if row is None:
            try:
                with self.s.begin_nested():
                    self.s.execute(insert(_SER).values(tenant_id=tenant_id, next_serial=1))
            except IntegrityError:
                pass  # created by a concurrent first record of the same institution
            row = self.s.execute(
                select(_SER.c.next_serial).where(_SER.c.tenant_id == tenant_id).with_for_update()
            ).one()
        serial = int(row.next_serial)
        while self.s.execute(
            select(RECORDS.c.id).where(RECORDS.c.record_number == f"{prefix}{serial:05d}")
        ).first():
            serial += 1
        self.s.execute(
            update(_SER).where(_SER.c.tenant_id == tenant_id).values(next_serial=serial + 1)
        )
        return serial

    # -- history -------------------------------------------------------------------------------
    # Whether the history also feeds emr's timeline index (the cell runs emr), and the
    # institution names its entries carry; the repository sets them (ArchivesRepository).
    timeline = False
    names: Callable[[str], str] | None = None

    def record(
        self, record_id: str, kind: str, actor: str, now: datetime, **detail: object
    ) -> None:
        """One history entry; on the timeline too, dated the day of ``now``."""
        self._record(record_id, kind, actor, now, None, detail)

    def record_care(
        self, record_id: str, kind: str, actor: str, now: datetime, day: date, **detail: object
    ) -> None:
        """A history entry of care given on ``day`` (a check-up, a follow-up visit): the
        timeline shows that day as its clinical date."""
        self._record(record_id, kind, actor, now, day, detail)

    def _record(
        self,
        record_id: str,
        kind: str,
        actor: str,
        now: datetime,
        day: date | None,
        detail: dict[str, object],
    ) -> None:
        HISTORY.append(self.s, record_id, kind, actor, now, detail)
        if self.timeline and on_timeline(kind):
            r = RECORDS.c
            keeper = self.s.execute(
                select(r.resident_id, r.managing_tenant_id, r.scope_path).where(r.id == record_id)
            ).first()
            if keeper is not None:  # the feed never fails the business write it follows
                # Cached per institution: identity is asked at most once a while, never per row.
                name = self.names(keeper.managing_tenant_id) if self.names else ""
                enqueue_record_event(self.s, record_id, tuple(keeper), kind, now, detail, name, day)

    def history(self, record_id: str, page: Page) -> tuple[list[ResourceEvent], str]:
        return HISTORY.page(self.s, record_id, page)

    def referral_event(self, record_id: str, kind: str, referral_id: str) -> ResourceEvent | None:
        """The history entry of one move of one referral (follow_ups/referrals.py)."""
        return HISTORY.find(self.s, record_id, kind, "referral", referral_id)
