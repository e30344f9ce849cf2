"""Overdue lists per family-doctor team: ListPregnancies and ListChildRecords with
``family_doctor_team`` keep only the residents whose contract with that team (archives) is in
force today, asked at query time — an ended, moved or lapsed contract counts at once; a team of
an institution out of reach is PERMISSION_DENIED, a missing team of a reachable one NOT_FOUND,
a malformed name INVALID_ARGUMENT; a team past the IN-list cap is refused."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import grpc
import pytest
from archives.helpers import complete_form
from mch.child_support import enroll, record_visit
from mch.conftest import Mch, days_ago
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.mch import team_filter
from support.errors import expect_error
from support.residents import register_request, with_check
from support.residents import stub as resident_stub


class Teams:
    """The archives side of the mch world: records, teams and contracts of Quanshan's centre."""

    def __init__(self, mch: Mch) -> None:
        self.mch = mch
        self.api = archives_service_pb2_grpc.ArchivesServiceStub(mch.running.channel)

    def team(self, name: str, tenant: str = "qs-chc", who: str = "qs-doctor") -> str:
        return self.api.CreateCareTeam(
            apb.CreateCareTeamRequest(
                parent=self.mch.tenant(tenant), team=rec.CareTeam(display_name=name)
            ),
            metadata=self.mch.md(who),
        ).name

    def record(self, resident: str) -> str:
        md = self.mch.md("qs-doctor")
        created = self.api.CreateHealthRecord(
            apb.CreateHealthRecordRequest(
                resident=resident, township_code="001", village_code="101",
                basic_info=complete_form(),
            ),
            metadata=md,
        )  # fmt: skip
        self.api.ActivateHealthRecord(
            apb.ActivateHealthRecordRequest(name=created.name), metadata=md
        )
        return created.name

    def sign(self, record: str, team: str, start: str = "", end: str = "") -> rec.Contract:
        return self.api.SignContract(
            apb.SignContractRequest(parent=record, team=team, start_date=start, end_date=end),
            metadata=self.mch.md("qs-doctor"),
        )

    def end(self, contract: rec.Contract) -> None:
        self.api.EndContract(
            apb.EndContractRequest(name=contract.name, reason="居民解约"),
            metadata=self.mch.md("qs-doctor"),
        )

    def move(self, record: str, team: str) -> None:
        self.api.MoveRecordToTeam(
            apb.MoveRecordToTeamRequest(name=record, team=team), metadata=self.mch.md("qs-doctor")
        )

    def residents(self, team: str, who: str = "qs-doctor") -> list[str]:
        return list(
            self.api.ListContractedResidents(
                apb.ListContractedResidentsRequest(parent=team), metadata=self.mch.md(who)
            ).residents
        )


def overdue_pregnancies(mch: Mch, team: str, who: str = "qs-doctor") -> list[str]:
    request = mpb.ListPregnanciesRequest(
        parent=mch.tenant("qs-chc"), overdue_only=True, family_doctor_team=team
    )
    return [p.name for p in mch.api.ListPregnancies(request, metadata=mch.md(who)).pregnancies]


def overdue_children(mch: Mch, team: str, who: str = "qs-doctor") -> list[str]:
    request = mpb.ListChildRecordsRequest(
        parent=mch.tenant("qs-chc"), overdue_only=True, family_doctor_team=team
    )
    return [r.name for r in mch.api.ListChildRecords(request, metadata=mch.md(who)).records]


def verified_child(mch: Mch, sequence: str) -> str:
    """A verified child of Quanshan born 2026-06-01 (identity reads the birth date from the ID
    number; archives keeps records of verified residents only)."""
    return (
        resident_stub(mch.running.channel)
        .RegisterResident(
            register_request(
                with_check(f"32031120260601{sequence}"), name="刘小宝", region="320311"
            ),
            metadata=mch.md("qs-doctor"),
        )
        .resident.name
    )


def test_a_teams_overdue_pregnancies_follow_its_contracts_at_once(mch: Mch) -> None:
    t = Teams(mch)
    one, two = t.team("一组"), t.team("二组")
    first = mch.register("woman", lmp_days_ago=161, registration_date=days_ago(70)).name
    second = mch.register("woman2", lmp_days_ago=161, registration_date=days_ago(70)).name
    mch.register("woman3", lmp_days_ago=161, registration_date=days_ago(70))  # no contract
    everyone = overdue_pregnancies(mch, "")
    assert len(everyone) == 3 and {first, second} <= set(everyone)
    contract = t.sign(t.record(mch.residents["woman"]), one)
    second_record = t.record(mch.residents["woman2"])
    t.sign(second_record, two)
    assert overdue_pregnancies(mch, one) == [first]
    assert overdue_pregnancies(mch, two) == [second]
    # The county's administration sees the same list of the centre's team.
    assert overdue_pregnancies(mch, one, "qs-admin") == [first]
    # Moved to team one: on its list now, off team two's.
    t.move(second_record, one)
    assert set(overdue_pregnancies(mch, one)) == {first, second}
    assert overdue_pregnancies(mch, two) == []
    # Her contract ends: she leaves the team's list at once.
    t.end(contract)
    assert overdue_pregnancies(mch, one) == [second]
    # The page token belongs to its filter: another team's list does not take it.
    request = mpb.ListPregnanciesRequest(parent=mch.tenant("qs-chc"), page_size=1)
    token = mch.api.ListPregnancies(request, metadata=mch.md("qs-doctor")).next_page_token
    request.page_token, request.family_doctor_team = token, one
    expect_error(
        lambda: mch.api.ListPregnancies(request, metadata=mch.md("qs-doctor")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "PAGE_TOKEN_MISMATCH",
    )


def test_a_teams_overdue_children_are_its_contracted_children_only(mch: Mch) -> None:
    t = Teams(mch)
    one = t.team("儿保一组")
    contracted, other = verified_child(mch, "001"), verified_child(mch, "003")
    records = [enroll(mch, child).name for child in (contracted, other)]
    for record in records:  # at 10 days: the 1-month visit comes next, its window long closed
        record_visit(mch, record, (date(2026, 6, 1) + timedelta(days=10)).isoformat())
    assert set(overdue_children(mch, "")) == set(records)
    contract = t.sign(t.record(contracted), one)
    assert overdue_children(mch, one) == [records[0]]
    assert overdue_children(mch, one, "xz-admin") == [records[0]]
    t.end(contract)
    assert overdue_children(mch, one) == []


def test_a_lapsed_contract_no_longer_counts(mch: Mch) -> None:
    """Active but past its end date (nobody ended or renewed it): not in force today."""
    t = Teams(mch)
    one = t.team("一组")
    record = t.record(mch.residents["woman"])
    t.sign(record, one, start=days_ago(400), end=days_ago(40))
    mch.register("woman", lmp_days_ago=161, registration_date=days_ago(70))
    assert t.residents(one) == []
    assert overdue_pregnancies(mch, one) == []


def test_archives_lists_a_teams_contracted_residents_by_page(mch: Mch) -> None:
    t = Teams(mch)
    one = t.team("一组")
    for who in ("woman", "woman2", "woman3"):
        t.sign(t.record(mch.residents[who]), one)
    expected = sorted(mch.residents[w] for w in ("woman", "woman2", "woman3"))
    assert t.residents(one) == expected
    request = apb.ListContractedResidentsRequest(parent=one, page_size=2)
    md = mch.md("qs-doctor")
    first = t.api.ListContractedResidents(request, metadata=md)
    request.page_token = first.next_page_token
    rest = t.api.ListContractedResidents(request, metadata=md)
    assert list(first.residents) + list(rest.residents) == expected and not rest.next_page_token
    # Another county's administration may not read the team.
    expect_error(lambda: t.residents(one, "nj-admin"), grpc.StatusCode.PERMISSION_DENIED)


def test_a_team_of_another_institution_is_refused(mch: Mch) -> None:
    t = Teams(mch)
    tongshan = t.team("铜山一组", "ts-th", "ts-doctor")
    nanjing = t.team("鼓楼一组", "nj-chc", "nj-doctor")
    for team in (tongshan, nanjing, f"tenants/{uuid.uuid4()}/teams/{uuid.uuid4()}"):
        for list_ in (overdue_pregnancies, overdue_children):
            expect_error(
                lambda list_=list_, team=team: list_(mch, team), grpc.StatusCode.PERMISSION_DENIED
            )
        expect_error(lambda team=team: t.residents(team), grpc.StatusCode.PERMISSION_DENIED)
    # The city's administration reaches both institutions: the intersection, empty here.
    assert overdue_pregnancies(mch, tongshan, "xz-admin") == []
    # Nanjing's administration reaches Nanjing's team, not Quanshan's centre.
    expect_error(
        lambda: overdue_pregnancies(mch, nanjing, "nj-admin"), grpc.StatusCode.PERMISSION_DENIED
    )


def test_a_missing_team_of_the_callers_institution_is_not_found(mch: Mch) -> None:
    missing = f"{mch.tenant('qs-chc')}/teams/{uuid.uuid4()}"
    for list_ in (overdue_pregnancies, overdue_children):
        expect_error(
            lambda list_=list_: list_(mch, missing), grpc.StatusCode.NOT_FOUND, "TEAM_NOT_FOUND"
        )


@pytest.mark.parametrize(
    "team",
    [
        "teams/1",
        "tenants/x/teams/",
        "tenants//teams/y",
        "tenants/x/teams/y/z",
        "tenants/x/doctors/y",
        f"tenants/{'a' * 37}/teams/y",
        "tenants/x y/teams/z",
        "tenants/x/teams/'; drop table pregnancy; --",
    ],
)
def test_bad_team_names_are_invalid_argument(mch: Mch, team: str) -> None:
    for list_ in (overdue_pregnancies, overdue_children):
        expect_error(
            lambda list_=list_, team=team: list_(mch, team),
            grpc.StatusCode.INVALID_ARGUMENT,
            "RESOURCE_NAME",
            "family_doctor_team",
        )


def test_a_team_past_the_cap_is_refused(mch: Mch, monkeypatch: pytest.MonkeyPatch) -> None:
    """The team's residents become one SQL IN list: past the cap the list is refused rather
    than sent to the database (the cap made small here; archives answers by pages)."""
    t = Teams(mch)
    one = t.team("一组")
    for who in ("woman", "woman2"):
        t.sign(t.record(mch.residents[who]), one)
    monkeypatch.setattr(team_filter, "MAX_TEAM_RESIDENTS", 1)
    monkeypatch.setattr(team_filter, "PAGE", 1)
    for list_ in (overdue_pregnancies, overdue_children):
        expect_error(
            lambda list_=list_: list_(mch, one),
            grpc.StatusCode.FAILED_PRECONDITION,
            "TEAM_TOO_LARGE",
        )
    monkeypatch.setattr(team_filter, "MAX_TEAM_RESIDENTS", 2)
    assert overdue_pregnancies(mch, one) == []
