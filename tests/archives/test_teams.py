"""Family-doctor teams and contracts (家庭医生签约): sign, renew, end; the record's managing team
follows the contract; a record moves to another team of its institution, plans included; the
overdue list per team."""

from __future__ import annotations

import grpc
from archives.helpers import Archives, days_ago
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from support.errors import expect_error


def _team(a: Archives, name: str, tenant: str = "qs-chc", who: str = "qs-doctor") -> rec.CareTeam:
    return a.api.CreateCareTeam(
        apb.CreateCareTeamRequest(parent=a.tenant(tenant), team=rec.CareTeam(display_name=name)),
        metadata=a.md(who),
    )


def _get(a: Archives, record: rec.HealthRecord) -> rec.HealthRecord:
    return a.api.GetHealthRecord(
        apb.GetHealthRecordRequest(name=record.name), metadata=a.md("qs-doctor")
    )


def test_the_managing_team_follows_the_contract(archives: Archives) -> None:
    a = archives
    one, two = _team(a, "一组"), _team(a, "二组")
    tongshan = _team(a, "铜山一组", "ts-th", "ts-doctor")
    record = a.active("man")
    a.api.StartFollowUpPlan(
        apb.StartFollowUpPlanRequest(
            parent=record.name, program=rec.PROGRAM_HYPERTENSION, first_due_date=days_ago(9)
        ),
        metadata=a.md("qs-doctor"),
    )
    sign = apb.SignContractRequest(parent=record.name, team=tongshan.name)
    expect_error(
        lambda: a.api.SignContract(sign, metadata=a.md("qs-doctor")),
        grpc.StatusCode.FAILED_PRECONDITION,
        "TEAM_NOT_IN_INSTITUTION",
    )
    sign.team = one.name
    contract = a.api.SignContract(sign, metadata=a.md("qs-doctor"))
    assert contract.state == rec.CONTRACT_STATE_ACTIVE and contract.start_date == days_ago(0)
    assert _get(a, record).managing_team == one.name
    expect_error(
        lambda: a.api.SignContract(sign, metadata=a.md("qs-doctor")),
        grpc.StatusCode.ALREADY_EXISTS,
        "CONTRACT_EXISTS",
    )
    overdue = apb.ListOverdueFollowUpPlansRequest(parent=one.name)
    assert [
        p.record for p in a.api.ListOverdueFollowUpPlans(overdue, metadata=a.md("qs-doctor")).plans
    ] == [record.name]
    # Move within the institution: the contract and the plans go along.
    moved = a.api.MoveRecordToTeam(
        apb.MoveRecordToTeamRequest(name=record.name, team=two.name), metadata=a.md("qs-doctor")
    )
    assert moved.managing_team == two.name
    assert list(a.api.ListOverdueFollowUpPlans(overdue, metadata=a.md("qs-doctor")).plans) == []
    overdue.parent = two.name
    assert len(a.api.ListOverdueFollowUpPlans(overdue, metadata=a.md("qs-doctor")).plans) == 1
    # Renew to a later end; an earlier one is refused.
    renew = apb.RenewContractRequest(name=contract.name, end_date=contract.start_date)
    expect_error(
        lambda: a.api.RenewContract(renew, metadata=a.md("qs-doctor")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "CONTRACT_DATES",
    )
    renew.end_date = days_ago(-700)
    renewed = a.api.RenewContract(renew, metadata=a.md("qs-doctor"))
    assert renewed.end_date == days_ago(-700) and renewed.team == two.name
    # End: no managing team until the next contract.
    ended = a.api.EndContract(
        apb.EndContractRequest(name=contract.name, reason="居民解约"), metadata=a.md("qs-doctor")
    )
    assert ended.state == rec.CONTRACT_STATE_ENDED
    assert _get(a, record).managing_team == ""
    expect_error(
        lambda: a.api.MoveRecordToTeam(
            apb.MoveRecordToTeamRequest(name=record.name, team=one.name), metadata=a.md("qs-doctor")
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "CONTRACT_REQUIRED",
    )
    listed = a.api.ListContracts(
        apb.ListContractsRequest(parent=record.name), metadata=a.md("xz-admin")
    )
    assert [c.state for c in listed.contracts] == [rec.CONTRACT_STATE_ENDED]
    teams = a.api.ListCareTeams(
        apb.ListCareTeamsRequest(parent=a.tenant("qs-chc")), metadata=a.md("xz-admin")
    )
    assert [t.display_name for t in teams.teams] == ["一组", "二组"]
    expect_error(
        lambda: a.api.ListCareTeams(
            apb.ListCareTeamsRequest(parent=a.tenant("qs-chc")), metadata=a.md("nj-admin")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    expect_error(lambda: _team(a, "外组", "ts-th", "qs-doctor"), grpc.StatusCode.PERMISSION_DENIED)
