"""Check-up, follow-up, plan and task tables and their repository. Plans and open tasks
carry the record's scope and move with the record."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, cast

from rhip.archives.follow_ups.domain import Plan, StoredCheckUp, StoredFollowUp, Task
from rhip.archives.records.domain import HealthRecord
from rhip.archives.store import Base, StoreBase
from rhip.kit.db import utc
from rhip.kit.ids import new_id
from sqlalchemy import Date, DateTime, Index, Integer, String, Text, insert, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column


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


CHECK_UPS = cast(Any, CheckUpRow.__table__)
FOLLOW_UPS = cast(Any, FollowUpRow.__table__)
PLANS = cast(Any, FollowUpPlanRow.__table__)
TASKS = cast(Any, TaskRow.__table__)


class FollowUpsStore(StoreBase):
    # -- check-ups -------------------------------------------------------------------------------
    def add_check_up(
        self, record_id: str, form: dict[str, Any], exam: date, now: datetime, request_id: str
    ) -> StoredCheckUp:
        check_up_id = new_id()
        with self._counted(record_id):
            self.s.execute(
                insert(CHECK_UPS).values(
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
        row = self.s.execute(select(CHECK_UPS).where(CHECK_UPS.c.request_id == request_id)).first()
        return self._check_up(row) if row else None

    def check_ups(self, record_id: str) -> list[StoredCheckUp]:
        rows = self.s.execute(
            select(CHECK_UPS)
            .where(CHECK_UPS.c.record_id == record_id)
            .order_by(CHECK_UPS.c.id.desc())
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
                insert(FOLLOW_UPS).values(
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
        row = self.s.execute(
            select(FOLLOW_UPS).where(FOLLOW_UPS.c.request_id == request_id)
        ).first()
        return self._follow_up(row) if row else None

    def follow_ups(self, record_id: str, program: str = "") -> list[StoredFollowUp]:
        """Newest visit first."""
        query = select(FOLLOW_UPS).where(FOLLOW_UPS.c.record_id == record_id)
        if program:
            query = query.where(FOLLOW_UPS.c.program == program)
        rows = self.s.execute(
            query.order_by(FOLLOW_UPS.c.visit_date.desc(), FOLLOW_UPS.c.id.desc())
        )
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
            select(PLANS).where(PLANS.c.record_id == record_id, PLANS.c.program == program)
        ).first()
        return self._plan(row) if row else None

    def add_plan(self, record: HealthRecord, program: str, due: date) -> None:
        with self._counted(record.record_id):
            self.s.execute(
                insert(PLANS).values(
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
                update(PLANS)
                .where(PLANS.c.record_id == record_id, PLANS.c.program == program)
                .values(next_due_date=due, state="open")
            )

    def set_plans_state(self, record_id: str, state: str) -> None:
        with self._counted(record_id):
            self.s.execute(update(PLANS).where(PLANS.c.record_id == record_id).values(state=state))

    def overdue(
        self, scope: str, team_id: str, as_of: date, after: tuple[date, str] | None, limit: int
    ) -> list[Plan]:
        """Open plans due before ``as_of`` of one institution (or team), most overdue first;
        served by ix_follow_up_plan_scope_due / ix_follow_up_plan_team_due."""
        query = select(PLANS).where(PLANS.c.state == "open", PLANS.c.next_due_date < as_of)
        query = query.where(PLANS.c.team_id == team_id if team_id else PLANS.c.scope_path == scope)
        if team_id:
            query = query.where(PLANS.c.scope_path == scope)
        if after is not None:
            due, key = after
            query = query.where(
                or_(
                    PLANS.c.next_due_date > due,
                    (PLANS.c.next_due_date == due)
                    & ((PLANS.c.record_id + "/" + PLANS.c.program) > key),
                )
            )
        rows = self.s.execute(
            query.order_by(PLANS.c.next_due_date, PLANS.c.record_id, PLANS.c.program).limit(limit)
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
            insert(TASKS).values(
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
            select(TASKS).where(TASKS.c.record_id == record_id).order_by(TASKS.c.id)
        )
        return [self._task(r) for r in rows]

    @staticmethod
    def _task(r: Any) -> Task:
        return Task(
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

    # -- referral returns (follow_ups/referrals.py): the referral's id in follow_up_id ------
    def referral_task(self, record_id: str, referral_id: str) -> Task | None:
        row = self.s.execute(
            select(TASKS).where(
                TASKS.c.record_id == record_id,
                TASKS.c.kind == "referral_return",
                TASKS.c.follow_up_id == referral_id,
            )
        ).first()
        return self._task(row) if row else None

    def referral_suggestions(self, after: str, limit: int) -> list[tuple[Task, str, str]]:
        """Referral and urgent-referral tasks after the task id ``after``, oldest first, with
        their record's resident and managing institution (for the referral service's drafts)."""
        from rhip.archives.records.store import RECORDS  # one feature's store reads another's

        query = (
            select(TASKS, RECORDS.c.resident_id, RECORDS.c.managing_tenant_id)
            .join(RECORDS, RECORDS.c.id == TASKS.c.record_id)
            .where(TASKS.c.kind.in_(("referral_follow_up", "urgent_referral")))
        )
        if after:
            query = query.where(TASKS.c.id > after)
        rows = self.s.execute(query.order_by(TASKS.c.id).limit(limit))
        return [(self._task(r), r.resident_id, r.managing_tenant_id) for r in rows]

    def complete_referral_tasks(self, record_id: str) -> int:
        """A follow-up was recorded: every open referral-return task of the record is done."""
        done = self.s.execute(
            update(TASKS)
            .where(
                TASKS.c.record_id == record_id,
                TASKS.c.kind == "referral_return",
                TASKS.c.state == "open",
            )
            .values(state="done")
        )
        return int(done.rowcount or 0)

    def move_scope(self, record: HealthRecord) -> int:
        """Re-point the record's plans and open tasks at its (new) managing institution;
        returns the number of open plans moved. (The indicator counts follow the record's
        own institution, moved by ``save``: nothing to recount here.)"""
        moved = self.s.execute(
            update(PLANS)
            .where(PLANS.c.record_id == record.record_id)
            .values(
                scope_path=record.scope_path,
                managing_tenant_id=record.managing_tenant_id,
                team_id=record.team_id,
            )
        )
        self.s.execute(
            update(TASKS)
            .where(TASKS.c.record_id == record.record_id)
            .values(scope_path=record.scope_path)
        )
        open_plans = self.s.execute(
            select(PLANS.c.program).where(
                PLANS.c.record_id == record.record_id, PLANS.c.state == "open"
            )
        ).all()
        del moved
        return len(open_plans)
