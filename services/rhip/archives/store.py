"""Archives tables (SQLAlchemy 2 declarative) and the repository over them.

Every query that can return records takes the caller's scopes and filters in SQL. The one-record
rule is held by the database: ``open_resident_id`` is the resident id while the record is open
(draft, active, transfer pending) and NULL otherwise, under a unique index. Nothing here
commits: the use case owns the transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from rhip.archives import indicator_counts
from rhip.archives.domain import (
    OPEN_STATES,
    HealthRecord,
    RecordState,
    Termination,
    TerminationReason,
    TransferState,
    missing_items,
)
from rhip.kit.db import utc
from rhip.kit.ids import new_id
from rhip.kit.scopes import like_prefix, within_scopes
from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    union,
    update,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


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


class CheckUpRow(Base):
    __tablename__ = "check_up"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    exam_date: Mapped[date] = mapped_column(Date)
    form: Mapped[str] = mapped_column(Text)
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str | None] = mapped_column(String(36), unique=True)


class FollowUpRow(Base):
    __tablename__ = "follow_up"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    program: Mapped[str] = mapped_column(String(20))
    visit_date: Mapped[date] = mapped_column(Date)
    form: Mapped[str] = mapped_column(Text)
    classification: Mapped[str] = mapped_column(String(20))
    consecutive_uncontrolled: Mapped[int] = mapped_column(Integer)
    referral_suggested: Mapped[int] = mapped_column(Integer)
    urgent_referral: Mapped[int] = mapped_column(Integer)
    next_due_date: Mapped[date] = mapped_column(Date)
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str | None] = mapped_column(String(36), unique=True)


class FollowUpPlanRow(Base):
    """The schedule of one programme for one record; moves with the record."""

    __tablename__ = "follow_up_plan"
    __table_args__ = (
        Index("ix_follow_up_plan_scope_due", "scope_path", "state", "next_due_date"),
        Index("ix_follow_up_plan_team_due", "team_id", "state", "next_due_date"),
    )
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    program: Mapped[str] = mapped_column(String(20), primary_key=True)
    next_due_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10))
    scope_path: Mapped[str] = mapped_column(String(120))
    managing_tenant_id: Mapped[str] = mapped_column(String(36))
    team_id: Mapped[str] = mapped_column(String(36))


class TaskRow(Base):
    __tablename__ = "record_task"
    __table_args__ = (Index("ix_record_task_scope_due", "scope_path", "state", "due_date"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    program: Mapped[str] = mapped_column(String(20))
    due_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10))
    follow_up_id: Mapped[str] = mapped_column(String(36))
    scope_path: Mapped[str] = mapped_column(String(120))
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A duplicate-record task (resident_events.py): the other open record of the same person.
    related_record_id: Mapped[str] = mapped_column(String(36), server_default="")


class RecordTransferRow(Base):
    __tablename__ = "record_transfer"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    record_number: Mapped[str] = mapped_column(String(17))
    resident_id: Mapped[str] = mapped_column(String(36))
    source_tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    source_scope: Mapped[str] = mapped_column(String(120), index=True)
    destination_tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    destination_region: Mapped[str] = mapped_column(String(6))
    destination_scope: Mapped[str] = mapped_column(String(120), index=True)
    state: Mapped[str] = mapped_column(String(20))
    consent: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(500))
    decline_reason: Mapped[str] = mapped_column(String(500))
    moved_plans: Mapped[int] = mapped_column(Integer)
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decide_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    decide_request_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    # Cross-cell: the other side's region (source at the destination and vice versa).
    peer_region: Mapped[str] = mapped_column(String(6), server_default="")
    # Escalation to the county administrators of both sides (JSON; "{}" when never escalated):
    # who escalated and why, each side's approval, the rejection.
    escalation: Mapped[str] = mapped_column(Text, server_default="{}")
    # Why an unacknowledged cross-cell request was abandoned (the source's error reason).
    abandon_reason: Mapped[str] = mapped_column(String(100), server_default="")


class CareTeamRow(Base):
    __tablename__ = "care_team"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    display_name: Mapped[str] = mapped_column(String(100))
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str | None] = mapped_column(String(36), unique=True)


class ContractRow(Base):
    """A family-doctor contract; ``active_record_id`` (unique, NULL once ended) keeps one
    active contract per record."""

    __tablename__ = "care_contract"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    active_record_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    team_id: Mapped[str] = mapped_column(String(36), index=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(10))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    end_reason: Mapped[str] = mapped_column(String(500))
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str | None] = mapped_column(String(36), unique=True)


class RegionPopulationRow(Base):
    """Permanent population of a region from a date (filing-rate denominator, §2.8)."""

    __tablename__ = "region_population"
    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    population: Mapped[int] = mapped_column(Integer)


def _scope_type() -> Any:
    # Byte order on PostgreSQL, so that a prefix LIKE on the scope is an index range whatever
    # the database's collation.
    return String(120).with_variant(String(120, collation="C"), "postgresql")


class IndicatorCountRow(Base):
    """What the records of one institution add to each indicator count on one day, and the
    same rolled up per month and per year (indicator_counts.py). Maintained by every write
    of a record, its visits or its plans, in the same transaction."""

    __tablename__ = "indicator_count"
    __table_args__ = (
        # A region's read: a few periods of every institution in the cell, filtered by scope.
        Index("ix_indicator_count_period", "grain", "period", "scope_path"),
    )
    scope_path: Mapped[str] = mapped_column(_scope_type(), primary_key=True)
    managing_tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grain: Mapped[str] = mapped_column(String(5), primary_key=True)  # year, month or day
    period: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    records: Mapped[int] = mapped_column(Integer)
    dynamic: Mapped[int] = mapped_column(Integer)
    qualified: Mapped[int] = mapped_column(Integer)
    plans: Mapped[int] = mapped_column(Integer)
    followed: Mapped[int] = mapped_column(Integer)
    timely: Mapped[int] = mapped_column(Integer)


class SpotCheckRow(Base):
    __tablename__ = "spot_check"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    parent: Mapped[str] = mapped_column(String(80))
    scope_path: Mapped[str] = mapped_column(String(120), index=True)
    created_by: Mapped[str] = mapped_column(String(80))
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str | None] = mapped_column(String(36), unique=True)


class SpotCheckItemRow(Base):
    __tablename__ = "spot_check_item"
    spot_check_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class SpotCheckFindingRow(Base):
    __tablename__ = "spot_check_finding"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    spot_check_id: Mapped[str] = mapped_column(String(36), index=True)
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    item: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(10))
    resolution: Mapped[str] = mapped_column(String(500))
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolve_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


_REC = cast(Any, HealthRecordRow.__table__)
_SPOT = cast(Any, SpotCheckRow.__table__)
_SPOT_ITEM = cast(Any, SpotCheckItemRow.__table__)
_FIND = cast(Any, SpotCheckFindingRow.__table__)
_POP = cast(Any, RegionPopulationRow.__table__)
_TEAM = cast(Any, CareTeamRow.__table__)
_CON = cast(Any, ContractRow.__table__)
_SER = cast(Any, RecordSerialRow.__table__)
_EVT = cast(Any, RecordEventRow.__table__)
_CHK = cast(Any, CheckUpRow.__table__)
_FUP = cast(Any, FollowUpRow.__table__)
_PLAN = cast(Any, FollowUpPlanRow.__table__)
_TASK = cast(Any, TaskRow.__table__)
_XFER = cast(Any, RecordTransferRow.__table__)
_COUNT = cast(Any, IndicatorCountRow.__table__)


class RecordTaken(Exception):
    """The resident already has an open record (maybe created concurrently)."""


@dataclass(frozen=True)
class RecordEvent:
    event_id: str
    event_time: datetime
    kind: str
    actor: str
    detail: dict[str, object]


@dataclass(frozen=True)
class StoredFollowUp:
    follow_up_id: str
    record_id: str
    program: str
    visit_date: date
    form: dict[str, Any]
    classification: str
    consecutive_uncontrolled: int
    referral_suggested: bool
    urgent_referral: bool
    next_due_date: date
    create_time: datetime


@dataclass(frozen=True)
class StoredCheckUp:
    check_up_id: str
    record_id: str
    form: dict[str, Any]
    create_time: datetime


@dataclass(frozen=True)
class Plan:
    record_id: str
    program: str
    next_due_date: date
    state: str
    managing_tenant_id: str
    team_id: str


@dataclass(frozen=True)
class Task:
    task_id: str
    record_id: str
    kind: str
    program: str
    due_date: date
    state: str
    follow_up_id: str
    create_time: datetime
    related_record_id: str = ""


@dataclass(frozen=True)
class Transfer:
    transfer_id: str
    record_id: str
    record_number: str
    resident_id: str
    source_tenant_id: str
    source_scope: str
    destination_tenant_id: str
    destination_region: str
    destination_scope: str
    state: TransferState
    consent: dict[str, str]
    reason: str
    decline_reason: str
    moved_plans: int
    create_time: datetime
    decide_time: datetime | None
    peer_region: str = ""  # cross-cell: the other side's region; "" within the cell
    # Escalation: by (side), reason, time (ISO), approvals {side: subject}, last_approval
    # (side), close_reason, closed_by (side); empty when never escalated.
    escalation: dict[str, Any] = field(default_factory=dict)
    abandon_reason: str = ""  # ABANDONED: why (the source's error reason)


@dataclass(frozen=True)
class CareTeam:
    team_id: str
    tenant_id: str
    display_name: str
    create_time: datetime


@dataclass(frozen=True)
class Contract:
    contract_id: str
    record_id: str
    team_id: str
    tenant_id: str
    state: str  # active, ended
    start_date: date
    end_date: date
    end_reason: str
    create_time: datetime


def _contract(row: Any) -> Contract:
    return Contract(
        row.id, row.record_id, row.team_id, row.tenant_id, row.state, row.start_date,
        row.end_date, row.end_reason, utc(row.create_time),  # type: ignore[arg-type]
    )  # fmt: skip


@dataclass(frozen=True)
class SpotCheck:
    spot_check_id: str
    parent: str
    scope_path: str
    create_time: datetime


@dataclass(frozen=True)
class Finding:
    finding_id: str
    spot_check_id: str
    record_id: str
    item: str
    description: str
    state: str  # open, resolved
    resolution: str
    create_time: datetime
    resolve_time: datetime | None


def _finding(r: Any) -> Finding:
    return Finding(
        r.id, r.spot_check_id, r.record_id, r.item, r.description, r.state, r.resolution,
        utc(r.create_time), utc(r.resolve_time),  # type: ignore[arg-type]
    )  # fmt: skip


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


def _transfer(row: Any) -> Transfer:
    return Transfer(
        transfer_id=row.id,
        record_id=row.record_id,
        record_number=row.record_number,
        resident_id=row.resident_id,
        source_tenant_id=row.source_tenant_id,
        source_scope=row.source_scope,
        destination_tenant_id=row.destination_tenant_id,
        destination_region=row.destination_region,
        destination_scope=row.destination_scope,
        state=TransferState(row.state),
        consent=json.loads(row.consent),
        reason=row.reason,
        decline_reason=row.decline_reason,
        moved_plans=row.moved_plans,
        create_time=utc(row.create_time),  # type: ignore[arg-type]
        decide_time=utc(row.decide_time),
        peer_region=row.peer_region,
        escalation=json.loads(row.escalation or "{}"),
        abandon_reason=row.abandon_reason,
    )


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


class ArchivesRepository:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    @contextmanager
    def _counted(self, record_id: str) -> Iterator[None]:
        """Around every write of a record, its visits or its plans: add the change of the
        record's contribution to the indicator counts, in the same transaction. The record's
        row lock (taken first) makes concurrent writes of one record take turns."""
        before = indicator_counts.load_facts(self.s, record_id, lock=True).get(record_id)
        yield
        after = indicator_counts.load_facts(self.s, record_id).get(record_id)
        indicator_counts.add(self.s, indicator_counts.change(before, after))

    # -- records -------------------------------------------------------------------------------
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
                    insert(_REC).values(
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
                    update(_REC)
                    .where(_REC.c.id == record.record_id, _REC.c.version == expected_version)
                    .values(**self._columns(record))
                )
        except IntegrityError:
            raise RecordTaken from None
        return bool(cast(CursorResult, result).rowcount)

    def get(self, record_id: str, *, for_update: bool = False) -> HealthRecord | None:
        query = select(_REC).where(_REC.c.id == record_id)
        if for_update:
            query = query.with_for_update()
        row = self.s.execute(query).first()
        return _record(row) if row else None

    def by_request(self, request_id: str) -> HealthRecord | None:
        row = self.s.execute(select(_REC).where(_REC.c.request_id == request_id)).first()
        return _record(row) if row else None

    def records_of(self, resident_id: str, *, for_update: bool = False) -> list[HealthRecord]:
        """Every record of the resident, open or closed, oldest first (resident_events.py)."""
        query = select(_REC).where(_REC.c.resident_id == resident_id).order_by(_REC.c.id)
        if for_update:
            query = query.with_for_update()
        return [_record(row) for row in self.s.execute(query)]

    def open_record_of(self, resident_id: str, *, for_update: bool = False) -> HealthRecord | None:
        query = select(_REC).where(_REC.c.open_resident_id == resident_id)
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
        query = select(_REC).where(within_scopes(_REC.c.scope_path, scopes))
        if tenant_id:
            query = query.where(_REC.c.managing_tenant_id == tenant_id)
        if state is not None:
            query = query.where(_REC.c.state == state.value)
        if record_number:
            query = query.where(_REC.c.record_number == record_number)
        if resident_id:
            query = query.where(_REC.c.resident_id == resident_id)
        if after:
            query = query.where(_REC.c.id < after)
        rows = self.s.execute(query.order_by(_REC.c.id.desc()).limit(limit))
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
            select(_REC.c.id).where(_REC.c.record_number == f"{prefix}{serial:05d}")
        ).first():
            serial += 1
        self.s.execute(
            update(_SER).where(_SER.c.tenant_id == tenant_id).values(next_serial=serial + 1)
        )
        return serial

    # -- history -------------------------------------------------------------------------------
    def record(
        self, record_id: str, kind: str, actor: str, now: datetime, **detail: object
    ) -> None:
        self.s.execute(
            insert(_EVT).values(
                id=new_id(),
                record_id=record_id,
                event_time=now,
                kind=kind,
                actor=actor,
                detail=json.dumps(detail, ensure_ascii=False, sort_keys=True),
            )
        )

    def history(self, record_id: str, after: str | None, limit: int) -> list[RecordEvent]:
        query = select(_EVT).where(_EVT.c.record_id == record_id)
        if after:
            query = query.where(_EVT.c.id > after)
        rows = self.s.execute(query.order_by(_EVT.c.id).limit(limit))
        return [
            RecordEvent(r.id, utc(r.event_time), r.kind, r.actor, json.loads(r.detail))  # type: ignore[arg-type]
            for r in rows
        ]

    # -- check-ups -------------------------------------------------------------------------------
    def add_check_up(
        self, record_id: str, form: dict[str, Any], exam: date, now: datetime, request_id: str
    ) -> StoredCheckUp:
        check_up_id = new_id()
        with self._counted(record_id):
            self.s.execute(
                insert(_CHK).values(
                    id=check_up_id,
                    record_id=record_id,
                    exam_date=exam,
                    form=json.dumps(form, ensure_ascii=False, sort_keys=True),
                    create_time=now,
                    request_id=request_id or None,
                )
            )
        return StoredCheckUp(check_up_id, record_id, form, now)

    def check_up_by_request(self, request_id: str) -> StoredCheckUp | None:
        row = self.s.execute(select(_CHK).where(_CHK.c.request_id == request_id)).first()
        return self._check_up(row) if row else None

    def check_ups(self, record_id: str) -> list[StoredCheckUp]:
        rows = self.s.execute(
            select(_CHK).where(_CHK.c.record_id == record_id).order_by(_CHK.c.id.desc())
        )
        return [self._check_up(r) for r in rows]

    @staticmethod
    def _check_up(row: Any) -> StoredCheckUp:
        return StoredCheckUp(row.id, row.record_id, json.loads(row.form), utc(row.create_time))  # type: ignore[arg-type]

    # -- follow-ups --------------------------------------------------------------------------------
    def add_follow_up(self, follow_up: StoredFollowUp, request_id: str) -> None:
        f = follow_up
        with self._counted(f.record_id):
            self.s.execute(
                insert(_FUP).values(
                    id=f.follow_up_id,
                    record_id=f.record_id,
                    program=f.program,
                    visit_date=f.visit_date,
                    form=json.dumps(f.form, ensure_ascii=False, sort_keys=True),
                    classification=f.classification,
                    consecutive_uncontrolled=f.consecutive_uncontrolled,
                    referral_suggested=int(f.referral_suggested),
                    urgent_referral=int(f.urgent_referral),
                    next_due_date=f.next_due_date,
                    create_time=f.create_time,
                    request_id=request_id or None,
                )
            )

    def follow_up_by_request(self, request_id: str) -> StoredFollowUp | None:
        row = self.s.execute(select(_FUP).where(_FUP.c.request_id == request_id)).first()
        return self._follow_up(row) if row else None

    def follow_ups(self, record_id: str, program: str = "") -> list[StoredFollowUp]:
        """Newest visit first."""
        query = select(_FUP).where(_FUP.c.record_id == record_id)
        if program:
            query = query.where(_FUP.c.program == program)
        rows = self.s.execute(query.order_by(_FUP.c.visit_date.desc(), _FUP.c.id.desc()))
        return [self._follow_up(r) for r in rows]

    @staticmethod
    def _follow_up(row: Any) -> StoredFollowUp:
        return StoredFollowUp(
            follow_up_id=row.id,
            record_id=row.record_id,
            program=row.program,
            visit_date=row.visit_date,
            form=json.loads(row.form),
            classification=row.classification,
            consecutive_uncontrolled=row.consecutive_uncontrolled,
            referral_suggested=bool(row.referral_suggested),
            urgent_referral=bool(row.urgent_referral),
            next_due_date=row.next_due_date,
            create_time=utc(row.create_time),  # type: ignore[arg-type]
        )

    # -- plans and tasks -------------------------------------------------------------------------
    def plan(self, record_id: str, program: str) -> Plan | None:
        row = self.s.execute(
            select(_PLAN).where(_PLAN.c.record_id == record_id, _PLAN.c.program == program)
        ).first()
        return self._plan(row) if row else None

    def add_plan(self, record: HealthRecord, program: str, due: date) -> None:
        with self._counted(record.record_id):
            self.s.execute(
                insert(_PLAN).values(
                    record_id=record.record_id,
                    program=program,
                    next_due_date=due,
                    state="open",
                    scope_path=record.scope_path,
                    managing_tenant_id=record.managing_tenant_id,
                    team_id=record.team_id,
                )
            )

    def set_plan_due(self, record_id: str, program: str, due: date) -> None:
        with self._counted(record_id):
            self.s.execute(
                update(_PLAN)
                .where(_PLAN.c.record_id == record_id, _PLAN.c.program == program)
                .values(next_due_date=due, state="open")
            )

    def set_plans_state(self, record_id: str, state: str) -> None:
        with self._counted(record_id):
            self.s.execute(update(_PLAN).where(_PLAN.c.record_id == record_id).values(state=state))

    def overdue(
        self, scope: str, team_id: str, as_of: date, after: tuple[date, str] | None, limit: int
    ) -> list[Plan]:
        """Open plans due before ``as_of`` of one institution (or team), most overdue first;
        served by ix_follow_up_plan_scope_due / ix_follow_up_plan_team_due."""
        query = select(_PLAN).where(_PLAN.c.state == "open", _PLAN.c.next_due_date < as_of)
        query = query.where(_PLAN.c.team_id == team_id if team_id else _PLAN.c.scope_path == scope)
        if team_id:
            query = query.where(_PLAN.c.scope_path == scope)
        if after is not None:
            due, key = after
            query = query.where(
                or_(
                    _PLAN.c.next_due_date > due,
                    (_PLAN.c.next_due_date == due)
                    & ((_PLAN.c.record_id + "/" + _PLAN.c.program) > key),
                )
            )
        rows = self.s.execute(
            query.order_by(_PLAN.c.next_due_date, _PLAN.c.record_id, _PLAN.c.program).limit(limit)
        )
        return [self._plan(r) for r in rows]

    @staticmethod
    def _plan(row: Any) -> Plan:
        return Plan(
            row.record_id,
            row.program,
            row.next_due_date,
            row.state,
            row.managing_tenant_id,
            row.team_id,
        )

    def add_task(
        self,
        record: HealthRecord,
        kind: str,
        program: str,
        due: date,
        follow_up_id: str,
        now: datetime,
        related_record_id: str = "",
    ) -> None:
        self.s.execute(
            insert(_TASK).values(
                id=new_id(),
                record_id=record.record_id,
                kind=kind,
                program=program,
                due_date=due,
                state="open",
                follow_up_id=follow_up_id,
                scope_path=record.scope_path,
                create_time=now,
                related_record_id=related_record_id,
            )
        )

    def tasks(self, record_id: str) -> list[Task]:
        rows = self.s.execute(
            select(_TASK).where(_TASK.c.record_id == record_id).order_by(_TASK.c.id)
        )
        return [
            Task(
                r.id,
                r.record_id,
                r.kind,
                r.program,
                r.due_date,
                r.state,
                r.follow_up_id,
                utc(r.create_time),  # type: ignore[arg-type]
                r.related_record_id,
            )
            for r in rows
        ]

    def move_scope(self, record: HealthRecord) -> int:
        """Re-point the record's plans and open tasks at its (new) managing institution;
        returns the number of open plans moved. (The indicator counts follow the record's
        own institution, moved by ``save``: nothing to recount here.)"""
        moved = self.s.execute(
            update(_PLAN)
            .where(_PLAN.c.record_id == record.record_id)
            .values(
                scope_path=record.scope_path,
                managing_tenant_id=record.managing_tenant_id,
                team_id=record.team_id,
            )
        )
        self.s.execute(
            update(_TASK)
            .where(_TASK.c.record_id == record.record_id)
            .values(scope_path=record.scope_path)
        )
        open_plans = self.s.execute(
            select(_PLAN.c.program).where(
                _PLAN.c.record_id == record.record_id, _PLAN.c.state == "open"
            )
        ).all()
        del moved
        return len(open_plans)

    # -- transfers -------------------------------------------------------------------------------
    def add_transfer(self, t: Transfer, request_id: str) -> None:
        self.s.execute(
            insert(_XFER).values(
                id=t.transfer_id,
                record_id=t.record_id,
                record_number=t.record_number,
                resident_id=t.resident_id,
                source_tenant_id=t.source_tenant_id,
                source_scope=t.source_scope,
                destination_tenant_id=t.destination_tenant_id,
                destination_region=t.destination_region,
                destination_scope=t.destination_scope,
                state=t.state.value,
                consent=json.dumps(t.consent, ensure_ascii=False, sort_keys=True),
                reason=t.reason,
                decline_reason=t.decline_reason,
                moved_plans=t.moved_plans,
                create_time=t.create_time,
                decide_time=t.decide_time,
                request_id=request_id or None,
                peer_region=t.peer_region,
                escalation=json.dumps(t.escalation, ensure_ascii=False, sort_keys=True),
                abandon_reason=t.abandon_reason,
            )
        )

    def add_transfer_once(self, t: Transfer) -> bool:
        """``add_transfer`` (no request id); False when the id was just taken by a concurrent
        insert (an open and a withdrawal of the same transfer racing)."""
        try:
            with self.s.begin_nested():
                self.add_transfer(t, "")
        except IntegrityError:
            return False
        return True

    def open_transfer_source(self, t: Transfer) -> None:
        """Cross-cell, destination side: what the source cell answered (record, its number
        and managing institution)."""
        self.s.execute(
            update(_XFER)
            .where(_XFER.c.id == t.transfer_id)
            .values(
                record_id=t.record_id,
                record_number=t.record_number,
                source_tenant_id=t.source_tenant_id,
            )
        )

    # -- cross-cell bundles ------------------------------------------------------------------------
    def export_bundle(self, record_id: str) -> dict[str, Any]:
        """The record and everything that moves with it, as JSON-ready rows: its history,
        check-ups and follow-ups, and its open work (plans and tasks)."""

        def rows(table: Any, *where: Any) -> list[dict[str, Any]]:
            found = self.s.execute(select(table).where(*where)).mappings().all()
            return [{k: _jsonable(v) for k, v in r.items() if k != "request_id"} for r in found]

        record = rows(_REC, _REC.c.id == record_id)[0]
        return {
            "format": BUNDLE_FORMAT,
            "record": record,
            "check_ups": rows(_CHK, _CHK.c.record_id == record_id),
            "follow_ups": rows(_FUP, _FUP.c.record_id == record_id),
            "plans": rows(_PLAN, _PLAN.c.record_id == record_id, _PLAN.c.state == "open"),
            "events": rows(_EVT, _EVT.c.record_id == record_id),
            "tasks": rows(_TASK, _TASK.c.record_id == record_id, _TASK.c.state == "open"),
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
        values = _from_json(_REC, bundle["record"])
        if self.get(values["id"]) is not None:
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
                self.s.execute(insert(_REC).values(**values))
        except IntegrityError:
            raise RecordTaken from None
        record = self.get(values["id"])
        assert record is not None
        return record

    def import_bundle(self, bundle: dict[str, Any], record: HealthRecord) -> int:
        """Insert the bundle's rows under ``record`` (already added); returns the open plans.
        When the record came back under a new id (``import_record``), every row gets a new
        id too, in the bundle's order (ids sort by creation, so the history keeps its order),
        since the trace here still holds its copies under the old ones."""
        with self._counted(record.record_id):
            renew = record.record_id != bundle["record"]["id"]
            new_ids: dict[str, str] = {}

            def local(row_id: str) -> str:
                if not renew:
                    return row_id
                return new_ids.setdefault(row_id, new_id())

            for table, key in ((_CHK, "check_ups"), (_FUP, "follow_ups"), (_EVT, "events")):
                for row in sorted(bundle[key], key=lambda r: str(r["id"])):
                    values = _from_json(table, row)
                    values.update(id=local(values["id"]), record_id=record.record_id)
                    self.s.execute(insert(table).values(**values))
            for row in bundle.get("tasks", []):
                values = _from_json(_TASK, row)
                values.update(
                    id=local(values["id"]),
                    record_id=record.record_id,
                    follow_up_id=local(values["follow_up_id"]) if values["follow_up_id"] else "",
                    scope_path=record.scope_path,
                )
                self.s.execute(insert(_TASK).values(**values))
            for row in bundle["plans"]:
                values = _from_json(_PLAN, row)
                values.update(
                    record_id=record.record_id,
                    scope_path=record.scope_path,
                    managing_tenant_id=record.managing_tenant_id,
                    team_id="",
                )
                self.s.execute(insert(_PLAN).values(**values))
        return len(bundle["plans"])

    def hand_over_tasks(self, record_id: str) -> int:
        """The record's open tasks went to another cell with it: ``moved`` here, no longer
        open work of this cell's institution; returns how many."""
        result = self.s.execute(
            update(_TASK)
            .where(_TASK.c.record_id == record_id, _TASK.c.state == "open")
            .values(state="moved")
        )
        return int(cast(CursorResult, result).rowcount)

    def decide_transfer(self, t: Transfer, request_id: str) -> None:
        self.s.execute(
            update(_XFER)
            .where(_XFER.c.id == t.transfer_id)
            .values(
                state=t.state.value,
                decline_reason=t.decline_reason,
                moved_plans=t.moved_plans,
                decide_time=t.decide_time,
                decide_request_id=request_id or None,
                escalation=json.dumps(t.escalation, ensure_ascii=False, sort_keys=True),
                abandon_reason=t.abandon_reason,
            )
        )

    def transfer(self, transfer_id: str, *, for_update: bool = False) -> Transfer | None:
        query = select(_XFER).where(_XFER.c.id == transfer_id)
        if for_update:
            query = query.with_for_update()
        row = self.s.execute(query).first()
        return _transfer(row) if row else None

    def transfer_by_request(self, request_id: str) -> Transfer | None:
        row = self.s.execute(
            select(_XFER).where(
                or_(_XFER.c.request_id == request_id, _XFER.c.decide_request_id == request_id)
            )
        ).first()
        return _transfer(row) if row else None

    def unacknowledged_inbound(self, before: datetime) -> list[Transfer]:
        """Cross-cell, destination side: PENDING requests made before ``before`` that the
        source cell never answered (no record id yet)."""
        rows = self.s.execute(
            select(_XFER).where(
                _XFER.c.record_id == "",
                _XFER.c.state == TransferState.PENDING.value,
                _XFER.c.peer_region != "",
                _XFER.c.create_time < before,
            )
        )
        return [_transfer(r) for r in rows]

    def pending_transfer(self, record_id: str) -> Transfer | None:
        row = self.s.execute(
            select(_XFER).where(
                _XFER.c.record_id == record_id, _XFER.c.state == TransferState.PENDING.value
            )
        ).first()
        return _transfer(row) if row else None

    def transfers(
        self, tenant_id: str, scopes: Sequence[str], after: str | None, limit: int
    ) -> list[Transfer]:
        """Transfers into or out of ``tenant_id`` that either side of which ``scopes`` reach:
        the source keeps this trace of the records it handed over."""
        query = select(_XFER).where(
            or_(
                _XFER.c.source_tenant_id == tenant_id,
                _XFER.c.destination_tenant_id == tenant_id,
            ),
            or_(
                within_scopes(_XFER.c.source_scope, scopes),
                within_scopes(_XFER.c.destination_scope, scopes),
            ),
        )
        if after:
            query = query.where(_XFER.c.id < after)
        rows = self.s.execute(query.order_by(_XFER.c.id.desc()).limit(limit))
        return [_transfer(r) for r in rows]

    # -- family-doctor teams and contracts ------------------------------------------------------
    def add_team(self, team: CareTeam, request_id: str) -> None:
        self.s.execute(
            insert(_TEAM).values(
                id=team.team_id,
                tenant_id=team.tenant_id,
                display_name=team.display_name,
                create_time=team.create_time,
                request_id=request_id or None,
            )
        )

    def team(self, team_id: str) -> CareTeam | None:
        row = self.s.execute(select(_TEAM).where(_TEAM.c.id == team_id)).first()
        if row is None:
            return None
        return CareTeam(row.id, row.tenant_id, row.display_name, utc(row.create_time))  # type: ignore[arg-type]

    def team_by_request(self, request_id: str) -> CareTeam | None:
        row = self.s.execute(select(_TEAM.c.id).where(_TEAM.c.request_id == request_id)).first()
        return self.team(row.id) if row else None

    def teams(self, tenant_id: str) -> list[CareTeam]:
        rows = self.s.execute(
            select(_TEAM).where(_TEAM.c.tenant_id == tenant_id).order_by(_TEAM.c.id)
        )
        return [CareTeam(r.id, r.tenant_id, r.display_name, utc(r.create_time)) for r in rows]  # type: ignore[arg-type]

    def add_contract(self, c: Contract, request_id: str) -> None:
        self.s.execute(
            insert(_CON).values(
                id=c.contract_id,
                record_id=c.record_id,
                active_record_id=c.record_id if c.state == "active" else None,
                team_id=c.team_id,
                tenant_id=c.tenant_id,
                state=c.state,
                start_date=c.start_date,
                end_date=c.end_date,
                end_reason=c.end_reason,
                create_time=c.create_time,
                request_id=request_id or None,
            )
        )

    def save_contract(self, c: Contract) -> None:
        self.s.execute(
            update(_CON)
            .where(_CON.c.id == c.contract_id)
            .values(
                active_record_id=c.record_id if c.state == "active" else None,
                team_id=c.team_id,
                state=c.state,
                end_date=c.end_date,
                end_reason=c.end_reason,
            )
        )

    def contract(self, contract_id: str) -> Contract | None:
        row = self.s.execute(select(_CON).where(_CON.c.id == contract_id)).first()
        return _contract(row) if row else None

    def contract_by_request(self, request_id: str) -> Contract | None:
        row = self.s.execute(select(_CON).where(_CON.c.request_id == request_id)).first()
        return _contract(row) if row else None

    def active_contract(self, record_id: str) -> Contract | None:
        row = self.s.execute(select(_CON).where(_CON.c.active_record_id == record_id)).first()
        return _contract(row) if row else None

    def end_active_contract(self, record_id: str, reason: str) -> None:
        """The record left its institution: the contract with that institution's team ends."""
        contract = self.active_contract(record_id)
        if contract is not None:
            self.save_contract(replace(contract, state="ended", end_reason=reason))

    def contracts(self, record_id: str) -> list[Contract]:
        rows = self.s.execute(
            select(_CON).where(_CON.c.record_id == record_id).order_by(_CON.c.id.desc())
        )
        return [_contract(r) for r in rows]

    # -- indicators ------------------------------------------------------------------------------
    def set_population(self, region_code: str, as_of: date, population: int) -> None:
        self.s.execute(delete(_POP).where(_POP.c.region_code == region_code, _POP.c.as_of == as_of))
        self.s.execute(
            insert(_POP).values(region_code=region_code, as_of=as_of, population=population)
        )

    def population(self, region_code: str, as_of: date) -> int:
        """The region's latest figure from on or before ``as_of``; 0 when none."""
        value = self.s.execute(
            select(_POP.c.population)
            .where(_POP.c.region_code == region_code, _POP.c.as_of <= as_of)
            .order_by(_POP.c.as_of.desc())
            .limit(1)
        ).scalar()
        return int(value or 0)

    def indicator_counts(
        self, scope: str, tenant_id: str, as_of: date
    ) -> dict[str, dict[str, int]]:
        """Per managing institution under ``scope`` (or only ``tenant_id``) with records in
        force on ``as_of``: the six counts, summed from ``indicator_count`` (at most ~50 rows
        per institution). Equal to ``exact_indicator_counts`` for every date."""

        def lit(name: str, value: object) -> Any:
            # Rendered into the statement: a prepared generic plan cannot turn a bound LIKE
            # prefix into an index range.
            return bindparam(name, value, String, literal_execute=True)

        in_scope = or_(
            _COUNT.c.scope_path == lit("scope", scope),
            _COUNT.c.scope_path.like(lit("below", like_prefix(scope)), escape="\\"),
        )
        if tenant_id:
            in_scope = and_(in_scope, _COUNT.c.managing_tenant_id == lit("tenant", tenant_id))
        sums = [func.sum(_COUNT.c[m]).label(m) for m in indicator_counts.METRICS]
        rows = self.s.execute(
            select(_COUNT.c.managing_tenant_id, *sums)
            .where(in_scope, indicator_counts.as_of_rows(_COUNT, as_of))
            .group_by(_COUNT.c.managing_tenant_id)
            .having(func.sum(_COUNT.c.records) > 0)
        ).all()
        return {
            r.managing_tenant_id: {m: int(getattr(r, m)) for m in indicator_counts.METRICS}
            for r in rows
        }

    def rebuild_indicator_counts(self) -> int:
        """Recompute every count row from the records (after a bulk load that bypassed the
        repository); returns the records read."""
        self.s.execute(delete(_COUNT))
        return indicator_counts.backfill(self.s)

    def exact_indicator_counts(
        self, scope: str, tenant_id: str, as_of: date
    ) -> dict[str, dict[str, int]]:
        """The same counts recomputed from the records' own dates, a pass over every record,
        plan and visit of the year under ``scope``: what ``indicator_count`` must always sum
        to (tests check it after every kind of write). Not on any request path: at a million
        records it takes seconds. Served by ix_health_record_indicators (index-only on
        PostgreSQL) and one pass over the visits and check-ups of the year."""

        # The scope and the dates are rendered into the statements (literal_execute): once
        # prepared, a generic plan guesses the selectivity of a bound LIKE and of the visit
        # window, and at a million records it then loops over the visits for every plan.
        if self.s.dialect.name == "postgresql":  # and no generic plan for this transaction
            self.s.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))

        def lit(name: str, value: object, type_: Any = String) -> Any:
            return bindparam(name, value, type_, literal_execute=True)

        year_ago = lit("year_ago", as_of - indicator_counts.USE_WINDOW, Date)
        day = lit("as_of", as_of, Date)
        end = lit(
            "end",
            datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=UTC),
            DateTime(timezone=True),
        )
        in_force = and_(
            or_(
                _REC.c.scope_path == lit("scope", scope),
                _REC.c.scope_path.like(lit("below", like_prefix(scope)), escape="\\"),
            ),
            # drafts are not records yet; a record handed over to another cell counts there
            _REC.c.state.notin_([RecordState.DRAFT.value, RecordState.TRANSFERRED.value]),
            _REC.c.create_time < end,
            or_(_REC.c.termination_date.is_(None), _REC.c.termination_date > day),
        )
        if tenant_id:
            in_force = and_(in_force, _REC.c.managing_tenant_id == lit("tenant", tenant_id))
        # Records with a follow-up visit or a check-up within the year: one pass over the
        # visits of the window joined to the records (not two probes per record).
        used = union(
            select(_FUP.c.record_id.label("record_id")).where(
                _FUP.c.visit_date > year_ago, _FUP.c.visit_date <= day
            ),
            select(_CHK.c.record_id.label("record_id")).where(
                _CHK.c.exam_date > year_ago, _CHK.c.exam_date <= day
            ),
        ).subquery("used")
        rows = self.s.execute(
            select(
                _REC.c.managing_tenant_id,
                func.count().label("records"),
                func.sum(case((_REC.c.missing_items == 0, 1), else_=0)).label("qualified"),
            )
            .where(in_force)
            .group_by(_REC.c.managing_tenant_id)
        ).all()
        dynamic: dict[str, int] = {
            tenant: int(count)
            for tenant, count in self.s.execute(
                select(_REC.c.managing_tenant_id, func.count())
                .select_from(_REC.join(used, used.c.record_id == _REC.c.id))
                .where(in_force)
                .group_by(_REC.c.managing_tenant_id)
            ).all()
        }
        result = {
            r.managing_tenant_id: {
                "records": int(r.records),
                "dynamic": int(dynamic.get(r.managing_tenant_id, 0)),
                "qualified": int(r.qualified or 0),
                "plans": 0,
                "followed": 0,
                "timely": 0,
            }
            for r in rows
        }
        visits = (
            select(_FUP.c.record_id, _FUP.c.program, func.count().label("n"))
            .where(_FUP.c.visit_date > year_ago, _FUP.c.visit_date <= day)
            .group_by(_FUP.c.record_id, _FUP.c.program)
            .subquery("visits")
        )
        plans = self.s.execute(
            select(
                _REC.c.managing_tenant_id,
                func.count().label("plans"),
                func.sum(
                    case(
                        (func.coalesce(visits.c.n, 0) >= indicator_counts.FOLLOWED_VISITS, 1),
                        else_=0,
                    )
                ).label("followed"),
                func.sum(case((_PLAN.c.next_due_date >= day, 1), else_=0)).label("timely"),
            )
            .select_from(
                _PLAN.join(_REC, _REC.c.id == _PLAN.c.record_id).outerjoin(
                    visits,
                    and_(
                        visits.c.record_id == _PLAN.c.record_id,
                        visits.c.program == _PLAN.c.program,
                    ),
                )
            )
            .where(in_force, _PLAN.c.state == "open")
            .group_by(_REC.c.managing_tenant_id)
        ).all()
        for r in plans:
            counts = result.setdefault(
                r.managing_tenant_id,
                {
                    "records": 0,
                    "dynamic": 0,
                    "qualified": 0,
                    "plans": 0,
                    "followed": 0,
                    "timely": 0,
                },
            )
            counts.update(
                plans=int(r.plans), followed=int(r.followed or 0), timely=int(r.timely or 0)
            )
        return result

    # -- spot checks -----------------------------------------------------------------------------
    def add_spot_check(
        self, check: SpotCheck, created_by: str, sample_size: int, request_id: str
    ) -> list[str]:
        """Store the check and sample up to ``sample_size`` active records under its scope at
        random; returns the sampled record ids."""
        self.s.execute(
            insert(_SPOT).values(
                id=check.spot_check_id,
                parent=check.parent,
                scope_path=check.scope_path,
                created_by=created_by,
                create_time=check.create_time,
                request_id=request_id or None,
            )
        )
        ids = list(
            self.s.execute(
                select(_REC.c.id)
                .where(
                    within_scopes(_REC.c.scope_path, [check.scope_path]),
                    _REC.c.state == RecordState.ACTIVE.value,
                )
                .order_by(func.random())
                .limit(sample_size)
            ).scalars()
        )
        if ids:
            self.s.execute(
                insert(_SPOT_ITEM),
                [{"spot_check_id": check.spot_check_id, "record_id": i} for i in ids],
            )
        return ids

    def spot_check(self, spot_check_id: str) -> SpotCheck | None:
        row = self.s.execute(select(_SPOT).where(_SPOT.c.id == spot_check_id)).first()
        return SpotCheck(row.id, row.parent, row.scope_path, utc(row.create_time)) if row else None  # type: ignore[arg-type]

    def spot_check_by_request(self, request_id: str) -> SpotCheck | None:
        row = self.s.execute(select(_SPOT.c.id).where(_SPOT.c.request_id == request_id)).first()
        return self.spot_check(row.id) if row else None

    def sample(self, spot_check_id: str) -> list[str]:
        return list(
            self.s.execute(
                select(_SPOT_ITEM.c.record_id)
                .where(_SPOT_ITEM.c.spot_check_id == spot_check_id)
                .order_by(_SPOT_ITEM.c.record_id)
            ).scalars()
        )

    def add_finding(self, f: Finding) -> None:
        self.s.execute(
            insert(_FIND).values(
                id=f.finding_id, spot_check_id=f.spot_check_id, record_id=f.record_id, item=f.item,
                description=f.description, state=f.state, resolution=f.resolution,
                create_time=f.create_time, resolve_time=f.resolve_time,
            )
        )  # fmt: skip

    def resolve_finding(self, f: Finding) -> None:
        self.s.execute(
            update(_FIND)
            .where(_FIND.c.id == f.finding_id)
            .values(state=f.state, resolution=f.resolution, resolve_time=f.resolve_time)
        )

    def finding(self, finding_id: str) -> Finding | None:
        row = self.s.execute(select(_FIND).where(_FIND.c.id == finding_id)).first()
        return _finding(row) if row else None

    def findings(
        self, spot_check_id: str = "", record_id: str = "", state: str = ""
    ) -> list[Finding]:
        query = select(_FIND)
        if spot_check_id:
            query = query.where(_FIND.c.spot_check_id == spot_check_id)
        if record_id:
            query = query.where(_FIND.c.record_id == record_id)
        if state:
            query = query.where(_FIND.c.state == state)
        return [_finding(r) for r in self.s.execute(query.order_by(_FIND.c.id))]
