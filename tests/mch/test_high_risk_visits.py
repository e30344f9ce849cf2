"""High-risk women get more antenatal visits (DOMAIN §3.1, 4th check): graded yellow (or purple
alone) she is seen at least every 28 days, orange every 14, red every 7 (the source gives no
number: docs/domain/mch.md), from the assessment that set the interval; the extra windows show
in her schedule (slots 8 on, ``high_risk``) and a window run out puts her on the overdue list
until a visit, a lower grade or the end of the pregnancy takes her off."""

from __future__ import annotations

from mch.conftest import Mch, days_ago, rid
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb

HOSP = "qs-hosp-doctor"  # the county hospital manages and grades her (midwifery, grading)


def _visit(mch: Mch, p: pb.Pregnancy, day: str) -> pb.AntenatalVisit:
    return mch.api.RecordAntenatalVisit(
        mpb.RecordAntenatalVisitRequest(
            parent=p.name, visit=pb.AntenatalVisit(visit_date=day, weight_kg=60), request_id=rid()
        ),
        metadata=mch.md(HOSP),
    )


def _grade(mch: Mch, criteria: list[str], day: str, who: str = "woman") -> None:
    mch.api.AssessPregnancyRisk(
        mpb.AssessPregnancyRiskRequest(
            mother=mch.residents[who], criteria=criteria, assessment_date=day, request_id=rid()
        ),
        metadata=mch.md(HOSP),
    )


def _get(mch: Mch, p: pb.Pregnancy) -> pb.Pregnancy:
    return mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md(HOSP))


def _overdue(mch: Mch) -> list[str]:
    reply = mch.api.ListPregnancies(
        mpb.ListPregnanciesRequest(parent=mch.tenant("qs-hosp"), overdue_only=True),
        metadata=mch.md(HOSP),
    )
    return [p.name for p in reply.pregnancies]


def _extra(p: pb.Pregnancy) -> list[tuple[int, str, str, int]]:
    """The high-risk rows: (number, window start, window end, state)."""
    return [
        (s.number, s.window_start_date, s.window_end_date, s.state)
        for s in p.schedule
        if s.high_risk
    ]


def test_an_orange_woman_is_seen_every_two_weeks_and_overdue_when_she_is_not(mch: Mch) -> None:
    # Both at 28w4d with checks at 17w1d and 21w3d: the 4th window opened 4 days ago, so the
    # national schedule alone finds neither overdue.
    orange = mch.register(by=HOSP, lmp_days_ago=200, registration_date=days_ago(130))
    yellow = mch.register("woman2", by=HOSP, lmp_days_ago=200, registration_date=days_ago(130))
    for p in (orange, yellow):
        _visit(mch, p, days_ago(80))
        _visit(mch, p, days_ago(50))
    _grade(mch, ["Y-GDM"], days_ago(50), "woman2")
    _grade(mch, ["Y-GDM"], days_ago(50), "woman2")  # the same grade keeps its interval
    _grade(mch, ["O-HEART"], days_ago(30))
    got = _get(mch, orange)
    assert got.high_risk_visit_interval_days == 14
    assert got.high_risk_visit_due_date == days_ago(16)
    missed, due = pb.SLOT_STATE_MISSED, pb.SLOT_STATE_DUE
    assert _extra(got) == [
        (8, days_ago(29), days_ago(16), missed),
        (9, days_ago(15), days_ago(2), missed),
        (10, days_ago(1), days_ago(-12), due),
    ]
    # Yellow since 50 days ago, seen then: 28 days ran out 22 days ago.
    assert _get(mch, yellow).high_risk_visit_due_date == days_ago(22)
    assert sorted(_overdue(mch)) == sorted([orange.name, yellow.name])
    seen = _visit(mch, orange, days_ago(0))
    assert seen.slot == 4
    got = _get(mch, orange)
    assert got.high_risk_visit_due_date == days_ago(-14)
    assert _extra(got)[2:] == [
        (10, days_ago(1), days_ago(-12), pb.SLOT_STATE_DONE),
        (11, days_ago(-1), days_ago(-14), pb.SLOT_STATE_UPCOMING),
    ]
    assert [s.visit for s in got.schedule if s.number == 10] == [seen.name]
    assert _overdue(mch) == [yellow.name]


def test_regrading_restarts_the_interval_and_green_ends_it(mch: Mch) -> None:
    # At 18w4d, registered at 5w5d: the 2nd window is open, nothing national is overdue.
    p = mch.register(by=HOSP, lmp_days_ago=130, registration_date=days_ago(90))
    _grade(mch, ["Y-GDM"], days_ago(40))
    got = _get(mch, p)
    assert (got.high_risk_visit_interval_days, got.high_risk_visit_due_date) == (28, days_ago(12))
    assert _overdue(mch) == [p.name]
    _grade(mch, ["R-SEVERE-HEART"], days_ago(0))
    got = _get(mch, p)
    assert (got.high_risk_visit_interval_days, got.high_risk_visit_due_date) == (7, days_ago(-7))
    assert _extra(got) == [(8, days_ago(-1), days_ago(-7), pb.SLOT_STATE_UPCOMING)]
    assert _overdue(mch) == []
    _grade(mch, [], days_ago(0))  # reassessed green: the five national checks suffice
    got = _get(mch, p)
    assert (got.high_risk_visit_interval_days, got.high_risk_visit_due_date) == (0, "")
    assert _extra(got) == [] and _overdue(mch) == []


def test_a_purple_flag_alone_asks_for_a_visit_every_four_weeks(mch: Mch) -> None:
    p = mch.register(by=HOSP, lmp_days_ago=130, registration_date=days_ago(90))
    _grade(mch, ["P-HBV"], days_ago(30))
    got = _get(mch, p)
    assert (got.high_risk_visit_interval_days, got.high_risk_visit_due_date) == (28, days_ago(2))
    assert _overdue(mch) == [p.name]


def test_the_end_of_the_pregnancy_ends_the_interval(mch: Mch) -> None:
    p = mch.register(by=HOSP, lmp_days_ago=130, registration_date=days_ago(90))
    _grade(mch, ["O-HEART"], days_ago(20))
    assert _overdue(mch) == [p.name]
    ended = mch.api.TerminatePregnancy(
        mpb.TerminatePregnancyRequest(
            name=p.name, reason=pb.TERMINATION_REASON_MISCARRIAGE, termination_date=days_ago(0)
        ),
        metadata=mch.md(HOSP),
    )
    assert ended.high_risk_visit_interval_days == 0 and ended.high_risk_visit_due_date == ""
    assert _extra(ended) == [
        (8, days_ago(19), days_ago(6), pb.SLOT_STATE_MISSED),
        (9, days_ago(5), days_ago(-8), pb.SLOT_STATE_CLOSED),
    ]
    assert _overdue(mch) == []


def test_no_extra_window_is_asked_past_the_last_antenatal_window(mch: Mch) -> None:
    # 40w2d today: a week from now is past 40w6d, which the 5th check covers.
    p = mch.register(by=HOSP, lmp_days_ago=282, registration_date=days_ago(200))
    _grade(mch, ["R-SEVERE-HYPERTENSION"], days_ago(0))
    got = _get(mch, p)
    assert (got.high_risk_visit_interval_days, got.high_risk_visit_due_date) == (7, "")
    assert _extra(got) == []


def test_the_migration_starts_intervals_of_women_graded_before_it(mch: Mch) -> None:
    """A database from before the intervals: an open, orange episode gets one from its latest
    assessment; a green one none."""
    from alembic import command
    from rhip.kit.db import alembic_config
    from rhip.mch.server import MIGRATIONS

    orange = mch.register(by=HOSP, lmp_days_ago=130, registration_date=days_ago(90))
    green = mch.register("woman2", by=HOSP, lmp_days_ago=130, registration_date=days_ago(90))
    _grade(mch, ["Y-GDM"], days_ago(40))
    _grade(mch, ["O-HEART"], days_ago(20))
    _grade(mch, [], days_ago(20), "woman2")
    _visit(mch, orange, days_ago(10))
    db = mch.running.cell.part("mch").db
    cfg = alembic_config(MIGRATIONS)
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "mch_0008p")
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")
    got = _get(mch, orange)
    assert (got.high_risk_visit_interval_days, got.high_risk_visit_due_date) == (14, days_ago(-4))
    assert _get(mch, green).high_risk_visit_due_date == ""
