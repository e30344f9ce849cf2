"""Risk screening (筛查), the first step of the five-colour grading (DOMAIN §3.2: screening →
assessment and grading → management): the managing institution screens her; a positive
screening asks for her assessment within 14 days, puts her on the overdue list past that day,
and the first assessment dated on or after it answers it."""

from __future__ import annotations

import grpc
import pytest
from mch.conftest import Mch, days_ago, error_info, rid
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb


def _screen(mch: Mch, p: pb.Pregnancy, who: str = "qs-doctor", request_id: str = "", **fields):  # type: ignore[no-untyped-def]
    return mch.api.RecordRiskScreening(
        mpb.RecordRiskScreeningRequest(
            parent=p.name, screening=pb.RiskScreening(**fields), request_id=request_id or rid()
        ),
        metadata=mch.md(who),
    )


def _get(mch: Mch, p: pb.Pregnancy) -> pb.Pregnancy:
    return mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-doctor"))


def _overdue(mch: Mch) -> list[str]:
    reply = mch.api.ListPregnancies(
        mpb.ListPregnanciesRequest(parent=mch.tenant("qs-chc"), overdue_only=True),
        metadata=mch.md("qs-doctor"),
    )
    return [p.name for p in reply.pregnancies]


def _assess(mch: Mch, day: str) -> None:
    mch.api.AssessPregnancyRisk(
        mpb.AssessPregnancyRiskRequest(
            mother=mch.residents["woman"], criteria=["Y-AGE-35"], assessment_date=day,
            request_id=rid(),
        ),
        metadata=mch.md("qs-hosp-doctor"),
    )  # fmt: skip


def _registered(mch: Mch) -> pb.Pregnancy:
    # At 7 weeks 30 days ago: the registration is the first check, the second window is weeks
    # away, so only a screening can put her on the overdue list.
    return mch.register(lmp_days_ago=80, registration_date=days_ago(30))


def test_a_positive_screening_asks_for_an_assessment_within_14_days(mch: Mch) -> None:
    p = _registered(mch)
    screening = _screen(mch, p, screening_date=days_ago(3), positive=True, findings=["年龄≥35岁"])
    assert screening.positive and list(screening.findings) == ["年龄≥35岁"]
    assert screening.tenant == mch.tenant("qs-chc") and screening.screened_by.startswith("user:")
    got = _get(mch, p)
    assert got.assessment_due_date == days_ago(-11) and got.screening.name == screening.name
    assert _overdue(mch) == []  # not due yet


def test_an_unassessed_positive_screening_is_overdue_until_she_is_assessed(mch: Mch) -> None:
    p = _registered(mch)
    _screen(mch, p, screening_date=days_ago(20), positive=True, findings=["HBsAg阳性"])
    assert _overdue(mch) == [p.name]
    _assess(mch, days_ago(25))  # dated before the screening: not the assessment it asked for
    assert _get(mch, p).assessment_due_date == days_ago(6)
    _assess(mch, days_ago(0))
    assert _get(mch, p).assessment_due_date == ""
    assert _overdue(mch) == []


def test_a_later_negative_screening_clears_the_due_assessment_and_an_earlier_one_does_not(
    mch: Mch,
) -> None:
    p = _registered(mch)
    _screen(mch, p, screening_date=days_ago(10), positive=True, findings=["瘢痕子宫"])
    _screen(mch, p, screening_date=days_ago(15), positive=False)  # dated before: history only
    assert _get(mch, p).assessment_due_date == days_ago(-4)
    _screen(mch, p, screening_date=days_ago(2), positive=False)
    got = _get(mch, p)
    assert got.assessment_due_date == "" and not got.screening.positive


def test_a_retry_answers_the_first_screening(mch: Mch) -> None:
    p = _registered(mch)
    key = rid()
    first = _screen(mch, p, request_id=key, positive=True, findings=["双胎"])
    again = _screen(mch, p, request_id=key, positive=True, findings=["双胎"])
    assert again.name == first.name


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"positive": True}, "screening.findings"),
        ({"positive": False, "findings": ["双胎"]}, "screening.findings"),
        ({"positive": True, "findings": ["x"] * 21}, "screening.findings"),
        ({"positive": True, "findings": ["字" * 101]}, "screening.findings[0]"),
        ({"positive": True, "findings": ["ok", "  "]}, "screening.findings[1]"),
        ({"positive": True, "findings": ["a\x00b"]}, "screening.findings[0]"),
        ({"positive": False, "screening_date": days_ago(-1)}, "screening.screening_date"),
        ({"positive": False, "screening_date": days_ago(40)}, "screening.screening_date"),
        ({"positive": False, "screening_date": "2026-13-01"}, "screening.screening_date"),
    ],
)
def test_bad_screenings_are_invalid_argument_and_change_nothing(
    mch: Mch, fields: dict, field: str
) -> None:
    p = _registered(mch)
    with pytest.raises(grpc.RpcError) as caught:
        _screen(mch, p, **fields)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    _, violations = error_info(caught.value)
    assert field in [f for f, _ in violations]
    got = _get(mch, p)
    assert not got.HasField("screening") and got.assessment_due_date == ""


def test_only_the_managing_institution_screens_an_open_pregnancy(mch: Mch) -> None:
    p = _registered(mch)
    for who in ("ts-doctor", "nj-doctor"):
        with pytest.raises(grpc.RpcError) as caught:
            _screen(mch, p, who=who, positive=True, findings=["双胎"])
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    mch.api.TerminatePregnancy(
        mpb.TerminatePregnancyRequest(
            name=p.name, reason=pb.TERMINATION_REASON_MISCARRIAGE, termination_date=days_ago(1)
        ),
        metadata=mch.md("qs-doctor"),
    )
    with pytest.raises(grpc.RpcError) as caught:
        _screen(mch, p, positive=True, findings=["双胎"])
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert not _get(mch, p).HasField("screening")


def test_termination_ends_the_due_assessment(mch: Mch) -> None:
    p = _registered(mch)
    _screen(mch, p, screening_date=days_ago(20), positive=True, findings=["HBsAg阳性"])
    mch.api.TerminatePregnancy(
        mpb.TerminatePregnancyRequest(
            name=p.name, reason=pb.TERMINATION_REASON_MISCARRIAGE, termination_date=days_ago(1)
        ),
        metadata=mch.md("qs-doctor"),
    )
    assert _get(mch, p).assessment_due_date == "" and _overdue(mch) == []


def _listed(mch: Mch) -> dict[str, pb.Pregnancy]:
    reply = mch.api.ListPregnancies(
        mpb.ListPregnanciesRequest(parent=mch.tenant("qs-chc")), metadata=mch.md("qs-doctor")
    )
    return {p.name: p for p in reply.pregnancies}


def test_a_list_page_answers_with_each_latest_screening(mch: Mch) -> None:
    """The page reads her latest screening from her row: the same as her own read, an
    earlier-dated screening recorded later leaving it be."""
    p = _registered(mch)
    other = mch.register("woman2", lmp_days_ago=80, registration_date=days_ago(30))
    latest = _screen(mch, p, screening_date=days_ago(5), positive=True, findings=["双胎"])
    _screen(mch, p, screening_date=days_ago(9), positive=False)  # dated before: history only
    listed = _listed(mch)
    assert listed[p.name].screening == latest == _get(mch, p).screening
    assert not listed[other.name].HasField("screening")


def test_the_migration_keeps_the_latest_screening_on_the_pregnancy(mch: Mch) -> None:
    """A database from before the screening was kept on the pregnancy: each episode's latest
    (by date, then record) is copied onto it, field for field; an unscreened one gets none."""
    from alembic import command
    from rhip.kit.db import alembic_config
    from rhip.mch.server import MIGRATIONS

    p = _registered(mch)
    other = mch.register("woman2", lmp_days_ago=80, registration_date=days_ago(30))
    _screen(mch, p, screening_date=days_ago(12), positive=False)
    _screen(mch, p, screening_date=days_ago(4), positive=True, findings=["瘢痕子宫", "双胎"])
    _screen(mch, p, screening_date=days_ago(8), positive=False)  # dated before: history only
    before = _get(mch, p)
    assert list(before.screening.findings) == ["瘢痕子宫", "双胎"]
    db = mch.running.cell.part("mch").db
    cfg = alembic_config(MIGRATIONS)
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "mch_0013t")
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")
    after = _get(mch, p)
    assert after.screening == before.screening and after.assessment_due_date == days_ago(-10)
    assert _listed(mch)[p.name].screening == before.screening
    assert not _get(mch, other).HasField("screening")
