"""The family-doctor team filter of the overdue lists (ListPregnancies, ListChildRecords): the
team's name checked, and its contracted residents asked of archives at query time, with the
caller's own token, so that archives applies the caller's own reach to the team and an ended
or moved contract counts at once (a copy kept in mch would go stale). The ids come back as one
SQL ``IN`` list, hence the cap."""

from __future__ import annotations

import re
from collections.abc import Callable

import grpc
from rhip.api.archives.v1 import archives_service_pb2, archives_service_pb2_grpc
from rhip.kit.authn import current_token
from rhip.kit.channels import ChannelPool
from rhip.kit.deadlines import within
from rhip.kit.errors import FailedPrecondition, from_rpc_error, invalid
from rhip.kit.telemetry import outgoing_metadata

TIMEOUT_SECONDS = 5.0
FIELD = "family_doctor_team"
# A family-doctor team signs some 2,000 residents (national guidance); the cap keeps the SQL
# IN list (one bind parameter each) well under both databases' limits and the list fast.
MAX_TEAM_RESIDENTS = 5000
PAGE = 1000  # archives' largest page
# Ids in this platform are UUIDs (36 characters); anything else is no id of ours.
_ID = re.compile(r"[0-9A-Za-z-]{1,36}")


def parse_team(name: str) -> tuple[str, str]:
    """(tenant id, team id) of ``tenants/{tenant}/teams/{team}``; INVALID_ARGUMENT otherwise."""
    parts = name.split("/")
    if (
        len(parts) != 4
        or parts[0] != "tenants"
        or parts[2] != "teams"
        or not all(_ID.fullmatch(p) for p in parts[1::2])
    ):
        raise invalid(FIELD, "must look like tenants/{id}/teams/{team}", "RESOURCE_NAME")
    return parts[1], parts[3]


class ArchivesClient:
    """``address`` is read on every call (the cell knows its loopback port once it serves)."""

    def __init__(self, address: Callable[[], str], pool: ChannelPool) -> None:
        self._address = address
        self._pool = pool

    def contracted_residents(self, team: str) -> list[str]:
        """The ids of the residents whose contract with ``team`` is in force today, as the
        caller may see them (archives answers PERMISSION_DENIED or NOT_FOUND by AIP-211).
        FAILED_PRECONDITION ``TEAM_TOO_LARGE`` past ``MAX_TEAM_RESIDENTS``."""
        stub = archives_service_pb2_grpc.ArchivesServiceStub(self._pool.get(self._address()))
        metadata = [("authorization", f"Bearer {current_token()}"), *outgoing_metadata()]
        found: list[str] = []
        token = ""
        while True:
            request = archives_service_pb2.ListContractedResidentsRequest(
                parent=team, page_size=PAGE, page_token=token
            )
            try:
                reply = stub.ListContractedResidents(
                    request, metadata=metadata, timeout=within(TIMEOUT_SECONDS)
                )
            except grpc.RpcError as error:
                raise from_rpc_error(error) from None
            found.extend(r.removeprefix("residents/") for r in reply.residents)
            if len(found) > MAX_TEAM_RESIDENTS:
                raise FailedPrecondition(
                    f"the team has more than {MAX_TEAM_RESIDENTS} contracted residents: list "
                    "the institution instead",
                    reason="TEAM_TOO_LARGE",
                )
            token = reply.next_page_token
            if not token:
                return found


def no_archives() -> FailedPrecondition:
    return FailedPrecondition(
        "this cell runs no archives service: lists cannot be filtered by family-doctor team",
        reason="ARCHIVES_UNAVAILABLE",
    )
