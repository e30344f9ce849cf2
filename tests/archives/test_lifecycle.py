"""Record lifecycle (docs/domain §2.7, scenario 8): draft → active once the form is complete;
termination needs a date (and a destination or handover for a move-out); a record lost to
follow-up is reactivated with an audited reason; terminated records stay readable."""

from __future__ import annotations

import json

import grpc
from archives.helpers import Archives, complete_form, days_ago
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.kit.schema import audit_event
from sqlalchemy import select
from support.errors import expect_error

DEATH = rec.TERMINATION_REASON_DEATH
LOST = rec.TERMINATION_REASON_LOST_TO_FOLLOW_UP
MOVED = rec.TERMINATION_REASON_MOVED_OUT


def _terminate(a: Archives, name: str, who: str = "qs-doctor", **fields) -> rec.HealthRecord:  # type: ignore[no-untyped-def]
    return a.api.TerminateHealthRecord(
        apb.TerminateHealthRecordRequest(name=name, **fields), metadata=a.md(who)
    )


def test_a_draft_becomes_active_only_with_a_complete_form(archives: Archives) -> None:
    a = archives
    draft = a.create("man", basic_info=complete_form(blood_type_abo=None, fuel=None))
    error = expect_error(
        lambda: a.api.ActivateHealthRecord(
            apb.ActivateHealthRecordRequest(name=draft.name), metadata=a.md("qs-doctor")
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "BASIC_INFO_INCOMPLETE",
    )
    assert error.metadata["missing"] == "blood_type_abo,fuel"
    updated = a.api.UpdateHealthRecord(
        apb.UpdateHealthRecordRequest(name=draft.name, basic_info=complete_form(), etag=draft.etag),
        metadata=a.md("qs-doctor"),
    )
    active = a.api.ActivateHealthRecord(
        apb.ActivateHealthRecordRequest(name=updated.name), metadata=a.md("qs-doctor")
    )
    assert active.state == rec.RECORD_STATE_ACTIVE


def test_termination_needs_a_date_and_a_move_out_its_destination(archives: Archives) -> None:
    """docs/domain §10 scenario 8; nothing changes on a refusal."""
    a = archives
    record = a.active("man")
    expect_error(
        lambda: _terminate(a, record.name, reason=DEATH),
        grpc.StatusCode.INVALID_ARGUMENT,
        "TERMINATION_DATE_REQUIRED",
        "termination_date",
    )
    expect_error(
        lambda: _terminate(a, record.name, reason=MOVED, termination_date=days_ago(3)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "MOVE_OUT_DESTINATION_REQUIRED",
        "destination",
    )
    expect_error(
        lambda: _terminate(a, record.name, reason=DEATH, termination_date=days_ago(-30)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "DATE_IN_FUTURE",
    )
    expect_error(
        lambda: _terminate(a, record.name, termination_date=days_ago(1)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "TERMINATION_REASON_REQUIRED",
    )
    got = a.api.GetHealthRecord(
        apb.GetHealthRecordRequest(name=record.name), metadata=a.md("qs-doctor")
    )
    assert got.state == rec.RECORD_STATE_ACTIVE and got.etag == record.etag
    moved = _terminate(
        a, record.name, reason=MOVED, termination_date=days_ago(3), destination="山东省枣庄市"
    )
    assert moved.state == rec.RECORD_STATE_TERMINATED
    assert moved.termination_destination == "山东省枣庄市"
    # Terminated records stay readable, to the institution and its supervisors.
    for who in ("qs-doctor", "xz-admin", "js-auditor"):
        got = a.api.GetHealthRecord(
            apb.GetHealthRecordRequest(name=record.name), metadata=a.md(who)
        )
        assert got.termination_reason == MOVED
    # …but no longer change, and the resident may get a new record somewhere.
    expect_error(
        lambda: a.api.UpdateHealthRecord(
            apb.UpdateHealthRecordRequest(
                name=record.name, basic_info=complete_form(), etag=moved.etag
            ),
            metadata=a.md("qs-doctor"),
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "RECORD_STATE",
    )
    assert a.create("man").record_number != record.record_number


def test_lost_to_follow_up_is_reactivated_with_an_audited_reason(archives: Archives) -> None:
    a = archives
    record = a.active("man")
    _terminate(a, record.name, reason=LOST, termination_date=days_ago(30))
    reactivate = apb.ReactivateHealthRecordRequest(name=record.name)
    expect_error(
        lambda: a.api.ReactivateHealthRecord(reactivate, metadata=a.md("qs-doctor")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REASON_REQUIRED",
    )
    reactivate.reason = "居民返乡就诊"
    expect_error(
        lambda: a.api.ReactivateHealthRecord(reactivate, metadata=a.md("xz-admin")),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    back = a.api.ReactivateHealthRecord(reactivate, metadata=a.md("qs-doctor"))
    assert back.state == rec.RECORD_STATE_ACTIVE and back.record_number == record.record_number
    assert back.termination_reason == rec.TERMINATION_REASON_UNSPECIFIED
    with a.running.cell.part("archives").db.read() as conn:
        rows = conn.execute(
            select(audit_event.c.detail).where(audit_event.c.action == "record.reactivate")
        ).all()
    assert [json.loads(r.detail)["lost_since"] for r in rows] == [days_ago(30)]
    events = a.api.ListRecordEvents(
        apb.ListRecordEventsRequest(parent=record.name), metadata=a.md("qs-doctor")
    )
    assert [e.kind for e in events.events] == ["CREATED", "ACTIVATED", "TERMINATED", "REACTIVATED"]


def test_death_is_terminal(archives: Archives) -> None:
    a = archives
    record = a.active("man")
    _terminate(a, record.name, reason=DEATH, termination_date=days_ago(2))
    expect_error(
        lambda: a.api.ReactivateHealthRecord(
            apb.ReactivateHealthRecordRequest(name=record.name, reason="误报"),
            metadata=a.md("qs-doctor"),
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "REACTIVATION_NOT_ALLOWED",
    )
    expect_error(
        lambda: _terminate(a, record.name, reason=LOST, termination_date=days_ago(1)),
        grpc.StatusCode.FAILED_PRECONDITION,
        "RECORD_STATE",
    )
