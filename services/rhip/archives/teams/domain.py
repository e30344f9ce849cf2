"""Family-doctor teams and contracts as plain Python: how long a contract may run, and the
team and contract as read, with the changes a contract goes through. No gRPC, no SQL."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from rhip.archives.common import add_months
from rhip.kit.errors import invalid

MAX_CONTRACT_YEARS = 3  # contracts run a year as a rule; renewals extend them


def check_contract_dates(start: date, end: date) -> None:
    if end <= start:
        raise invalid("end_date", "must be after the start date", "CONTRACT_DATES")
    if end > add_months(start, 12 * MAX_CONTRACT_YEARS):
        raise invalid("end_date", f"must be within {MAX_CONTRACT_YEARS} years", "CONTRACT_DATES")


@dataclass(frozen=True)
class CareTeam:
    team_id: str
    tenant_id: str
    display_name: str
    create_time: datetime


@dataclass(frozen=True)
class Contract:
    contract_id: str
    record_id: str
    team_id: str
    tenant_id: str
    state: str  # active, ended
    start_date: date
    end_date: date
    end_reason: str
    create_time: datetime

    def renewed(self, end_date: date) -> Contract:
        return replace(self, end_date=end_date)

    def ended(self, reason: str) -> Contract:
        return replace(self, state="ended", end_reason=reason)

    def with_team(self, team_id: str) -> Contract:
        return replace(self, team_id=team_id)
