"""ListPregnancies answers each pregnancy of a page as her own read (GetPregnancy) answers
her: the page's one read (PregnancyStore.find: the page with its visits) keeps each visit on its
own pregnancy across pages, and each state filter keeps the episodes in that state."""

from __future__ import annotations

from mch.conftest import Mch, days_ago, rid
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb


def _page(mch: Mch, token: str = "", **filters) -> mpb.ListPregnanciesResponse:  # type: ignore[no-untyped-def]
    return mch.api.ListPregnancies(
        mpb.ListPregnanciesRequest(parent=mch.tenant("qs-chc"), page_token=token, **filters),
        metadata=mch.md("qs-doctor"),
    )


def _get(mch: Mch, name: str) -> pb.Pregnancy:
    return mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=name), metadata=mch.md("qs-doctor"))


def test_a_page_answers_each_pregnancy_as_her_own_read_does(mch: Mch) -> None:
    seen = mch.register("woman", lmp_days_ago=84, registration_date=days_ago(40))
    mch.api.RecordAntenatalVisit(
        mpb.RecordAntenatalVisitRequest(
            parent=seen.name, visit=pb.AntenatalVisit(visit_date=days_ago(5), weight_kg=61),
            request_id=rid(),
        ),
        metadata=mch.md("qs-doctor"),
    )  # fmt: skip
    mch.api.RecordRiskScreening(
        mpb.RecordRiskScreeningRequest(
            parent=seen.name, request_id=rid(),
            screening=pb.RiskScreening(screening_date=days_ago(5), positive=True, findings=["双胎"]),
        ),
        metadata=mch.md("qs-doctor"),
    )  # fmt: skip
    waiting = mch.register("woman2", lmp_days_ago=70)
    ended = mch.register("woman3", lmp_days_ago=60)
    mch.api.TerminatePregnancy(
        mpb.TerminatePregnancyRequest(
            name=ended.name, reason=pb.TERMINATION_REASON_MISCARRIAGE,
            termination_date=days_ago(1),
        ),
        metadata=mch.md("qs-doctor"),
    )  # fmt: skip
    names = {seen.name, waiting.name, ended.name}
    listed, token = [], ""
    while True:
        page = _page(mch, token, page_size=2)
        listed += list(page.pregnancies)
        token = page.next_page_token
        if not token:
            break
    assert sorted(p.name for p in listed) == sorted(names)
    for p in listed:  # schedule (each DONE slot naming her own visit), screening, all of it
        assert p == _get(mch, p.name)
    states = {p.name: p.state for p in listed}
    assert len(set(states.values())) == 3  # ANTENATAL, REGISTERED, TERMINATED
    for state in set(states.values()):
        assert [p.name for p in _page(mch, state=state).pregnancies] == [
            name for name in sorted(names, reverse=True) if states[name] == state
        ]
