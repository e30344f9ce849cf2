"""Spot checks (抽查, §2.8): a supervisor samples active records of their subtree, marks
findings; the finding shows as a wrong item of the record until the institution fixes it."""

from __future__ import annotations

import uuid

import grpc
from archives.helpers import Archives
from rhip.api.archives.v1 import archives_service_pb2 as apb
from support.errors import expect_error


def test_sample_mark_and_fix(archives: Archives) -> None:
    a = archives
    man, elder = a.active("man"), a.active("elder")
    a.active("mother", who="ts-doctor")
    request_id = str(uuid.uuid4())
    create = apb.CreateSpotCheckRequest(
        parent=a.tenant("qs-chc"), sample_size=5, request_id=request_id
    )
    check = a.api.CreateSpotCheck(create, metadata=a.md("qs-admin"))
    assert sorted(check.records) == sorted([man.name, elder.name])  # Tongshan's is not sampled
    assert a.api.CreateSpotCheck(create, metadata=a.md("qs-admin")).name == check.name
    for who in ("qs-doctor", "nj-admin"):
        expect_error(
            lambda w=who: a.api.CreateSpotCheck(create, metadata=a.md(w)),
            grpc.StatusCode.PERMISSION_DENIED,
        )
    expect_error(
        lambda: a.api.CreateSpotCheck(
            apb.CreateSpotCheckRequest(parent="regions/320300", sample_size=0),
            metadata=a.md("xz-admin"),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "SAMPLE_SIZE",
    )
    finding = apb.SpotCheckFinding(
        record=man.name, item="basic_info.blood_type_abo", description="与化验单不符"
    )
    marked = a.api.RecordSpotCheckFinding(
        apb.RecordSpotCheckFindingRequest(parent=check.name, finding=finding),
        metadata=a.md("qs-admin"),
    )
    assert marked.state == "open"
    got = a.api.GetSpotCheck(apb.GetSpotCheckRequest(name=check.name), metadata=a.md("xz-admin"))
    assert got.qualified == 1 and [f.name for f in got.findings] == [marked.name]
    wrong = a.api.GetRecordCompleteness(
        apb.GetRecordCompletenessRequest(name=man.name), metadata=a.md("qs-doctor")
    )
    assert [w.split(":")[0] for w in wrong.wrong_items] == ["basic_info.blood_type_abo"]
    resolve = apb.ResolveSpotCheckFindingRequest(name=marked.name, resolution="已按化验单更正")
    for who in ("qs-admin", "ts-doctor"):
        expect_error(
            lambda w=who: a.api.ResolveSpotCheckFinding(resolve, metadata=a.md(w)),
            grpc.StatusCode.PERMISSION_DENIED,
        )
    fixed = a.api.ResolveSpotCheckFinding(resolve, metadata=a.md("qs-doctor"))
    assert fixed.state == "resolved"
    again = a.api.GetRecordCompleteness(
        apb.GetRecordCompletenessRequest(name=man.name), metadata=a.md("qs-doctor")
    )
    assert list(again.wrong_items) == []
    other = apb.SpotCheckFinding(
        record="healthRecords/0193a3f0-0000-7000-8000-00000000000a", item="x", description="y"
    )
    expect_error(
        lambda: a.api.RecordSpotCheckFinding(
            apb.RecordSpotCheckFindingRequest(parent=check.name, finding=other),
            metadata=a.md("qs-admin"),
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "RECORD_NOT_SAMPLED",
    )


def test_list_spot_checks_of_a_subtree_newest_first(archives: Archives) -> None:
    a = archives
    a.active("man")
    a.active("mother", who="ts-doctor")
    made = []
    for parent, who in (
        (a.tenant("qs-chc"), "qs-admin"),  # Quanshan's centre
        ("regions/320312", "xz-admin"),  # Tongshan county
        ("regions/320300", "xz-admin"),  # the city
    ):
        request = apb.CreateSpotCheckRequest(
            parent=parent, sample_size=3, request_id=str(uuid.uuid4())
        )
        made.append(a.api.CreateSpotCheck(request, metadata=a.md(who)).name)

    def listed(
        parent: str, who: str, page_size: int = 0, token: str = ""
    ) -> apb.ListSpotChecksResponse:
        return a.api.ListSpotChecks(
            apb.ListSpotChecksRequest(parent=parent, page_size=page_size, page_token=token),
            metadata=a.md(who),
        )

    # The city sees its own and those below it, newest first, page by page.
    city = listed("regions/320300", "xz-admin")
    assert [c.name for c in city.spot_checks] == made[::-1]
    first = listed("regions/320300", "xz-admin", page_size=2)
    rest = listed("regions/320300", "xz-admin", page_size=2, token=first.next_page_token)
    assert [c.name for c in [*first.spot_checks, *rest.spot_checks]] == made[::-1]
    assert not rest.next_page_token
    # A county sees its own subtree only (its centre's check), not the city's or Tongshan's.
    county = listed("regions/320311", "qs-admin")
    assert [c.name for c in county.spot_checks] == [made[0]]
    assert county.spot_checks[0].parent == a.tenant("qs-chc")
    # The institution's own doctor sees the checks of the institution.
    assert [c.name for c in listed(a.tenant("qs-chc"), "qs-doctor").spot_checks] == [made[0]]
    # Outside the caller's subtree: refused, not an empty list.
    for parent, who in (
        ("regions/320300", "qs-admin"),
        ("regions/320312", "nj-admin"),
        (a.tenant("qs-chc"), "ts-doctor"),
    ):
        expect_error(lambda p=parent, w=who: listed(p, w), grpc.StatusCode.PERMISSION_DENIED)
    expect_error(
        lambda: listed("spotChecks/x", "xz-admin"),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="parent",
    )
