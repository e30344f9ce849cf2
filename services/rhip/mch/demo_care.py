"""mch demo data of care (``make run``): in each demo cell, pregnancies at every risk grade and
children at several ages, so that the overdue lists, the risk filters, the county's report
tasks and the indicators have something to show. The women and children are registered at the
community health centre (demo tenant 0), graded at the maternal–child hospital of the same
county (tenant 4, qualified for risk grading; the county hospital, in another county, does not
see them); fixed request ids make a second run add nothing. Development mode only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from rhip.demo import request_id
from rhip.identity.residents.documents import DocumentType, Sex, id_check_char
from rhip.identity.residents.domain import Demographics
from rhip.kit.authn import acting_as
from rhip.mch.children.birth import NOTHING_STATED, StatedFacts
from rhip.mch.children.development import DevelopmentResult
from rhip.mch.children.domain import Finding, add_months
from rhip.mch.children.screening import Hearing
from rhip.mch.children.usecases import VisitInput
from rhip.mch.usecases import MchUseCases


@dataclass(frozen=True)
class DemoPregnancy:
    key: str
    name: str
    birth: date
    weeks: int  # gestational age today, from the last menstrual period
    criteria: tuple[str, ...]  # graded at the maternal–child hospital


@dataclass(frozen=True)
class DemoChild:
    key: str
    name: str
    sex: Sex
    age_months: int
    extra_days: int  # days past the age in months: lands the visit inside its window
    visit: VisitInput | None  # recorded at the community health centre
    birth: StatedFacts = NOTHING_STATED  # stated at enrolment (no delivery record of theirs)


def _pregnancies(today: date) -> tuple[DemoPregnancy, ...]:
    return (
        DemoPregnancy("w-yellow", "王丽", date(today.year - 37, 5, 20), 24, ("Y-AGE-35",)),
        DemoPregnancy("w-orange", "李娜", date(today.year - 30, 9, 2), 16, ("O-THYROID",)),
        DemoPregnancy(
            "w-red", "张敏", date(today.year - 33, 1, 14), 33, ("R-SEVERE-HEART", "P-HBV")
        ),
    )


def _visit(
    day: date, weight: float, length: float, eye: tuple[str, ...],
    acuity: tuple[float, float] = (0.0, 0.0), screened: bool = False,
) -> VisitInput:  # fmt: skip
    """``screened``: the development check passed and both ears passed the hearing screen."""
    return VisitInput(
        day.isoformat(), weight, length, dict.fromkeys(eye, Finding.NORMAL),
        acuity[0], acuity[1], False,
        development=DevelopmentResult.PASSED if screened else None,
        hearing_left=Hearing.PASS if screened else None,
        hearing_right=Hearing.PASS if screened else None,
    )  # fmt: skip


def _born(today: date, months: int, days: int) -> date:
    return add_months(today, -months) - timedelta(days=days)


def _one_month_old(today: date, months: int, days: int) -> date:
    """The day a child of that age today was 29 days old (its one-month visit's window)."""
    return _born(today, months, days) + timedelta(days=29)


def _children(today: date) -> tuple[DemoChild, ...]:
    return (
        # Born at 35 weeks weighing 2300 g, discharged on day 10: three newborn home visits
        # (all missed: the family came for the full-month check only).
        DemoChild(
            "c-1m", "刘乐乐", Sex.MALE, 0, 29,
            _visit(today, 4.5, 55, ("EYE_APPEARANCE", "HIGH_RISK_FACTORS", "LIGHT_REACTION")),
            StatedFacts(2300, 35, discharge_date=(today - timedelta(days=19)).isoformat()),
        ),
        # Seen at one month, never since: overdue since its 3-month visit's window closed.
        DemoChild(
            "c-4m", "赵安安", Sex.FEMALE, 4, 10,
            _visit(_one_month_old(today, 4, 10), 4.2, 54, ("EYE_APPEARANCE", "LIGHT_REACTION")),
        ),
        DemoChild(
            "c-3y", "孙朵朵", Sex.FEMALE, 36, 5,
            _visit(today, 14.2, 96, ("EYE_APPEARANCE", "VISUAL_BEHAVIOUR"), screened=True),
        ),
        DemoChild(
            "c-6y", "周明", Sex.MALE, 72, 10,
            _visit(today, 21.0, 117, ("EYE_APPEARANCE", "VISUAL_ACUITY"), (0.6, 1.0)),
        ),
    )  # fmt: skip


def _id_number(county: str, birth: date, sequence: int, sex: Sex) -> str:
    """A valid demo ID number: the sex digit (17th) odd for men, even for women."""
    digit = sequence % 10
    if (digit % 2 == 1) != (sex is Sex.MALE):
        digit = (digit + 1) % 10
    body = f"{county}{birth:%Y%m%d}{sequence // 10 % 100:02d}{digit}"
    return body + id_check_char(body)


def seed_care(
    cell: str, county: str, mch: MchUseCases, residents: Any,
    doctor: Any, grader: Any, today: date,
) -> tuple[int, int]:  # fmt: skip
    """``doctor`` and ``grader``: logins (principal and access token) of the community health
    centre's and the maternal–child hospital's doctors. Answers (pregnancies, children) seeded."""
    rid: Callable[..., str] = lambda *names: request_id(cell, "mch-care", *names)  # noqa: E731

    def register(key: str, name: str, sex: Sex, birth: date, sequence: int) -> str:
        made = residents.register(
            Demographics(name, sex, birth, region_code=county), DocumentType.RESIDENT_ID_CARD,
            _id_number(county, birth, sequence, sex), "", "", "", rid(key, "resident"),
        )  # fmt: skip
        return f"residents/{made.resident.resident_id}"

    women = {}
    with acting_as(doctor.principal, doctor.access.token):
        for i, p in enumerate(_pregnancies(today)):
            women[p.key] = register(p.key, p.name, Sex.FEMALE, p.birth, 810 + i * 10)
            mch.register(
                women[p.key], f"MCH-{cell}-{i + 2:04d}", "",
                (today - timedelta(weeks=p.weeks)).isoformat(), None, rid(p.key, "pregnancy"),
            )  # fmt: skip
    with acting_as(grader.principal, grader.access.token):
        for p in _pregnancies(today):
            mch.assess(women[p.key], "", list(p.criteria), rid(p.key, "grade"))
    with acting_as(doctor.principal, doctor.access.token):
        for i, c in enumerate(_children(today)):
            birth = _born(today, c.age_months, c.extra_days)
            child = register(c.key, c.name, c.sex, birth, 850 + i * 10)
            record = mch.enroll_child(child, rid(c.key, "enrol"), c.birth)
            if c.visit is not None:
                mch.record_child_visit(
                    f"childRecords/{record.record.record_id}", c.visit, rid(c.key, "visit")
                )
    return len(women), len(_children(today))
