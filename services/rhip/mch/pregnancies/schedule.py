"""A pregnancy's maternal schedule as of a day (DOMAIN §3.1): the five antenatal slots by
gestational age, then, once delivered, the postpartum home visit (6) and the 42-day check (7),
then for a woman graded yellow or above her extra high-risk visits (8 on), each UPCOMING, DUE,
DONE, MISSED or CLOSED; and the pregnancy as answered with it. No gRPC, no SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from rhip.mch.pregnancies.domain import (
    ANTENATAL_END_DAYS,
    SLOTS,
    AntenatalVisit,
    Pregnancy,
    PregnancyState,
    Slot,
    VisitKind,
)
from rhip.mch.pregnancies.labs import first_check_pending
from rhip.mch.pregnancy_transfers.domain import PregnancyTransfer
from rhip.mch.risk.screening import RiskScreening


@dataclass(frozen=True)
class SlotView:
    slot: Slot
    start: date
    end: date
    state: str  # UPCOMING, DUE, DONE, MISSED, CLOSED
    visit_id: str
    high_risk: bool = False  # an extra visit of a woman graded yellow or above


HOME_SLOT = Slot(6, 0, 0)
CHECK_SLOT = Slot(7, 0, 0)
FIRST_HIGH_RISK_SLOT = 8


def schedule(
    p: Pregnancy, visits: list[AntenatalVisit], today: date, grace_days: int = 14
) -> list[SlotView]:
    """The slots as of ``today``: DONE by the first visit in the window; MISSED once the
    window closed without one; CLOSED when the episode ended before the window did. Once
    delivered, the postpartum home visit (6) and the 42-day check (7) follow."""
    ended = None if p.state.open else p.end_date
    first: dict[int, AntenatalVisit] = {}  # each slot's first visit (a page builds twenty)
    for v in visits:
        first.setdefault(v.slot, v)
    views = []
    for slot in SLOTS:
        start = p.lmp + timedelta(days=slot.start_days)
        end = p.lmp + timedelta(days=slot.end_days)
        done = first.get(slot.number)
        if done is not None:
            state = "DONE"
        elif ended is not None and end >= ended:
            state = "CLOSED"
        elif end < (ended or today):
            state = "MISSED"
        elif today < start:
            state = "UPCOMING"
        else:
            state = "DUE"
        views.append(SlotView(slot, start, end, state, done.visit_id if done else ""))
    if p.state.delivered:
        complete = p.state in (PregnancyState.CHECK_42D_DONE, PregnancyState.CLOSED)
        for slot, kind in (
            (HOME_SLOT, VisitKind.POSTPARTUM_HOME),
            (CHECK_SLOT, VisitKind.CHECK_42D),
        ):
            start, end = p.postpartum_window(kind, grace_days)
            done = first.get(slot.number)
            if done is not None:
                state = "DONE"
            elif end < today:
                state = "MISSED"
            elif complete:
                state = "CLOSED"
            elif today < start:
                state = "UPCOMING"
            else:
                state = "DUE"
            views.append(SlotView(slot, start, end, state, done.visit_id if done else ""))
    return views + high_risk_slots(p, visits, today)


def high_risk_slots(p: Pregnancy, visits: list[AntenatalVisit], today: date) -> list[SlotView]:
    """A woman graded yellow or above is seen at least every ``p.visit_interval`` days from
    the assessment that set her interval (DOMAIN §3.1 "more visits for high-risk women"): each
    window runs from the day after the last visit (or the interval's start, or the end of a
    missed window) for the interval; any antenatal visit in it, national check or not, fulfils
    it. Windows past the 5th check's last day are not asked for; the episode's end closes the
    open one. The stored ``interval_due`` (the overdue list) is the first such window still
    without a visit."""
    days = p.visit_interval
    if not days or p.interval_from is None:
        return []
    ended = None if p.state.open else p.end_date
    seen = sorted(
        (v for v in visits if v.kind is VisitKind.ANTENATAL),
        key=lambda v: (v.visit_date, v.visit_id),
    )
    last_day = p.lmp + timedelta(days=ANTENATAL_END_DAYS)
    anchor, number, views = p.interval_from, FIRST_HIGH_RISK_SLOT, []
    while anchor + timedelta(days=days) <= last_day:
        start, end = anchor + timedelta(days=1), anchor + timedelta(days=days)
        done = next((v for v in seen if start <= v.visit_date <= end), None)
        if done is not None:
            state, anchor = "DONE", done.visit_date
        elif ended is not None and end >= ended:
            state = "CLOSED"
        elif end < today:
            state, anchor = "MISSED", end
        else:
            state = "UPCOMING" if today < start else "DUE"
        slot = Slot(number, p.ga_on(start), p.ga_on(end))
        views.append(SlotView(slot, start, end, state, done.visit_id if done else "", True))
        if state in ("CLOSED", "UPCOMING", "DUE"):
            break
        number += 1
    return views


@dataclass(frozen=True)
class PregnancyView:
    """A pregnancy as answered: with its schedule and gestational age as of ``today``."""

    pregnancy: Pregnancy
    schedule: list[SlotView]
    current_ga: int  # 0 once closed
    first_check_pending: list[str] = field(default_factory=list)  # labs.FIRST_CHECK_ITEMS
    screening: RiskScreening | None = None  # her latest risk screening
    # The transfer of the pregnancy awaiting the other side's answer, shown with it (as a
    # child's record shows its own) so that whoever opens it knows she is on her way elsewhere.
    pending: PregnancyTransfer | None = None


def view(
    p: Pregnancy, visits: list[AntenatalVisit], today: date, grace_days: int = 14,
    pending: PregnancyTransfer | None = None,
) -> PregnancyView:  # fmt: skip
    p = p.as_of(today)
    return PregnancyView(
        p,
        schedule(p, visits, today, grace_days),
        p.ga_on(today) if p.state.open else 0,
        first_check_pending([v.labs for v in visits if v.kind is VisitKind.ANTENATAL]),
        p.screening,
        pending,
    )
