"""What one pregnancy or one child adds to the indicator counts, as plain Python: the rules
that the maintained counts (counts.py) follow, mirroring the exact recomputation in SQL
(``IndicatorStore.exact_counts``) count for count.

Every indicator is read as of a date D over the 12 months ending on it (domain.period_of:
[D − 364, D]), and some depend on D itself (a child is 0–6 on D; a report is still open on
D). None of that is recomputed per read: each thing counted is 1 on a set of as-of days that
follows from its own rows, written as day intervals in as-of-date space, and stored as +1 on
the day an interval opens and −1 on the day it closes (rhip.kit.day_counts). A read sums
every change on or before D. So:

* an event on day e (a registration, a delivery, a 6-year visit) counts for D in [e, e + 365):
  it is inside the period of exactly those as-of dates;
* a child counts from the later of birth and enrolment until the day it turns 7, and is seen
  on the days within a year after one of its visits, clipped to that;
* a high-risk pregnancy counts on the days within a year after one of its reports, and is
  managed on those days on which none of its reports filed by then was still open.

Future as-of days are already in the rows (the −1 a year after a registration), so the
counts stay exact whatever today is, with no sweeper and no fallback."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from rhip.kit.day_counts import Change, Interval, clip, minus, steps, union
from rhip.mch.indicators.domain import CHILD_YEARS, POOR_VISION_6Y, POSTPARTUM_VISIT_DAYS

# Bump whenever a rule here changes what a pregnancy or child counts for: the service then
# recomputes every count row once after migrating (counts.bring_up_to_date).
RULES_VERSION = 2  # 2: days of creation are China days (stored_day)
WINDOW = timedelta(days=365)  # an event on e is in the period of the as-of days [e, e + 365)


@dataclass(frozen=True)
class DeliveryFacts:
    delivered: date
    discharged: date
    live_births: int  # live-born newborns
    newborns_visited: int  # of them, those whose child record has the newborn visit


@dataclass(frozen=True)
class ReportFacts:
    filed: date  # China day of create_time
    open_until: date | None  # China day of the acknowledgement; None while open
    is_open: bool  # state OPEN


@dataclass(frozen=True)
class PregnancyFacts:
    tenant_id: str
    scope_path: str
    registered: date
    early: bool
    deliveries: tuple[DeliveryFacts, ...]
    postpartum_home: tuple[date, ...]  # days of the postpartum home visits
    reports: tuple[ReportFacts, ...]


@dataclass(frozen=True)
class ChildVisitFacts:
    day: date
    eye: bool  # an eye item was recorded
    slot: str
    acuity_left: float
    acuity_right: float


@dataclass(frozen=True)
class ChildFacts:
    tenant_id: str
    scope_path: str
    born: date
    enrolled: date  # China day of create_time
    visits: tuple[ChildVisitFacts, ...]


def _year_after(day: date) -> Interval:
    return (day, day + WINDOW)


def turns_seven(born: date) -> date:
    """The first as-of day on which a child born on ``born`` is no longer under 7 by
    domain.Period.born_after (a 29 February child turns 7 on 1 March)."""
    try:
        return born.replace(year=born.year + CHILD_YEARS)
    except ValueError:
        return date(born.year + CHILD_YEARS, 3, 1)


def _put(
    out: Counter[Change], scope: str, tenant: str, metric: str, intervals: Iterable[Interval]
) -> None:
    for day, step in steps(intervals):
        out[(scope, tenant, day, metric)] += step


def pregnancy_contribution(facts: PregnancyFacts | None) -> Counter[Change]:
    out: Counter[Change] = Counter()
    if facts is None:
        return out
    scope, tenant = facts.scope_path, facts.tenant_id

    def put(metric: str, intervals: Iterable[Interval]) -> None:
        _put(out, scope, tenant, metric, intervals)

    registered = [_year_after(facts.registered)]
    put("registered", registered)
    put("early", registered if facts.early else [])
    for d in facts.deliveries:
        if not d.live_births:
            continue  # live deliveries only
        year = [_year_after(d.delivered)]
        visited = any(
            0 <= (v - d.discharged).days <= POSTPARTUM_VISIT_DAYS for v in facts.postpartum_home
        )
        put("live_deliveries", year)
        put("postpartum_visited", year if visited else [])
        put("live_births", year * d.live_births)
        put("newborns_visited", year * d.newborns_visited)
    high_risk = union(_year_after(r.filed) for r in facts.reports)
    # A report is still open on the days from its filing until its acknowledgement (for
    # ever while OPEN); one acknowledged later counts as open on the days before.
    still_open: list[Interval] = [
        (r.filed, None if r.is_open else r.open_until)
        for r in facts.reports
        if r.is_open or r.open_until is not None
    ]
    put("high_risk", high_risk)
    put("high_risk_managed", minus(high_risk, still_open))
    return out


def _poor(v: ChildVisitFacts) -> bool:
    return any(0 < a < POOR_VISION_6Y for a in (v.acuity_left, v.acuity_right))


def child_contribution(facts: ChildFacts | None) -> Counter[Change]:
    out: Counter[Change] = Counter()
    if facts is None:
        return out
    scope, tenant = facts.scope_path, facts.tenant_id

    def put(metric: str, intervals: Iterable[Interval]) -> None:
        _put(out, scope, tenant, metric, intervals)

    # Counted on the as-of days on which it is born, enrolled and under 7.
    counted: Interval = (max(facts.born, facts.enrolled), turns_seven(facts.born))
    assert counted[1] is not None
    if counted[0] < counted[1]:
        put("children", [counted])
        put("children_seen", clip(union(_year_after(v.day) for v in facts.visits), counted))
        put(
            "children_eye_checked",
            clip(union(_year_after(v.day) for v in facts.visits if v.eye), counted),
        )
    # Every 6-year visit with acuity measured counts once, whatever the child's age on D.
    measured = [
        v for v in facts.visits if v.slot == "Y6" and (v.acuity_left > 0 or v.acuity_right > 0)
    ]
    put("acuity_6y", [_year_after(v.day) for v in measured])
    put("poor_vision_6y", [_year_after(v.day) for v in measured if _poor(v)])
    return out


def change(before: Counter[Change], after: Counter[Change]) -> Counter[Change]:
    """What a write that turned the contributions ``before`` into ``after`` adds."""
    diff = Counter(after)
    diff.subtract(before)
    return diff
