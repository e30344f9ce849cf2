"""The resident master index over gRPC with the real interceptor chain, on SQLite and
PostgreSQL: registration rules, one resident per document, newborns, search, masking,
merge and undo, death."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
from rhip.api.identity.v1 import resident_pb2
from rhip.kit import audit
from support.cells import RunningCell, World
from support.errors import expect_error
from support.residents import (
    LHASA_MAN,
    XUZHOU_MAN,
    ZAOZHUANG_WOMAN,
    document,
    pb,
    register_request,
    stub,
    with_check,
)

PASSPORT = resident_pb2.DOCUMENT_TYPE_PASSPORT
FPR = resident_pb2.DOCUMENT_TYPE_FOREIGN_PERMANENT_RESIDENT_ID


def _audit_rows(running: RunningCell) -> int:
    with running.cell.part("identity").db.read() as conn:
        return audit.verify(conn).rows_checked


def test_register_then_register_again_from_another_tenant_returns_the_same_resident(
    running: RunningCell, world: World
) -> None:
    api = stub(running.channel)
    first = api.RegisterResident(register_request(XUZHOU_MAN), metadata=running.md("qs-doctor"))
    assert first.created
    assert first.resident.state == resident_pb2.RESIDENT_STATE_VERIFIED
    assert first.resident.sex == resident_pb2.SEX_MALE  # from the sequence digit
    assert first.resident.birth_date == "1985-12-07"  # from the number
    again = api.RegisterResident(
        register_request(XUZHOU_MAN, region="320312"), metadata=running.md("ts-doctor")
    )
    assert not again.created
    assert again.resident.resident_id == first.resident.resident_id
    assert again.resident.region_code == "320311"  # stored demographics are not overwritten
    # Enrolled at Tongshan now, so the Tongshan clinician can read it.
    got = api.GetResident(
        pb.GetResidentRequest(name=first.resident.name), metadata=running.md("ts-doctor")
    )
    assert got.resident_id == first.resident.resident_id


def test_a_caller_who_cannot_see_the_resident_must_state_the_same_name(
    running: RunningCell, world: World
) -> None:
    api = stub(running.channel)
    api.RegisterResident(register_request(XUZHOU_MAN), metadata=running.md("qs-doctor"))
    expect_error(
        lambda: api.RegisterResident(
            register_request(XUZHOU_MAN, name="李四", region="320106"),
            metadata=running.md("nj-doctor"),
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "RESIDENT_DEMOGRAPHICS_MISMATCH",
    )
    expect_error(
        lambda: api.LookupResident(
            pb.LookupResidentRequest(document=document(XUZHOU_MAN)),
            metadata=running.md("nj-doctor"),
        ),
        grpc.StatusCode.NOT_FOUND,
    )


def test_request_id_makes_registration_idempotent(running: RunningCell, world: World) -> None:
    api = stub(running.channel)
    request_id = str(uuid.uuid4())
    request = register_request(LHASA_MAN, region="320311", request_id=request_id)
    first = api.RegisterResident(request, metadata=running.md("qs-doctor"))
    retry = api.RegisterResident(request, metadata=running.md("qs-doctor"))
    assert retry.created and retry.resident.resident_id == first.resident.resident_id


def test_concurrent_registrations_from_two_tenants_yield_one_resident(
    running: RunningCell, world: World
) -> None:
    api = stub(running.channel)
    callers = ["qs-doctor", "ts-doctor"] * 4
    metadata = {who: running.md(who) for who in set(callers)}
    with ThreadPoolExecutor(len(callers)) as pool:
        replies = list(
            pool.map(
                lambda who: api.RegisterResident(
                    register_request(ZAOZHUANG_WOMAN, name="王芳", region="320312"),
                    metadata=metadata[who],
                ),
                callers,
            )
        )
    assert len({r.resident.resident_id for r in replies}) == 1
    assert sum(r.created for r in replies) == 1
    found = api.SearchResidents(
        pb.SearchResidentsRequest(display_name="王芳"), metadata=running.md("nj-admin")
    )
    assert len(found.matches) == 0  # lives in Xuzhou, enrolled at Xuzhou tenants only
    found = api.SearchResidents(
        pb.SearchResidentsRequest(display_name="王芳"), metadata=running.md("xz-admin")
    )
    assert len(found.matches) == 1


def test_bad_numbers_are_refused_and_change_nothing(running: RunningCell, world: World) -> None:
    api = stub(running.channel)
    running.md("qs-doctor")  # log in first: a login is audited
    before = _audit_rows(running)
    error = expect_error(
        lambda: api.RegisterResident(
            register_request("110105194912310021"), metadata=running.md("qs-doctor")
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "ID_CHECK_DIGIT",
        "document.number",
    )
    assert [v.field for v in error.violations] == ["document.number"]  # nothing spurious
    expect_error(
        lambda: api.RegisterResident(
            register_request(XUZHOU_MAN, sex=resident_pb2.SEX_FEMALE),
            metadata=running.md("qs-doctor"),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "ID_SEX_MISMATCH",
        "resident.sex",
    )
    expect_error(
        lambda: api.RegisterResident(
            register_request(XUZHOU_MAN, birth_date="1985-12-08"), metadata=running.md("qs-doctor")
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "BIRTH_DATE_MISMATCH",
        "resident.birth_date",
    )
    expect_error(
        lambda: api.RegisterResident(
            register_request(XUZHOU_MAN, name="", region=""), metadata=running.md("qs-doctor")
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="resident.region_code",
    )
    expect_error(
        lambda: api.RegisterResident(
            register_request(XUZHOU_MAN, region="370402"), metadata=running.md("qs-doctor")
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "WRONG_CELL",
    )
    assert _audit_rows(running) == before
    expect_error(
        lambda: api.LookupResident(
            pb.LookupResidentRequest(document=document(XUZHOU_MAN)),
            metadata=running.md("xz-admin"),
        ),
        grpc.StatusCode.NOT_FOUND,
    )


def test_sex_override_is_kept_with_its_reason(running: RunningCell, world: World) -> None:
    api = stub(running.channel)
    reply = api.RegisterResident(
        register_request(
            XUZHOU_MAN, sex=resident_pb2.SEX_FEMALE, sex_override_reason="性别变更已登记"
        ),
        metadata=running.md("qs-doctor"),
    )
    assert reply.resident.sex == resident_pb2.SEX_FEMALE
    assert reply.resident.sex_override_reason == "性别变更已登记"


def test_lower_case_x_and_legacy_numbers_find_the_same_resident(
    running: RunningCell, world: World
) -> None:
    api = stub(running.channel)
    md = running.md("qs-doctor")
    lower = api.RegisterResident(register_request("11010519491231002x", name="赵敏"), metadata=md)
    assert lower.resident.documents[0].number == "11010519491231002X"
    legacy = api.RegisterResident(register_request("320302851207031"), metadata=md)
    numbers = {d.origin: d.number for d in legacy.resident.documents}
    assert numbers == {"registered": XUZHOU_MAN, "legacy_15": "320302851207031"}
    for number in (XUZHOU_MAN, "320302851207031"):
        found = api.LookupResident(pb.LookupResidentRequest(document=document(number)), metadata=md)
        assert found.resident_id == legacy.resident.resident_id


def test_numbers_are_masked_unless_the_role_allows(running: RunningCell, world: World) -> None:
    api = stub(running.channel)
    created = api.RegisterResident(
        register_request(XUZHOU_MAN, phone="13912345678"), metadata=running.md("qs-doctor")
    )
    request = pb.GetResidentRequest(name=created.resident.name)
    clinician = api.GetResident(request, metadata=running.md("qs-doctor"))
    assert clinician.documents[0].number == XUZHOU_MAN and clinician.phone == "13912345678"
    for who in ("xz-admin", "js-auditor"):
        masked = api.GetResident(request, metadata=running.md(who))
        assert masked.documents[0].number == "3203**********0310"
        assert masked.documents[0].masked
        assert masked.phone == "139****5678"


def test_search_ranks_candidates(running: RunningCell, world: World) -> None:
    api = stub(running.channel)
    md = running.md("qs-doctor")
    exact = api.RegisterResident(register_request(XUZHOU_MAN, name="张三"), metadata=md)
    similar = api.RegisterResident(
        register_request(with_check("32030219851207051"), name="张三丰"), metadata=md
    )
    other_day = api.RegisterResident(
        register_request(with_check("32030219851230031"), name="张三"), metadata=md
    )
    api.RegisterResident(
        register_request(with_check("32030219700101031"), name="李四"), metadata=md
    )
    found = api.SearchResidents(
        pb.SearchResidentsRequest(
            display_name="张三", birth_date="1985-12-07", sex=resident_pb2.SEX_MALE
        ),
        metadata=md,
    )
    order = [m.resident.resident_id for m in found.matches]
    assert order == [
        exact.resident.resident_id,
        other_day.resident.resident_id,
        similar.resident.resident_id,
    ]
    assert list(found.matches[0].reasons) == ["NAME_EXACT", "BIRTH_DATE", "SEX"]
    assert found.matches[0].score == 1.0
    assert "BIRTH_YEAR_MONTH" in found.matches[1].reasons
    assert "NAME_SIMILAR" in found.matches[2].reasons
    expect_error(
        lambda: api.SearchResidents(
            pb.SearchResidentsRequest(display_name="张三", birth_date="1985-13-01"), metadata=md
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "DATE_FORMAT",
        "birth_date",
    )


def test_newborn_is_provisional_then_verified_in_place(running: RunningCell, world: World) -> None:
    api = stub(running.channel)
    md = running.md("qs-doctor")
    mother = api.RegisterResident(register_request(ZAOZHUANG_WOMAN, name="王芳"), metadata=md)
    newborn = api.RegisterNewborn(
        pb.RegisterNewbornRequest(
            resident=resident_pb2.Resident(
                display_name="王芳之女",
                sex=resident_pb2.SEX_FEMALE,
                birth_date="2026-11-20",
                mother=mother.resident.name,
            ),
            birth_certificate_number="X320101001",
        ),
        metadata=md,
    )
    assert newborn.state == resident_pb2.RESIDENT_STATE_PROVISIONAL
    assert newborn.mother == mother.resident.name
    assert newborn.region_code == "320311"  # the mother's
    assert [d.origin for d in newborn.documents] == ["newborn_link"]
    expect_error(
        lambda: api.IssueHealthCard(pb.IssueHealthCardRequest(parent=newborn.name), metadata=md),
        grpc.StatusCode.FAILED_PRECONDITION,
        "RESIDENT_NOT_VERIFIED",
    )
    child_id = with_check("32031120261120002")
    wrong_date = with_check("32031120261121002")
    expect_error(
        lambda: api.VerifyResidentIdentity(
            pb.VerifyResidentIdentityRequest(name=newborn.name, document=document(wrong_date)),
            metadata=md,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "BIRTH_DATE_MISMATCH",
    )
    verified = api.VerifyResidentIdentity(
        pb.VerifyResidentIdentityRequest(name=newborn.name, document=document(child_id)),
        metadata=md,
    )
    assert verified.resident_id == newborn.resident_id
    assert verified.state == resident_pb2.RESIDENT_STATE_VERIFIED
    found = api.LookupResident(pb.LookupResidentRequest(document=document(child_id)), metadata=md)
    assert found.resident_id == newborn.resident_id
    by_certificate = api.LookupResident(
        pb.LookupResidentRequest(
            document=document("X320101001", resident_pb2.DOCUMENT_TYPE_BIRTH_CERTIFICATE)
        ),
        metadata=md,
    )
    assert by_certificate.resident_id == newborn.resident_id


def test_a_replacement_certificate_joins_the_one_it_replaces(
    running: RunningCell, world: World
) -> None:
    """DOMAIN §4.3: a replaced or reissued certificate's new number is linked beside the old
    one (which stays an alias); a second first link, or a replacement of a number the resident
    does not hold, is refused; a retry is a no-op."""
    api = stub(running.channel)
    md = running.md("qs-doctor")
    mother = api.RegisterResident(register_request(ZAOZHUANG_WOMAN, name="王芳"), metadata=md)
    newborn = api.RegisterNewborn(
        pb.RegisterNewbornRequest(
            resident=resident_pb2.Resident(
                display_name="王芳之子", sex=resident_pb2.SEX_MALE, birth_date="2026-11-20",
                mother=mother.resident.name,
            ),
            birth_certificate_number="X320101001",
        ),
        metadata=md,
    )  # fmt: skip

    def link(number: str, replaces: str = "") -> resident_pb2.Resident:
        return api.LinkBirthCertificate(
            pb.LinkBirthCertificateRequest(
                name=newborn.name, birth_certificate_number=number, replaces=replaces
            ),
            metadata=md,
        )

    expect_error(lambda: link("X320101002"), grpc.StatusCode.FAILED_PRECONDITION,
                 "BIRTH_CERTIFICATE_LINKED")  # fmt: skip
    expect_error(lambda: link("X320101002", "X320101009"), grpc.StatusCode.FAILED_PRECONDITION,
                 "BIRTH_CERTIFICATE_NOT_LINKED")  # fmt: skip
    linked = link("X320101002", "X320101001")
    assert sorted(d.origin for d in linked.documents) == ["newborn_link", "replaces:X320101001"]
    assert len(link("X320101002", "X320101001").documents) == 2  # a retry
    for number in ("X320101001", "X320101002"):
        found = api.LookupResident(
            pb.LookupResidentRequest(
                document=document(number, resident_pb2.DOCUMENT_TYPE_BIRTH_CERTIFICATE)
            ),
            metadata=md,
        )
        assert found.resident_id == newborn.resident_id


def test_merge_moves_documents_and_undo_restores_them(running: RunningCell, world: World) -> None:
    api = stub(running.channel)
    md = running.md("qs-doctor")
    # One foreign resident registered twice: by passport at one visit, by the 2023 permanent
    # resident card at another.
    card_number = with_check("93215619850101001")
    by_card = api.RegisterResident(
        register_request(card_number, name="JOHN SMITH", doc_type=FPR, birth_date="1985-01-01"),
        metadata=md,
    )
    by_passport = api.RegisterResident(
        register_request(
            "E12345678", name="JOHN SMITH", doc_type=PASSPORT, issuing_country="USA",
            birth_date="1985-01-01", sex=resident_pb2.SEX_MALE,
        ),
        metadata=md,
    )  # fmt: skip
    passport = document("E12345678", PASSPORT, "USA")
    merge = api.MergeResidents(
        pb.MergeResidentsRequest(
            survivor=by_card.resident.name,
            merged=by_passport.resident.name,
            reason="same person: passport and permanent resident card",
            request_id=str(uuid.uuid4()),
        ),
        metadata=md,
    )
    assert merge.state == "active" and merge.moved_documents == 1
    alias = api.GetResident(pb.GetResidentRequest(name=by_passport.resident.name), metadata=md)
    assert alias.state == resident_pb2.RESIDENT_STATE_MERGED
    assert alias.merged_into == by_card.resident.name
    found = api.LookupResident(pb.LookupResidentRequest(document=passport), metadata=md)
    assert found.resident_id == by_card.resident.resident_id
    assert sorted(d.origin for d in found.documents) == [
        "merged_from:" + by_passport.resident.resident_id,
        "registered",
    ]  # the moved passport says where it came from
    assert sum(d.primary for d in found.documents) == 1  # the alias is not primary
    history = api.ListResidentEvents(
        pb.ListResidentEventsRequest(parent=by_passport.resident.name), metadata=md
    )
    assert [e.kind for e in history.events] == ["REGISTERED", "MERGED_INTO"]
    undone = api.UndoResidentMerge(
        pb.UndoResidentMergeRequest(name=merge.name, reason="different people after all"),
        metadata=md,
    )
    assert undone.state == "undone"
    missing = "residentMerges/01a20a4e-0000-7000-8000-000000000000"
    expect_error(
        lambda: api.UndoResidentMerge(
            pb.UndoResidentMergeRequest(name=missing, reason="x"), metadata=md
        ),
        grpc.StatusCode.PERMISSION_DENIED,  # a county clinician does not reach the whole cell
    )
    found = api.LookupResident(pb.LookupResidentRequest(document=passport), metadata=md)
    assert found.resident_id == by_passport.resident.resident_id
    assert found.state == resident_pb2.RESIDENT_STATE_VERIFIED
    assert found.documents[0].primary
    survivor_history = api.ListResidentEvents(
        pb.ListResidentEventsRequest(parent=by_card.resident.name), metadata=md
    )
    assert [e.kind for e in survivor_history.events] == ["REGISTERED", "ABSORBED", "MERGE_UNDONE"]
    expect_error(
        lambda: api.MergeResidents(
            pb.MergeResidentsRequest(
                survivor=by_card.resident.name, merged=by_card.resident.name, reason="x"
            ),
            metadata=md,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "MERGE_SAME_RESIDENT",
    )
    expect_error(
        lambda: api.MergeResidents(
            pb.MergeResidentsRequest(
                survivor=by_card.resident.name, merged=by_passport.resident.name
            ),
            metadata=md,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REASON_REQUIRED",
        "reason",
    )


def test_a_deceased_resident_gets_no_new_card(running: RunningCell, world: World) -> None:
    api = stub(running.channel)
    md = running.md("qs-doctor")
    resident = api.RegisterResident(register_request(XUZHOU_MAN), metadata=md).resident
    card = api.IssueHealthCard(pb.IssueHealthCardRequest(parent=resident.name), metadata=md)
    expect_error(
        lambda: api.MarkResidentDeceased(
            pb.MarkResidentDeceasedRequest(name=resident.name, death_date="2099-01-01"),
            metadata=md,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "DEATH_DATE_FUTURE",
        "death_date",
    )
    expect_error(
        lambda: api.MarkResidentDeceased(
            pb.MarkResidentDeceasedRequest(name=resident.name), metadata=md
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "DEATH_DATE_REQUIRED",
    )
    dead = api.MarkResidentDeceased(
        pb.MarkResidentDeceasedRequest(name=resident.name, death_date="2026-11-01"), metadata=md
    )
    assert dead.state == resident_pb2.RESIDENT_STATE_DECEASED
    assert dead.death_date == "2026-11-01"
    revoked = api.GetHealthCard(pb.GetHealthCardRequest(name=card.name), metadata=md)
    assert revoked.revoke_reason == "deceased"
    expect_error(
        lambda: api.IssueHealthCard(pb.IssueHealthCardRequest(parent=resident.name), metadata=md),
        grpc.StatusCode.FAILED_PRECONDITION,
        "RESIDENT_DECEASED",
    )


def test_reads_are_audited_with_the_caller_and_outcome(running: RunningCell, world: World) -> None:
    api = stub(running.channel)
    md = running.md("qs-doctor")
    resident = api.RegisterResident(register_request(XUZHOU_MAN), metadata=md).resident
    api.GetResident(pb.GetResidentRequest(name=resident.name), metadata=md)
    expect_error(
        lambda: api.LookupResident(
            pb.LookupResidentRequest(document=document(LHASA_MAN)), metadata=md
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    assert running.cell.part("identity").residents.read_audit.flush()
    with running.cell.part("identity").db.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT action, actor, target, outcome FROM audit_event ORDER BY seq"
        ).all()
        assert audit.verify(conn).intact
    reads = [r for r in rows if r.action in ("resident.read", "resident.lookup")]
    subject = f"user:{world.users['qs-doctor']}"
    assert [(r.action, r.actor, r.target, r.outcome) for r in reads] == [
        ("resident.read", subject, resident.name, "OK"),
        ("resident.lookup", subject, "residents", "NOT_FOUND"),
    ]


def test_a_search_is_audited_per_resident_it_returned(running: RunningCell, world: World) -> None:
    """Issue 12: "who viewed this resident" must find searches too, and the answer leaves only
    once its events are written (no flush needed before reading them)."""
    api = stub(running.channel)
    md = running.md("qs-doctor")
    wang = api.RegisterResident(
        register_request(ZAOZHUANG_WOMAN, name="王芳", region="320311"), metadata=md
    ).resident
    api.SearchResidents(pb.SearchResidentsRequest(display_name="王芳"), metadata=md)
    api.SearchResidents(pb.SearchResidentsRequest(display_name="赵无名"), metadata=md)
    with running.cell.part("identity").db.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT target, outcome FROM audit_event WHERE action = 'resident.search' ORDER BY seq"
        ).all()
    assert [(r.target, r.outcome) for r in rows] == [(wang.name, "OK"), ("residents", "OK")]


def test_update_changes_contact_details_with_the_etag(running: RunningCell, world: World) -> None:
    from google.protobuf.field_mask_pb2 import FieldMask

    api = stub(running.channel)
    md = running.md("qs-doctor")
    resident = api.RegisterResident(register_request(XUZHOU_MAN), metadata=md).resident

    def update(paths: list[str], **fields):  # type: ignore[no-untyped-def]
        message = resident_pb2.Resident(name=resident.name, **fields)
        return api.UpdateResident(
            pb.UpdateResidentRequest(resident=message, update_mask=FieldMask(paths=paths)),
            metadata=md,
        )

    moved = update(
        ["phone", "region_code", "address"],
        phone="13800001111",
        region_code="320106",
        address="鼓楼区中山路1号",
        etag=resident.etag,
    )
    assert (moved.phone, moved.region_code, moved.address) == (
        "13800001111",
        "320106",
        "鼓楼区中山路1号",
    )
    assert moved.birth_date == resident.birth_date and moved.etag != resident.etag
    # Now living in Nanjing: Nanjing's administrator sees the resident.
    api.GetResident(pb.GetResidentRequest(name=resident.name), metadata=running.md("nj-admin"))
    expect_error(
        lambda: update(["phone"], phone="13800002222", etag=resident.etag),
        grpc.StatusCode.ABORTED,
        "ETAG_MISMATCH",
    )
    error = expect_error(
        lambda: update(["phone", "birth_date"], phone="12345"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "UPDATE_MASK_FIELD",
    )
    assert {v.field for v in error.violations} == {"update_mask", "resident.phone"}
    expect_error(lambda: update([]), grpc.StatusCode.INVALID_ARGUMENT, "UPDATE_MASK_EMPTY")
    after = api.GetResident(pb.GetResidentRequest(name=resident.name), metadata=md)
    assert after.phone == "13800001111"  # the refused updates changed nothing
