"""Pregnancy registration and the antenatal schedule (DOMAIN §3.1, §9): who may be
registered, dating (LMP or stated gestational age, EDD), the early-registration flag, one open
pregnancy per woman, the schedule's windows and missed slots, the overdue list, termination."""

from __future__ import annotations

from datetime import date, timedelta

import grpc
import pytest
from mch.conftest import Mch, days_ago, error_info, error_reason, make_mch, rid
from rhip.api.identity.v1 import qualification_service_pb2 as qpb
from rhip.api.identity.v1 import resident_pb2
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb
from support.residents import pb as rpb
from support.residents import stub as resident_stub


@pytest.fixture
def mch(running) -> Mch:  # type: ignore[no-untyped-def]
    """The community health centre here provides midwifery, so it does the mid- and
    late-pregnancy checks itself (the rule for one that does not: test_antenatal_care.py)."""
    world = make_mch(running)
    world.grant("qs-chc", qpb.QUALIFICATION_KIND_MIDWIFERY)
    return world


def _slots(p: pb.Pregnancy) -> dict[int, int]:
    return {s.number: s.state for s in p.schedule}


def test_registration_at_10_weeks_is_early_with_edd_and_first_check_done(mch: Mch) -> None:
    p = mch.register(lmp_days_ago=70)
    lmp = date.today() - timedelta(days=70)
    assert p.state == pb.PREGNANCY_STATE_REGISTERED
    assert p.lmp_date == lmp.isoformat()
    assert p.edd == (lmp + timedelta(days=280)).isoformat()
    assert p.registration_ga_days == 70
    assert p.early_registration and p.within_local_deadline
    assert p.managing_tenant == mch.tenant("qs-chc")
    assert _slots(p) == {
        1: pb.SLOT_STATE_DONE, 2: pb.SLOT_STATE_UPCOMING, 3: pb.SLOT_STATE_UPCOMING,
        4: pb.SLOT_STATE_UPCOMING, 5: pb.SLOT_STATE_UPCOMING,
    }  # fmt: skip
    windows = [(s.window_start_days, s.window_end_days) for s in p.schedule]
    assert windows == [(0, 90), (112, 146), (147, 174), (196, 258), (259, 286)]


def test_late_registration_at_14w2d_is_accepted_but_not_early(mch: Mch) -> None:
    """DOMAIN §10 scenario 12: accepted, excluded from the early-registration numerator."""
    p = mch.register(gestational_age=mpb.GestationalAge(weeks=14, days=2))
    assert p.registration_ga_days == 100
    assert not p.early_registration
    assert p.lmp_date == (date.today() - timedelta(days=100)).isoformat()
    assert _slots(p)[1] == pb.SLOT_STATE_MISSED


def test_12w6d_is_still_early_and_13w0d_is_not(mch: Mch) -> None:
    assert mch.register("woman", lmp_days_ago=90).early_registration
    assert not mch.register("woman2", lmp_days_ago=91).early_registration


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({}, "lmp_date", "DATING_REQUIRED"),
        (
            {"lmp_date": days_ago(70), "gestational_age": mpb.GestationalAge(weeks=10)},
            "gestational_age",
            "DATING_TWICE",
        ),
        (
            {"gestational_age": mpb.GestationalAge(weeks=43)},
            "gestational_age.weeks",
            "GA_OUT_OF_RANGE",
        ),
        (
            {"gestational_age": mpb.GestationalAge(weeks=10, days=7)},
            "gestational_age.days",
            "GA_OUT_OF_RANGE",
        ),
        (
            {"gestational_age": mpb.GestationalAge(weeks=-1, days=6)},
            "gestational_age.weeks",
            "GA_OUT_OF_RANGE",
        ),
        (
            {"gestational_age": mpb.GestationalAge(weeks=10, days=-1)},
            "gestational_age.days",
            "GA_OUT_OF_RANGE",
        ),
        ({"lmp_date": days_ago(-3)}, "lmp_date", "DATE_IN_FUTURE"),
        ({"lmp_date": days_ago(400)}, "lmp_date", "GA_OUT_OF_RANGE"),
        ({"lmp_date": days_ago(301)}, "lmp_date", "GA_OUT_OF_RANGE"),  # 43w0d: a day past
        (
            {"lmp_date": days_ago(70), "registration_date": days_ago(-1)},
            "registration_date",
            "DATE_IN_FUTURE",
        ),
        (
            {"lmp_date": days_ago(70), "handbook_number": "a b"},
            "handbook_number",
            "HANDBOOK_FORMAT",
        ),
        (
            {"lmp_date": days_ago(70), "handbook_number": " "},
            "handbook_number",
            "HANDBOOK_REQUIRED",
        ),
        ({"lmp_date": days_ago(70), "request_id": "not-a-uuid"}, "request_id", "REQUEST_ID_FORMAT"),
    ],
)
def test_bad_dating_and_fields_are_invalid_argument_naming_the_field(
    mch: Mch, fields: dict, field: str, reason: str
) -> None:
    request = mpb.RegisterPregnancyRequest(
        resident=mch.residents["woman"], **{"handbook_number": "HB-000001", **fields}
    )
    with pytest.raises(grpc.RpcError) as caught:
        mch.api.RegisterPregnancy(request, metadata=mch.md("qs-doctor"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    info, violations = error_info(caught.value)
    assert field in [f for f, _ in violations]
    assert info is not None and info.reason == reason
    # nothing was written: a valid registration afterwards succeeds
    assert mch.register().state == pb.PREGNANCY_STATE_REGISTERED


def test_gestational_ages_from_0w0d_to_42w6d_are_registered(mch: Mch) -> None:
    """The bounds themselves are inside (the cases a day or a unit beyond are above)."""
    latest = mch.register("woman", gestational_age=mpb.GestationalAge(weeks=42, days=6))
    assert latest.registration_ga_days == 300 and not latest.early_registration
    by_lmp = mch.register("woman2", lmp_days_ago=300)  # 42w6d from the LMP
    assert by_lmp.registration_ga_days == 300
    earliest = mch.register("woman3", gestational_age=mpb.GestationalAge(weeks=0, days=0))
    assert earliest.registration_ga_days == 0 and earliest.early_registration


def test_one_open_pregnancy_per_woman_names_the_managing_institution(mch: Mch) -> None:
    mch.register()
    # The hospital sees her in the county's index and tries to register her again.
    with pytest.raises(grpc.RpcError) as caught:
        mch.register(by="qs-hosp-doctor")
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    info, _ = error_info(caught.value)
    assert info.reason == "PREGNANCY_EXISTS"
    assert info.metadata["managing_tenant"] == mch.tenant("qs-chc")


def test_handbook_numbers_are_unique(mch: Mch) -> None:
    mch.register(handbook_number="HB-2026-0001")
    with pytest.raises(grpc.RpcError) as caught:
        mch.register("woman2", handbook_number="hb-2026-0001")
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error_reason(caught.value) == "HANDBOOK_NUMBER_TAKEN"


def test_only_verified_living_women_are_registered(mch: Mch) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        mch.register("man")
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(caught.value) == "RESIDENT_NOT_FEMALE"
    girl = resident_stub(mch.running.channel).RegisterNewborn(
        rpb.RegisterNewbornRequest(
            resident=resident_pb2.Resident(
                display_name="刘丽之女", sex=resident_pb2.SEX_FEMALE, birth_date=days_ago(3),
                mother=mch.residents["woman"],
            )
        ),
        metadata=mch.md("qs-doctor"),
    )  # fmt: skip
    mch.residents["girl"] = girl.name
    with pytest.raises(grpc.RpcError) as caught:
        mch.register("girl")
    assert error_reason(caught.value) == "RESIDENT_NOT_VERIFIED"
    resident_stub(mch.running.channel).MarkResidentDeceased(
        rpb.MarkResidentDeceasedRequest(name=mch.residents["woman3"], death_date=days_ago(1)),
        metadata=mch.md("qs-admin"),
    )
    with pytest.raises(grpc.RpcError) as caught:
        mch.register("woman3")
    assert error_reason(caught.value) == "RESIDENT_DECEASED"


def test_a_retry_with_the_same_request_id_returns_the_same_pregnancy(mch: Mch) -> None:
    key = rid()
    first = mch.register(request_id=key, handbook_number="HB-RETRY-1")
    again = mch.register(request_id=key, handbook_number="HB-RETRY-1")
    assert again.name == first.name
    with pytest.raises(grpc.RpcError) as caught:  # the same id for another request
        mch.register("woman2", request_id=key, handbook_number="HB-RETRY-2")
    assert error_reason(caught.value) == "REQUEST_ID_REUSED"


def test_visits_fill_their_slots_and_missed_windows_show(mch: Mch) -> None:
    # Registered 10 weeks ago at 13w (late), now 23w: slot 2 (16–20w) closed unvisited.
    p = mch.register(lmp_days_ago=161, registration_date=days_ago(70))
    assert _slots(p)[1] == pb.SLOT_STATE_MISSED
    assert _slots(p)[2] == pb.SLOT_STATE_MISSED
    assert _slots(p)[3] == pb.SLOT_STATE_DUE
    visit = mch.api.RecordAntenatalVisit(
        mpb.RecordAntenatalVisitRequest(
            parent=p.name,
            visit=pb.AntenatalVisit(
                visit_date=days_ago(7), weight_kg=61.5, systolic=118, diastolic=76,
                fundal_height_cm=21, fetal_heart_rate=142, guidance="补充铁剂",
            ),
            request_id=rid(),
        ),
        metadata=mch.md("qs-doctor"),
    )  # fmt: skip
    assert visit.ga_days == 154 and visit.slot == 3
    got = mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-doctor"))
    assert got.state == pb.PREGNANCY_STATE_ANTENATAL
    assert _slots(got)[3] == pb.SLOT_STATE_DONE
    assert _slots(got)[2] == pb.SLOT_STATE_MISSED
    listed = mch.api.ListAntenatalVisits(
        mpb.ListAntenatalVisitsRequest(parent=p.name), metadata=mch.md("qs-doctor")
    )
    assert [v.slot for v in listed.visits] == [0, 3]  # the registration check, then this one
    # The registration check at 13w came after slot 1 closed: saved, tagged with that slot.
    assert [v.missed_slot for v in listed.visits] == [1, 0]


def test_a_visit_between_windows_is_tagged_with_the_slot_it_missed(mch: Mch) -> None:
    p = mch.register(lmp_days_ago=190, registration_date=days_ago(120))  # registered at 10w
    visit = mch.api.RecordAntenatalVisit(
        mpb.RecordAntenatalVisitRequest(
            parent=p.name,
            visit=pb.AntenatalVisit(visit_date=days_ago(5)),  # 26w: no window
        ),
        metadata=mch.md("qs-doctor"),
    )
    assert (visit.slot, visit.missed_slot) == (0, 3)  # 21–24w closed without a visit
    got = mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-doctor"))
    assert _slots(got)[2] == _slots(got)[3] == pb.SLOT_STATE_MISSED
    assert _slots(got)[4] == pb.SLOT_STATE_UPCOMING


@pytest.mark.parametrize(
    ("visit", "field"),
    [
        (pb.AntenatalVisit(visit_date=days_ago(-1)), "visit.visit_date"),
        (pb.AntenatalVisit(), "visit.visit_date"),
        (pb.AntenatalVisit(visit_date=days_ago(1), systolic=300, diastolic=80), "visit.systolic"),
        (pb.AntenatalVisit(visit_date=days_ago(1), systolic=120), "visit.diastolic"),
        (pb.AntenatalVisit(visit_date=days_ago(1), weight_kg=float("nan")), "visit.weight_kg"),
    ],
)
def test_bad_visits_are_invalid_argument(mch: Mch, visit: pb.AntenatalVisit, field: str) -> None:
    p = mch.register()
    with pytest.raises(grpc.RpcError) as caught:
        mch.api.RecordAntenatalVisit(
            mpb.RecordAntenatalVisitRequest(parent=p.name, visit=visit),
            metadata=mch.md("qs-doctor"),
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in [f for f, _ in error_info(caught.value)[1]]


def test_a_visit_naming_another_pregnancy_is_invalid_argument_and_writes_nothing(
    mch: Mch,
) -> None:
    own = mch.register("woman", lmp_days_ago=130, registration_date=days_ago(40))
    other = mch.register("woman2", lmp_days_ago=130, registration_date=days_ago(40))

    def visits(p: pb.Pregnancy) -> list[str]:
        reply = mch.api.ListAntenatalVisits(
            mpb.ListAntenatalVisitsRequest(parent=p.name), metadata=mch.md("qs-doctor")
        )
        return [v.name for v in reply.visits]

    before = [visits(own), visits(other)]
    for name in (f"{other.name}/antenatalVisits/{rid()}", "antenatalVisits/1"):
        with pytest.raises(grpc.RpcError) as caught:
            mch.api.RecordAntenatalVisit(
                mpb.RecordAntenatalVisitRequest(
                    parent=own.name, visit=pb.AntenatalVisit(name=name, visit_date=days_ago(1))
                ),
                metadata=mch.md("qs-doctor"),
            )
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        info, violations = error_info(caught.value)
        assert [f for f, _ in violations] == ["visit.name"]
        assert info.reason == "PREGNANCY_MISMATCH"
    assert [visits(own), visits(other)] == before
    echoed = f"{own.name}/antenatalVisits/{rid()}"  # a name of her own: the server names it
    visit = mch.api.RecordAntenatalVisit(
        mpb.RecordAntenatalVisitRequest(
            parent=own.name, visit=pb.AntenatalVisit(name=echoed, visit_date=days_ago(1))
        ),
        metadata=mch.md("qs-doctor"),
    )
    assert visit.name.startswith(f"{own.name}/antenatalVisits/") and visit.name != echoed


def test_the_overdue_list_holds_pregnancies_whose_next_window_closed(mch: Mch) -> None:
    late = mch.register("woman", lmp_days_ago=161, registration_date=days_ago(70))
    mch.register("woman2", lmp_days_ago=70)
    overdue = mch.api.ListPregnancies(
        mpb.ListPregnanciesRequest(parent=mch.tenant("qs-chc"), overdue_only=True),
        metadata=mch.md("qs-doctor"),
    )
    assert [p.name for p in overdue.pregnancies] == [late.name]
    # A visit in slot 3 moves her next slot to 28–36w: no longer overdue.
    mch.api.RecordAntenatalVisit(
        mpb.RecordAntenatalVisitRequest(
            parent=late.name, visit=pb.AntenatalVisit(visit_date=days_ago(0))
        ),
        metadata=mch.md("qs-doctor"),
    )
    overdue = mch.api.ListPregnancies(
        mpb.ListPregnanciesRequest(parent=mch.tenant("qs-chc"), overdue_only=True),
        metadata=mch.md("qs-admin"),
    )
    assert list(overdue.pregnancies) == []


def test_lists_page_and_stay_inside_the_callers_scope(mch: Mch) -> None:
    names = {mch.register(w).name for w in ("woman", "woman2", "woman3")}
    seen, token = set(), ""
    while True:
        page = mch.api.ListPregnancies(
            mpb.ListPregnanciesRequest(parent=mch.tenant("qs-chc"), page_size=2, page_token=token),
            metadata=mch.md("qs-admin"),
        )
        seen |= {p.name for p in page.pregnancies}
        token = page.next_page_token
        if not token:
            break
    assert seen == names
    for who, parent in (("nj-doctor", "qs-chc"), ("ts-doctor", "qs-chc"), ("nj-admin", "qs-chc")):
        with pytest.raises(grpc.RpcError) as caught:
            mch.api.ListPregnancies(
                mpb.ListPregnanciesRequest(parent=mch.tenant(parent)), metadata=mch.md(who)
            )
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.RpcError) as caught:
            mch.api.GetPregnancy(
                mpb.GetPregnancyRequest(name=sorted(names)[0]), metadata=mch.md(who)
            )
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_termination_needs_a_date_and_reason_and_frees_the_woman(mch: Mch) -> None:
    p = mch.register()
    for fields, field, reason in (
        (
            {"reason": pb.TERMINATION_REASON_MISCARRIAGE},
            "termination_date",
            "TERMINATION_DATE_REQUIRED",
        ),
        ({"termination_date": days_ago(1)}, "reason", "TERMINATION_REASON_REQUIRED"),
        (
            {"reason": pb.TERMINATION_REASON_OTHER, "termination_date": days_ago(1)},
            "note",
            "NOTE_REQUIRED",
        ),
    ):
        with pytest.raises(grpc.RpcError) as caught:
            mch.api.TerminatePregnancy(
                mpb.TerminatePregnancyRequest(name=p.name, **fields), metadata=mch.md("qs-doctor")
            )
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        info, violations = error_info(caught.value)
        assert field in [f for f, _ in violations] and info.reason == reason
    ended = mch.api.TerminatePregnancy(
        mpb.TerminatePregnancyRequest(
            name=p.name, reason=pb.TERMINATION_REASON_MISCARRIAGE, termination_date=days_ago(1)
        ),
        metadata=mch.md("qs-doctor"),
    )
    assert ended.state == pb.PREGNANCY_STATE_TERMINATED
    assert ended.termination_date == days_ago(1)
    assert {s.state for s in ended.schedule} <= {pb.SLOT_STATE_DONE, pb.SLOT_STATE_CLOSED}
    with pytest.raises(grpc.RpcError) as caught:  # closed: no more visits
        mch.api.RecordAntenatalVisit(
            mpb.RecordAntenatalVisitRequest(
                parent=p.name, visit=pb.AntenatalVisit(visit_date=days_ago(0))
            ),
            metadata=mch.md("qs-doctor"),
        )
    assert error_reason(caught.value) == "PREGNANCY_CLOSED"
    assert mch.register().state == pb.PREGNANCY_STATE_REGISTERED  # a new episode may start
