"""Pregnancy episodes as plain Python (DOMAIN §3.1, §9): registration rules, the national
antenatal schedule with its gestational-age windows, and the episode's state machine.
No gRPC, no SQL."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import Enum

from rhip.kit.errors import FailedPrecondition, Violations, invalid
from rhip.mch.risk.screening import RiskScreening

TERM_DAYS = 280  # EDD = LMP + 280 days (Naegele)
MAX_GA_DAYS = 42 * 7 + 6  # 42w6d: beyond it the dates are wrong
EARLY_LIMIT_DAYS = 13 * 7  # national indicator: registered before 13w0d


class PregnancyState(Enum):
    REGISTERED = "REGISTERED"
    ANTENATAL = "ANTENATAL"
    DELIVERED = "DELIVERED"
    TERMINATED = "TERMINATED"
    POSTPARTUM_VISITED = "POSTPARTUM_VISITED"
    CHECK_42D_DONE = "CHECK_42D_DONE"
    CLOSED = "CLOSED"  # shown from Pregnancy.close_date on (Pregnancy.as_of), not stored

    @property
    def open(self) -> bool:
        """Before delivery: the woman's one open pregnancy."""
        return self in (PregnancyState.REGISTERED, PregnancyState.ANTENATAL)

    @property
    def postpartum(self) -> bool:
        """Delivered, the 42-day check still to come."""
        return self in (PregnancyState.DELIVERED, PregnancyState.POSTPARTUM_VISITED)

    @property
    def delivered(self) -> bool:
        """Delivered, whether or not the episode is over."""
        return self in AFTER_DELIVERY


AFTER_DELIVERY = frozenset(
    {
        PregnancyState.DELIVERED,
        PregnancyState.POSTPARTUM_VISITED,
        PregnancyState.CHECK_42D_DONE,
        PregnancyState.CLOSED,
    }
)


class VisitKind(Enum):
    ANTENATAL = "ANTENATAL"
    POSTPARTUM_HOME = "POSTPARTUM_HOME"
    CHECK_42D = "CHECK_42D"


class TerminationReason(Enum):
    MISCARRIAGE = "MISCARRIAGE"
    INDUCED = "INDUCED"
    ECTOPIC = "ECTOPIC"
    LOST = "LOST"
    OTHER = "OTHER"


@dataclass(frozen=True)
class Slot:
    number: int
    start_days: int  # gestational age, inclusive
    end_days: int  # inclusive


# The five antenatal checks of the national service specification (DOMAIN §3.1):
# before 13w, 16–20w, 21–24w, 28–36w, 37–40w (each to the last day of its week).
SLOTS = (
    Slot(1, 0, 13 * 7 - 1),
    Slot(2, 16 * 7, 20 * 7 + 6),
    Slot(3, 21 * 7, 24 * 7 + 6),
    Slot(4, 28 * 7, 36 * 7 + 6),
    Slot(5, 37 * 7, 40 * 7 + 6),
)


def slot_of(ga_days: int) -> int:
    """The slot whose window holds ``ga_days``; 0 for an extra visit between windows."""
    return next((s.number for s in SLOTS if s.start_days <= ga_days <= s.end_days), 0)


def next_slot_after(ga_days: int) -> Slot | None:
    """The first slot whose window opens after a visit at ``ga_days``."""
    return next((s for s in SLOTS if s.start_days > ga_days), None)


def missed_slot(ga_days: int, done: set[int]) -> int:
    """For an antenatal visit outside every window: the latest slot closed before it without
    a visit (the one it came late for), else 0."""
    if slot_of(ga_days):
        return 0
    closed = [s.number for s in SLOTS if s.end_days < ga_days and s.number not in done]
    return closed[-1] if closed else 0


HOME_VISIT_DAYS = 7  # the postpartum home visit: within a week of discharge (DOMAIN §3.1)
CHECK_42D_DAY = 42  # the 42-day check: postpartum day 42; risk grading covers up to it (§3.2)
# Without the 42-day check, the episode stays on the overdue list this many days after the
# check's window closed (time for the institution to chase her), then it is CLOSED with the
# check MISSED: an overdue list that holds every woman who never came back is no list.
CHASE_DAYS = 28
REFERRAL_DAYS = 14  # an abnormal antenatal finding is followed up within 2 weeks (§3.1)
ORANGE_RANK = 30  # risk/domain.py SEVERITY[ORANGE]: orange or red is an abnormal mother
YELLOW_RANK, RED_RANK = 20, 40  # risk/domain.py SEVERITY[YELLOW], SEVERITY[RED]
# High-risk women get more antenatal visits (DOMAIN §3.1, 4th check): the source gives no
# number, so these are the platform's (docs/domain/mch.md): a woman graded yellow (or purple
# alone) is seen at least every 4 weeks, orange every 2 weeks, red every week, from her
# grading until the last antenatal window closes (40w6d) or the pregnancy ends.
HIGH_RISK_INTERVAL_DAYS = ((RED_RANK, 7), (ORANGE_RANK, 14), (YELLOW_RANK, 28))
PURPLE_INTERVAL_DAYS = 28
ANTENATAL_END_DAYS = SLOTS[-1].end_days  # the 5th window's last day: no interval past it


def visit_interval(risk_rank: int, purple: bool) -> int:
    """The most days between two antenatal visits her grade allows; 0 below yellow (green,
    pink, ungraded): the five national checks suffice."""
    days = next((d for rank, d in HIGH_RISK_INTERVAL_DAYS if risk_rank >= rank), 0)
    return days or (PURPLE_INTERVAL_DAYS if purple else 0)


_HANDBOOK = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-]{4,28}[0-9A-Za-z]")


def validate_handbook(text: str, field: str = "handbook_number") -> str:
    text = text.strip().upper()
    if not text:
        raise invalid(field, "the mother–child handbook number is required", "HANDBOOK_REQUIRED")
    if not _HANDBOOK.fullmatch(text):
        raise invalid(field, "6–30 letters, digits or inner hyphens", "HANDBOOK_FORMAT")
    return text


def dating(
    registration: date, lmp: date | None, weeks: int | None, days: int | None, checks: Violations
) -> date | None:
    """The LMP from exactly one of the stated LMP and the stated gestational age."""
    stated_ga = weeks is not None
    if lmp is None and not stated_ga:
        checks.add("lmp_date", "set the LMP or the gestational age", "DATING_REQUIRED")
        return None
    if lmp is not None and stated_ga:
        checks.add(
            "gestational_age", "set the LMP or the gestational age, not both", "DATING_TWICE"
        )
        return None
    if stated_ga:
        assert weeks is not None and days is not None
        if not 0 <= weeks <= 42:
            checks.add("gestational_age.weeks", "must be 0–42", "GA_OUT_OF_RANGE")
        if not 0 <= days <= 6:
            checks.add("gestational_age.days", "must be 0–6", "GA_OUT_OF_RANGE")
        if not (0 <= weeks <= 42 and 0 <= days <= 6):
            return None
        return registration - timedelta(days=weeks * 7 + days)
    assert lmp is not None
    if lmp > registration:
        checks.add("lmp_date", "must not be after the registration date", "LMP_AFTER_REGISTRATION")
        return None
    if (registration - lmp).days > MAX_GA_DAYS:
        checks.add("lmp_date", "gives a gestational age beyond 42w6d", "GA_OUT_OF_RANGE")
        return None
    return lmp


@dataclass(frozen=True)
class DeliveryPlan:
    """Where she plans to deliver: the institution, its level then (identity's TenantLevel
    number) and the emergency reason for a plan below secondary level, if any."""

    tenant_id: str
    level: int
    emergency_reason: str
    planned_by: str
    plan_time: datetime


@dataclass(frozen=True)
class Pregnancy:
    pregnancy_id: str
    resident_id: str
    tenant_id: str  # the managing institution
    scope_path: str  # its tenant scope: who may see and change the episode
    state: PregnancyState
    handbook_number: str
    registration_date: date
    lmp: date
    early: bool
    within_local_deadline: bool
    next_slot: int  # 0 when no slot is left
    next_slot_end: date | None
    risk_rank: int = 0  # 0 ungraded, else the grade's severity (risk/domain.py SEVERITY)
    purple: bool = False
    delivery_id: str = ""
    termination_reason: TerminationReason | None = None
    end_date: date | None = None  # the delivery or termination date
    discharge_date: date | None = None  # after delivery: opens the home-visit window
    termination_note: str = ""
    close_date: date | None = None  # after delivery: CLOSED from this day (as_of)
    open_referral: str = ""  # the visit id whose abnormal finding awaits its follow-up
    referral_due: date | None = None  # its follow-up is due by this day
    plan: DeliveryPlan | None = None  # where she plans to deliver
    delivery_tenant_id: str = ""  # the delivering institution, once delivered
    postpartum_abnormal: bool = False  # the home visit found something abnormal
    # Graded yellow or above: the day her current visit interval began (the assessment that
    # set it) and the day her next visit is due by under it (the overdue list's other key).
    interval_from: date | None = None
    interval_due: date | None = None
    assessment_due: date | None = None  # a positive screening's assessment (risk/screening.py)
    # Her latest screening (by date, then id), kept on the episode's row by the screening's
    # own write so that a read of her, or a page of twenty, needs no read of the screenings.
    screening: RiskScreening | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None

    @property
    def edd(self) -> date:
        return self.lmp + timedelta(days=TERM_DAYS)

    def ga_on(self, day: date) -> int:
        return (day - self.lmp).days

    @property
    def registration_ga(self) -> int:
        return self.ga_on(self.registration_date)

    def as_of(self, today: date) -> Pregnancy:
        """The episode as it stands ``today``: CLOSED from its close date on. The stored state
        stays (nothing needs to run on the day); lists filter the same way in SQL."""
        if self.close_date is None or today < self.close_date or not self.state.delivered:
            return self
        return replace(self, state=PregnancyState.CLOSED, next_slot=0, next_slot_end=None)

    @property
    def check_42d_tenant(self) -> str:
        """Where the 42-day check is done (DOMAIN §3.1): a mother graded orange or red, or with
        an abnormal postpartum finding, at the delivery institution; others at the managing
        (grassroots) one."""
        abnormal = self.risk_rank >= ORANGE_RANK or self.postpartum_abnormal
        return self.delivery_tenant_id if abnormal and self.delivery_tenant_id else self.tenant_id

    @property
    def visit_interval(self) -> int:
        return visit_interval(self.risk_rank, self.purple)

    def _interval_due(self, latest_visit: date | None) -> date | None:
        """The next high-risk visit is due ``visit_interval`` days after the later of the
        interval's start and her latest antenatal visit; none once that falls past the last
        antenatal window (the 5th check covers the end) or below yellow."""
        days = self.visit_interval
        if not days or self.interval_from is None or not self.state.open:
            return None
        anchor = max(self.interval_from, latest_visit or self.interval_from)
        due = anchor + timedelta(days=days)
        return due if (due - self.lmp).days <= ANTENATAL_END_DAYS else None

    def regraded(
        self, rank: int, purple: bool, day: date, latest_visit: date | None, now: datetime
    ) -> Pregnancy:
        """Her current grade after an assessment on ``day``: a new visit interval starts on
        ``day`` when the grade changes it (yellow → orange: every 2 weeks from this
        assessment); the same interval keeps its start. After the delivery only the grade
        changes (a postpartum assessment)."""
        after = replace(self, risk_rank=rank, purple=purple, update_time=now)
        if not self.state.open:
            return after
        days = after.visit_interval
        if not days:
            return replace(after, interval_from=None, interval_due=None)
        if days != self.visit_interval or self.interval_from is None:
            after = replace(after, interval_from=day)
        return replace(after, interval_due=after._interval_due(latest_visit))

    def require_open(self) -> None:
        if not self.state.open:
            raise FailedPrecondition(
                f"the pregnancy is {self.state.value.lower()}",
                reason="PREGNANCY_CLOSED",
                metadata={"state": self.state.value},
            )

    def after_visit(self, latest_ga: int, now: datetime) -> Pregnancy:
        """After an antenatal visit, ``latest_ga`` the latest visit's gestational age: the
        next expected slot is the first to open after it (a late-recorded earlier visit does
        not move it back)."""
        self.require_open()
        nxt = next_slot_after(latest_ga)
        number = nxt.number if nxt else 0
        return replace(
            self,
            state=PregnancyState.ANTENATAL,
            next_slot=number,
            next_slot_end=self.lmp + timedelta(days=nxt.end_days) if nxt else None,
            interval_due=self._interval_due(self.lmp + timedelta(days=latest_ga)),
            update_time=now,
        )

    def delivered(
        self, delivery_id: str, tenant_id: str, day: date, discharge: date, grace_days: int,
        now: datetime,
    ) -> Pregnancy:  # fmt: skip
        """Delivered: the postpartum home visit is due within a week of discharge; without a
        42-day check the episode closes CHASE_DAYS after the check's window. An antenatal
        referral item ends with the pregnancy (the delivering institution has seen her)."""
        self.require_open()
        check_end = day + timedelta(days=CHECK_42D_DAY + grace_days)
        return replace(
            self, state=PregnancyState.DELIVERED, delivery_id=delivery_id, end_date=day,
            delivery_tenant_id=tenant_id, discharge_date=discharge, next_slot=6,
            next_slot_end=discharge + timedelta(days=HOME_VISIT_DAYS),
            close_date=check_end + timedelta(days=CHASE_DAYS + 1), open_referral="",
            referral_due=None, interval_due=None, assessment_due=None,
            update_time=now,
        )  # fmt: skip

    def postpartum_window(self, kind: VisitKind, grace_days: int) -> tuple[date, date]:
        assert self.end_date is not None and self.discharge_date is not None
        if kind is VisitKind.POSTPARTUM_HOME:
            return self.discharge_date, self.discharge_date + timedelta(days=HOME_VISIT_DAYS)
        start = self.end_date + timedelta(days=CHECK_42D_DAY)
        return start, start + timedelta(days=grace_days)

    def after_postpartum(
        self, kind: VisitKind, day: date, grace_days: int, now: datetime, abnormal: bool = False
    ) -> Pregnancy:
        """DELIVERED → POSTPARTUM_VISITED (home visit) → CHECK_42D_DONE (42-day check; it may
        come without a home visit, which then stays missed). An abnormal home-visit finding
        sends the 42-day check to the delivery institution (check_42d_tenant)."""
        if not self.state.postpartum:
            raise FailedPrecondition(
                "postpartum checks follow a delivery recorded here",
                reason="PREGNANCY_NOT_DELIVERED" if self.state.open else "PREGNANCY_CLOSED",
                metadata={"state": self.state.value},
            )
        assert self.end_date is not None
        if day < self.end_date:
            raise invalid("visit.visit_date", "is before the delivery", "VISIT_BEFORE_DELIVERY")
        if kind is VisitKind.CHECK_42D:
            # Closed from the day after the check, but not before postpartum day 43: the
            # grading covers up to day 42 (DOMAIN §3.2), so she may still be assessed.
            last = max(day, self.end_date + timedelta(days=CHECK_42D_DAY))
            return replace(
                self, state=PregnancyState.CHECK_42D_DONE, next_slot=0, next_slot_end=None,
                close_date=last + timedelta(days=1), update_time=now,
            )  # fmt: skip
        flagged = self.postpartum_abnormal or abnormal
        if self.state is PregnancyState.POSTPARTUM_VISITED:
            # another home visit (low weight, twins…)
            return replace(self, postpartum_abnormal=flagged, update_time=now)
        _, end = self.postpartum_window(VisitKind.CHECK_42D, grace_days)
        return replace(
            self, state=PregnancyState.POSTPARTUM_VISITED, next_slot=7, next_slot_end=end,
            postpartum_abnormal=flagged, update_time=now,
        )  # fmt: skip

    def terminated(
        self, reason: TerminationReason, day: date, note: str, now: datetime
    ) -> Pregnancy:
        self.require_open()
        if day < self.lmp:
            raise invalid("termination_date", "is before the LMP", "DATE_BEFORE_LMP")
        return replace(
            self, state=PregnancyState.TERMINATED, termination_reason=reason,
            end_date=day, termination_note=note, next_slot=0, next_slot_end=None,
            open_referral="", referral_due=None, interval_due=None, assessment_due=None,
            update_time=now,
        )  # fmt: skip

    def after_referral(
        self, visit_id: str, day: date, abnormal: bool, followed_up: bool
    ) -> Pregnancy:
        """An antenatal visit's effect on the referral item (DOMAIN §3.1): an abnormal finding
        opens one due in REFERRAL_DAYS (replacing any open one: the latest finding is the one
        to follow up); a follow-up closes the open one."""
        if abnormal:
            return replace(
                self, open_referral=visit_id, referral_due=day + timedelta(days=REFERRAL_DAYS)
            )
        if followed_up:
            return replace(self, open_referral="", referral_due=None)
        return self


def new_pregnancy(
    pregnancy_id: str, resident_id: str, tenant_id: str, scope: str, handbook: str,
    registration: date, lmp: date, local_weeks: int, now: datetime,
) -> Pregnancy:  # fmt: skip
    ga = (registration - lmp).days
    nxt = next_slot_after(ga)
    return Pregnancy(
        pregnancy_id=pregnancy_id,
        resident_id=resident_id,
        tenant_id=tenant_id,
        scope_path=scope,
        state=PregnancyState.REGISTERED,
        handbook_number=handbook,
        registration_date=registration,
        lmp=lmp,
        early=ga < EARLY_LIMIT_DAYS,
        within_local_deadline=ga < local_weeks * 7,
        next_slot=nxt.number if nxt else 0,
        next_slot_end=lmp + timedelta(days=nxt.end_days) if nxt else None,
        create_time=now,
        update_time=now,
    )


@dataclass(frozen=True)
class AntenatalVisit:
    visit_id: str
    pregnancy_id: str
    tenant_id: str
    visit_date: date
    ga_days: int
    slot: int
    measures: dict[str, float]  # weight_kg, systolic, diastolic, fundal_height_cm, fetal_heart_rate
    guidance: str
    create_time: datetime
    kind: VisitKind = VisitKind.ANTENATAL
    missed_slot: int = 0
    abnormal_finding: str = ""  # an abnormal finding: the visit opens a referral item
    referral_followed_up: bool = False  # it followed up the open referral
    emergency_reason: str = ""  # why a graded woman was seen below secondary level
    labs: dict[str, object] = field(default_factory=dict)  # pregnancies/labs.py
    # A postpartum home visit as read: the newborn home visits of the same day it was done
    # together with, ``childRecords/{c}/visits/{v}`` (not stored: newborn_visits.py).
    newborn_visits: tuple[str, ...] = ()
