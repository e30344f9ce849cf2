"""Health records over gRPC with the real interceptor chain, on SQLite and PostgreSQL:
creation rules (§2.2–§2.4), the one-record rule, reads, lists and updates by scope."""

from __future__ import annotations

import json

import grpc
from archives.helpers import Archives, complete_form
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.kit import audit
from rhip.kit.schema import audit_event
from sqlalchemy import select
from support.errors import expect_error
from support.residents import XUZHOU_MAN


def _records(a: Archives, who: str = "qs-doctor", **filters) -> list[rec.HealthRecord]:  # type: ignore[no-untyped-def]
    reply = a.api.ListHealthRecords(apb.ListHealthRecordsRequest(**filters), metadata=a.md(who))
    return list(reply.records)


def test_record_number_is_county_township_village_and_the_institutions_serial(
    archives: Archives,
) -> None:
    a = archives
    first = a.create("man", township_code="003", village_code="101")
    assert first.record_number == "320311" + "003" + "101" + "00001"
    assert first.state == rec.RECORD_STATE_DRAFT
    assert first.managing_tenant == first.creating_tenant == a.tenant("qs-chc")
    assert first.resident == a.residents["man"]
    second = a.create("elder", township_code="004", village_code="002")
    assert second.record_number == "320311" + "004" + "002" + "00002"  # serial in creation order
    # Tongshan's township hospital numbers its own records from 00001 in its county.
    third = a.create("mother", who="ts-doctor", township_code="101", village_code="901")
    assert third.record_number == "320312" + "101" + "901" + "00001"


def test_bad_segments_and_form_codes_are_all_reported_and_nothing_is_saved(
    archives: Archives,
) -> None:
    a = archives
    error = expect_error(
        lambda: a.create(
            "man",
            township_code="600",
            village_code="100",
            basic_info=complete_form(blood_type_abo=9, drug_allergies=[1, 2], ethnicity="77"),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "TOWNSHIP_CODE_RANGE",
    )
    assert {v.field for v in error.violations} == {
        "township_code",
        "village_code",
        "basic_info.blood_type_abo",
        "basic_info.drug_allergies",
        "basic_info.ethnicity",
    }
    for township, village, reason in (("01", "001", "TOWNSHIP_CODE_FORMAT"), ("000", "001", "TOWNSHIP_CODE_RANGE"),
                                      ("001", "200", "VILLAGE_CODE_RANGE"), ("001", "000", "VILLAGE_CODE_RANGE")):  # fmt: skip
        expect_error(
            lambda t=township, v=village: a.create("man", township_code=t, village_code=v),
            grpc.StatusCode.INVALID_ARGUMENT,
            reason,
        )
    future = complete_form(diseases=[rec.HistoryItem(code=3, date="2099-01-01")])
    expect_error(
        lambda: a.create("man", basic_info=future),
        grpc.StatusCode.INVALID_ARGUMENT,
        "DATE_IN_FUTURE",
        "basic_info.diseases[0].date",
    )
    assert _records(a) == []
    # A refused request consumed no serial.
    assert a.create("man").record_number.endswith("00001")


def test_only_grassroots_institutions_create_records(archives: Archives) -> None:
    a = archives
    expect_error(
        lambda: a.create("man", who="qs-hosp-doctor"),
        grpc.StatusCode.FAILED_PRECONDITION,
        "TENANT_NOT_GRASSROOTS",
    )
    expect_error(lambda: a.create("man", who="qs-admin"), grpc.StatusCode.PERMISSION_DENIED)


def test_records_need_a_verified_living_resident(archives: Archives) -> None:
    a = archives
    expect_error(
        lambda: a.create("newborn"), grpc.StatusCode.FAILED_PRECONDITION, "RESIDENT_NOT_VERIFIED"
    )
    from support.residents import pb as rpb
    from support.residents import stub as resident_stub

    resident_stub(a.running.channel).MarkResidentDeceased(
        rpb.MarkResidentDeceasedRequest(name=a.residents["elder"], death_date="2026-01-02"),
        metadata=a.md("qs-doctor"),
    )
    expect_error(
        lambda: a.create("elder"), grpc.StatusCode.FAILED_PRECONDITION, "RESIDENT_DECEASED"
    )
    # A resident the caller cannot see in the master index: identity's answer stands.
    expect_error(lambda: a.create("man", who="nj-doctor"), grpc.StatusCode.PERMISSION_DENIED)


def test_a_second_record_is_refused_naming_the_manager_and_the_transfer(archives: Archives) -> None:
    """docs/domain §10 scenario 5."""
    a = archives
    first = a.active("man")
    from support.residents import register_request
    from support.residents import stub as resident_stub

    # The resident presents at Tongshan too, whose clinician may now see them.
    resident_stub(a.running.channel).RegisterResident(
        register_request(XUZHOU_MAN, name="张三", region="320312"), metadata=a.md("ts-doctor")
    )
    for who in ("ts-doctor", "qs-doctor"):
        error = expect_error(
            lambda w=who: a.create("man", who=w),
            grpc.StatusCode.ALREADY_EXISTS,
            "RECORD_EXISTS",
        )
        assert error.metadata == {
            "managing_tenant": a.tenant("qs-chc"),
            "transfer_method": "rhip.api.archives.v1.ArchivesService/RequestRecordTransfer",
        }
        assert first.record_number not in error.message
    assert len(_records(a)) == 1


def test_idempotent_create_by_request_id(archives: Archives) -> None:
    a = archives
    request_id = "0193a3f0-0000-7000-8000-000000000001"
    first = a.create("man", request_id=request_id)
    again = a.create("man", request_id=request_id)
    assert again.name == first.name and again.record_number == first.record_number


def test_reads_and_lists_follow_the_record_scope(archives: Archives) -> None:
    a = archives
    record = a.active("man")
    a.create("mother", who="ts-doctor")
    get = apb.GetHealthRecordRequest(name=record.name)
    for who in ("qs-doctor", "qs-admin", "xz-admin", "js-admin", "js-auditor"):
        assert a.api.GetHealthRecord(get, metadata=a.md(who)).record_number == record.record_number
    for who in ("nj-doctor", "nj-admin", "ts-doctor"):
        expect_error(
            lambda w=who: a.api.GetHealthRecord(get, metadata=a.md(w)),
            grpc.StatusCode.PERMISSION_DENIED,
        )
    missing = apb.GetHealthRecordRequest(name="healthRecords/0193a3f0-0000-7000-8000-000000000009")
    expect_error(
        lambda: a.api.GetHealthRecord(missing, metadata=a.md("nj-doctor")),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    expect_error(
        lambda: a.api.GetHealthRecord(missing, metadata=a.md("js-admin")), grpc.StatusCode.NOT_FOUND
    )
    assert [r.name for r in _records(a)] == [record.name]
    assert len(_records(a, "xz-admin")) == 2
    assert _records(a, "nj-admin") == []
    assert len(_records(a, "xz-admin", parent=a.tenant("ts-th"))) == 1
    expect_error(  # another institution is refused, not listed empty (AIP-211)
        lambda: _records(a, "qs-doctor", parent=a.tenant("ts-th")),
        grpc.StatusCode.PERMISSION_DENIED,
        "PERMISSION_DENIED",
    )
    assert len(_records(a, "xz-admin", state=rec.RECORD_STATE_ACTIVE)) == 1
    assert [r.name for r in _records(a, "xz-admin", record_number=record.record_number)] == [
        record.name
    ]
    assert [r.name for r in _records(a, "xz-admin", resident=a.residents["man"])] == [record.name]
    expect_error(
        lambda: _records(a, "xz-admin", record_number="3203110011000001"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "RECORD_NUMBER_FORMAT",
        "record_number",
    )
    page = a.api.ListHealthRecords(
        apb.ListHealthRecordsRequest(page_size=1), metadata=a.md("xz-admin")
    )
    rest = a.api.ListHealthRecords(
        apb.ListHealthRecordsRequest(page_size=1, page_token=page.next_page_token),
        metadata=a.md("xz-admin"),
    )
    assert len(page.records) == len(rest.records) == 1 and not rest.next_page_token
    assert page.records[0].name != rest.records[0].name


def test_update_needs_the_current_etag_and_keeps_the_number(archives: Archives) -> None:
    a = archives
    record = a.create("man", basic_info=complete_form(blood_type_abo=None))
    update = apb.UpdateHealthRecordRequest(
        name=record.name, basic_info=complete_form(), etag=record.etag
    )
    changed = a.api.UpdateHealthRecord(update, metadata=a.md("qs-doctor"))
    assert changed.basic_info.blood_type_abo == 3
    assert changed.record_number == record.record_number and changed.etag != record.etag
    expect_error(
        lambda: a.api.UpdateHealthRecord(update, metadata=a.md("qs-doctor")),
        grpc.StatusCode.ABORTED,
        "ETAG_MISMATCH",
    )
    expect_error(
        lambda: a.api.UpdateHealthRecord(update, metadata=a.md("xz-admin")),
        grpc.StatusCode.PERMISSION_DENIED,
    )


def test_every_read_and_write_is_audited_without_personal_identifiers(archives: Archives) -> None:
    a = archives
    record = a.active("man")
    a.api.GetHealthRecord(apb.GetHealthRecordRequest(name=record.name), metadata=a.md("xz-admin"))
    db = a.running.cell.part("archives").db
    with db.read() as conn:
        assert audit.verify(conn).intact
        rows = conn.execute(
            select(audit_event.c.action, audit_event.c.detail, audit_event.c.actor)
        ).all()
    actions = [r.action for r in rows]
    assert actions == ["record.create", "record.activate", "record.read"]
    text = json.dumps([list(r) for r in rows], ensure_ascii=False)
    assert XUZHOU_MAN not in text and "张三" not in text
    assert all(json.loads(r.detail)["resident"] == a.residents["man"].split("/")[1] for r in rows)
