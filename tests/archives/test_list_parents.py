"""Every List of archives aimed at a parent the caller may not see is PERMISSION_DENIED, as
the read of it is (AIP-211, issue 12 item 7: ListHealthRecords and ListRecordTransfers aimed
at another institution answered OK with nothing). A parent that does not exist answers exactly
the same to callers without rights there; a caller who reaches the whole cell learns that it
is missing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
from archives.helpers import Archives
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.kit.errors import from_rpc_error
from support.errors import expect_error

DENIED = grpc.StatusCode.PERMISSION_DENIED
MISSING_TENANT = "tenants/01a20000-0000-7000-8000-000000000000"
MISSING_RECORD = "healthRecords/01a20000-0000-7000-8000-000000000000"

Metadata = list[tuple[str, str]]
Call = Callable[[Any, str, Metadata], Any]

TENANT_LISTS: dict[str, Call] = {
    "ListHealthRecords": lambda api, parent, md: api.ListHealthRecords(
        apb.ListHealthRecordsRequest(parent=parent), metadata=md
    ),
    "ListRecordTransfers": lambda api, parent, md: api.ListRecordTransfers(
        apb.ListRecordTransfersRequest(parent=parent), metadata=md
    ),
    "ListOverdueFollowUpPlans": lambda api, parent, md: api.ListOverdueFollowUpPlans(
        apb.ListOverdueFollowUpPlansRequest(parent=parent), metadata=md
    ),
    "ListCareTeams": lambda api, parent, md: api.ListCareTeams(
        apb.ListCareTeamsRequest(parent=parent), metadata=md
    ),
}

RECORD_LISTS: dict[str, Call] = {
    "ListRecordEvents": lambda api, parent, md: api.ListRecordEvents(
        apb.ListRecordEventsRequest(parent=parent), metadata=md
    ),
    "ListCheckUps": lambda api, parent, md: api.ListCheckUps(
        apb.ListCheckUpsRequest(parent=parent), metadata=md
    ),
    "ListFollowUps": lambda api, parent, md: api.ListFollowUps(
        apb.ListFollowUpsRequest(parent=parent), metadata=md
    ),
    "ListTasks": lambda api, parent, md: api.ListTasks(
        apb.ListTasksRequest(parent=parent), metadata=md
    ),
    "ListContracts": lambda api, parent, md: api.ListContracts(
        apb.ListContractsRequest(parent=parent), metadata=md
    ),
}


def refusal(call: Callable[[], Any]) -> tuple[grpc.StatusCode, str, str]:
    """What a refused call tells the caller: code, ErrorInfo reason, message."""
    with pytest.raises(grpc.RpcError) as caught:
        call()
    error = from_rpc_error(caught.value)
    return caught.value.code(), error.reason, error.message


@pytest.mark.parametrize("method", sorted(TENANT_LISTS))
def test_tenant_parent_out_of_reach_or_missing_is_denied_alike(
    archives: Archives, method: str
) -> None:
    a, call = archives, TENANT_LISTS[method]
    record = a.active("man")
    own = call(a.api, a.tenant("qs-chc"), a.md("qs-doctor"))  # its own institution answers
    if method == "ListHealthRecords":
        assert [r.name for r in own.records] == [record.name]
    # The city administrator lists a Quanshan institution of its reach.
    call(a.api, a.tenant("qs-chc"), a.md("xz-admin"))
    # A clinician of the sibling county's institution, and a city administrator aiming at
    # another city: refused, and refused the same way for a tenant that does not exist.
    for who, other in (("ts-doctor", "qs-chc"), ("qs-doctor", "ts-th"), ("xz-admin", "nj-chc")):
        md, parent = a.md(who), a.tenant(other)
        seen = refusal(lambda p=parent, m=md: call(a.api, p, m))
        assert seen[:2] == (DENIED, "PERMISSION_DENIED"), (who, other)
        assert refusal(lambda m=md: call(a.api, MISSING_TENANT, m)) == seen, who
    # The province administrator reaches the whole cell: a missing tenant is missing.
    expect_error(lambda: call(a.api, MISSING_TENANT, a.md("js-admin")), grpc.StatusCode.NOT_FOUND)


@pytest.mark.parametrize("method", sorted(RECORD_LISTS))
def test_record_parent_out_of_reach_or_missing_is_denied_alike(
    archives: Archives, method: str
) -> None:
    a, call = archives, RECORD_LISTS[method]
    record = a.active("man")
    call(a.api, record.name, a.md("qs-doctor"))
    call(a.api, record.name, a.md("xz-admin"))
    for who in ("ts-doctor", "nj-admin"):
        md = a.md(who)
        seen = refusal(lambda m=md: call(a.api, record.name, m))
        assert seen[:2] == (DENIED, "PERMISSION_DENIED"), who
        assert refusal(lambda m=md: call(a.api, MISSING_RECORD, m)) == seen, who
    expect_error(lambda: call(a.api, MISSING_RECORD, a.md("js-admin")), grpc.StatusCode.NOT_FOUND)


def test_a_list_over_the_callers_whole_reach_still_answers_what_it_reaches(
    archives: Archives,
) -> None:
    """Without a parent, ListHealthRecords lists the caller's reach: nothing is refused, and
    another institution's record is not in it."""
    a = archives
    record = a.active("man")
    mine = a.api.ListHealthRecords(apb.ListHealthRecordsRequest(), metadata=a.md("qs-doctor"))
    assert [r.name for r in mine.records] == [record.name]
    theirs = a.api.ListHealthRecords(apb.ListHealthRecordsRequest(), metadata=a.md("ts-doctor"))
    assert list(theirs.records) == []
