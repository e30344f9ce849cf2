"""Request ids are per caller (AIP-155, issue 12 item 1): another caller's replay of a request
id sees nothing of the first answer and creates its own; the same caller's replay with a
different body is refused; the same caller's replay with the same body answers as before."""

from __future__ import annotations

import grpc
from archives.helpers import Archives, days_ago
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from support.errors import expect_error

REQUEST_ID = "0193a000-3200-7000-8000-000600000000"  # shaped like a deterministic demo id


def _check_up(systolic: int) -> rec.CheckUp:
    return rec.CheckUp(
        exam_date=days_ago(2),
        bp_left=rec.BloodPressure(systolic=systolic, diastolic=86),
        weight_kg=70,
        height_cm=170,
    )


def _check_ups(a: Archives, record: rec.HealthRecord, who: str) -> list[rec.CheckUp]:
    request = apb.ListCheckUpsRequest(parent=record.name)
    return list(a.api.ListCheckUps(request, metadata=a.md(who)).check_ups)


def test_another_callers_replay_creates_its_own_check_up(archives: Archives) -> None:
    a = archives
    quanshan = a.active("man")
    tongshan = a.active("mother", who="ts-doctor")
    theirs = a.api.CreateCheckUp(
        apb.CreateCheckUpRequest(
            parent=quanshan.name, check_up=_check_up(142), request_id=REQUEST_ID
        ),
        metadata=a.md("qs-doctor"),
    )
    mine = a.api.CreateCheckUp(
        apb.CreateCheckUpRequest(
            parent=tongshan.name, check_up=_check_up(118), request_id=REQUEST_ID
        ),
        metadata=a.md("ts-doctor"),
    )
    assert mine.name != theirs.name
    assert mine.name.startswith(tongshan.name + "/")
    assert mine.bp_left.systolic == 118
    assert [c.name for c in _check_ups(a, tongshan, "ts-doctor")] == [mine.name]
    assert [c.name for c in _check_ups(a, quanshan, "qs-doctor")] == [theirs.name]


def test_the_same_callers_replay_answers_once_and_a_changed_body_is_refused(
    archives: Archives,
) -> None:
    a = archives
    record = a.active("man")
    request = apb.CreateCheckUpRequest(
        parent=record.name, check_up=_check_up(130), request_id=REQUEST_ID
    )
    first = a.api.CreateCheckUp(request, metadata=a.md("qs-doctor"))
    again = a.api.CreateCheckUp(request, metadata=a.md("qs-doctor"))
    assert again.name == first.name
    changed = apb.CreateCheckUpRequest(
        parent=record.name, check_up=_check_up(150), request_id=REQUEST_ID
    )
    expect_error(
        lambda: a.api.CreateCheckUp(changed, metadata=a.md("qs-doctor")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REQUEST_ID_REUSED",
        "request_id",
    )
    assert [c.name for c in _check_ups(a, record, "qs-doctor")] == [first.name]


def test_a_record_request_id_replayed_by_another_institution(archives: Archives) -> None:
    a = archives
    rid = "0193a000-3200-7000-8000-000400000001"
    theirs = a.create("man", request_id=rid)
    mine = a.create("mother", who="ts-doctor", request_id=rid)
    assert mine.name != theirs.name
    assert mine.managing_tenant == a.tenant("ts-th")
    # a replay of the same body by its own caller still answers the first record
    assert a.create("man", request_id=rid).name == theirs.name


def test_a_team_request_id_replayed_by_another_institution(archives: Archives) -> None:
    a = archives
    rid = "0193a000-3200-7000-8000-000800000002"
    theirs = a.api.CreateCareTeam(
        apb.CreateCareTeamRequest(
            parent=a.tenant("qs-chc"), team=rec.CareTeam(display_name="泉山一队"), request_id=rid
        ),
        metadata=a.md("qs-doctor"),
    )
    mine = a.api.CreateCareTeam(
        apb.CreateCareTeamRequest(
            parent=a.tenant("ts-th"), team=rec.CareTeam(display_name="铜山一队"), request_id=rid
        ),
        metadata=a.md("ts-doctor"),
    )
    assert mine.name != theirs.name and mine.display_name == "铜山一队"
