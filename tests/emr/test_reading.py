"""Who may read (issue 16, docs/domain §8): the custodian reads its own documents; another
institution only with a basis the platform checks (the resident's consent, revocable at once;
break-glass, time-limited and reviewed; a care relationship in archives); every read audited
with its basis, and "who read my records" answers from the audit."""

from __future__ import annotations

import uuid
from datetime import timedelta

import grpc
import pytest
from archives.helpers import complete_form
from emr.helpers import Emr, lab_report, summary
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.emr.v1 import document_pb2 as dpb
from rhip.api.emr.v1 import emr_service_pb2 as pb
from support.errors import expect_error

DENIED = grpc.StatusCode.PERMISSION_DENIED


def _get(emr: Emr, name: str, who: str) -> dpb.ClinicalDocument:
    return emr.api.GetDocument(pb.GetDocumentRequest(name=name), metadata=emr.md(who))


def _listed(emr: Emr, who: str, resident: str = "man") -> list[str]:
    reply = emr.api.ListDocuments(
        pb.ListDocumentsRequest(parent=emr.residents[resident]), metadata=emr.md(who)
    )
    return [d.name for d in reply.documents]


@pytest.fixture
def shared(emr: Emr) -> tuple[str, str]:
    """A summary and a lab report of the man, sent by the Quanshan hospital's HIS."""
    number = emr.numbers["man"]
    return emr.submit(summary(number)).name, emr.submit(lab_report(number)).name


def test_the_custodian_reads_and_another_institution_without_a_basis_does_not(
    emr: Emr, shared: tuple[str, str]
) -> None:
    summary_name, _ = shared
    assert _get(emr, summary_name, "hosp-doctor").name == summary_name
    expect_error(lambda: _get(emr, summary_name, "hosp2-doctor"), DENIED)
    assert _listed(emr, "hosp2-doctor") == []
    # A resident the caller cannot see in the index: the list itself is refused.
    expect_error(lambda: _listed(emr, "nj-doctor"), DENIED)


def test_consent_opens_its_kinds_until_revoked_then_reads_stop_at_once(
    emr: Emr, shared: tuple[str, str]
) -> None:
    summary_name, lab_name = shared
    consent = emr.consent("man", "hosp2-doctor", kinds=[dpb.DOCUMENT_KIND_LAB_REPORT])
    assert consent.grantee == emr.tenant("hosp2")
    assert _get(emr, lab_name, "hosp2-doctor").name == lab_name
    expect_error(lambda: _get(emr, summary_name, "hosp2-doctor"), DENIED)  # not its kind
    assert _listed(emr, "hosp2-doctor") == [lab_name]
    emr.api.RevokeConsent(
        pb.RevokeConsentRequest(name=consent.name, reason="居民撤回同意"),
        metadata=emr.md("hosp2-doctor"),
    )
    expect_error(lambda: _get(emr, lab_name, "hosp2-doctor"), DENIED)
    assert _listed(emr, "hosp2-doctor") == []


def test_a_consent_names_its_kinds_period_and_the_signed_form(emr: Emr) -> None:
    expect_error(
        lambda: emr.consent("man", "hosp2-doctor", reference=""),
        grpc.StatusCode.INVALID_ARGUMENT,
        "CONSENT_REFERENCE_REQUIRED",
        "consent.reference",
    )
    expect_error(
        lambda: emr.consent("man", "hosp2-doctor", end_date="2000-01-01"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "CONSENT_PERIOD",
    )
    # Another city's clinician cannot record a consent for a resident it cannot see.
    expect_error(lambda: emr.consent("man", "nj-doctor"), DENIED)


def test_break_glass_reads_until_it_expires_and_lands_in_the_review_queue(
    emr: Emr, shared: tuple[str, str]
) -> None:
    summary_name, _ = shared
    access = emr.api.StartBreakGlass(
        pb.StartBreakGlassRequest(
            parent=emr.residents["man"], reason="急诊昏迷，需既往病史", request_id=str(uuid.uuid4())
        ),
        metadata=emr.md("hosp2-doctor"),
    )
    assert access.expire_time.ToSeconds() - access.start_time.ToSeconds() == 4 * 3600
    assert _get(emr, summary_name, "hosp2-doctor").name == summary_name
    queue = emr.api.ListBreakGlassAccesses(
        pb.ListBreakGlassAccessesRequest(parent="regions/320311"), metadata=emr.md("qs-admin")
    )
    assert [(a.name, a.uses) for a in queue.accesses] == [(access.name, 1)]
    reviewed = emr.api.ReviewBreakGlassAccess(
        pb.ReviewBreakGlassAccessRequest(
            name=access.name, review_state=pb.REVIEW_STATE_JUSTIFIED, review_note="急诊属实"
        ),
        metadata=emr.md("qs-admin"),
    )
    assert reviewed.review_state == pb.REVIEW_STATE_JUSTIFIED
    expect_error(  # another county's administrator sees nothing of this queue
        lambda: emr.api.ListBreakGlassAccesses(
            pb.ListBreakGlassAccessesRequest(parent="regions/320311"), metadata=emr.md("nj-admin")
        ),
        DENIED,
    )
    usecases = emr.running.cell.part("emr").usecases
    real = usecases.clock
    usecases.clock = lambda: real() + timedelta(hours=4, seconds=1)
    try:
        expect_error(lambda: _get(emr, summary_name, "hosp2-doctor"), DENIED)
    finally:
        usecases.clock = real


def test_the_managing_grassroots_institution_reads_through_its_care_relationship(
    emr: Emr, shared: tuple[str, str]
) -> None:
    summary_name, _ = shared
    expect_error(lambda: _get(emr, summary_name, "qs-doctor"), DENIED)
    archives = archives_service_pb2_grpc.ArchivesServiceStub(emr.running.channel)
    record = archives.CreateHealthRecord(
        apb.CreateHealthRecordRequest(
            resident=emr.residents["man"], township_code="001", village_code="101",
            basic_info=complete_form(),
        ),
        metadata=emr.md("qs-doctor"),
    )  # fmt: skip
    archives.ActivateHealthRecord(
        apb.ActivateHealthRecordRequest(name=record.name), metadata=emr.md("qs-doctor")
    )
    assert _get(emr, summary_name, "qs-doctor").name == summary_name


def test_every_read_is_audited_with_its_basis_and_the_resident_can_ask_who_read(
    emr: Emr, shared: tuple[str, str]
) -> None:
    summary_name, _ = shared
    _get(emr, summary_name, "hosp-doctor")
    emr.consent("man", "hosp2-doctor")
    _get(emr, summary_name, "hosp2-doctor")
    events = emr.api.SearchAuditEvents(
        pb.SearchAuditEventsRequest(
            parent="regions/320311", resident=emr.residents["man"], action="document.read"
        ),
        metadata=emr.md("qs-admin"),
    ).events
    bases = sorted(e.detail.get("basis", e.basis).split(":")[0] for e in events)
    assert bases == ["consent", "custodian"]


def test_a_refused_read_is_audited_too(emr: Emr, shared: tuple[str, str]) -> None:
    summary_name, _ = shared
    expect_error(lambda: _get(emr, summary_name, "hosp2-doctor"), DENIED)
    events = emr.api.SearchAuditEvents(
        pb.SearchAuditEventsRequest(
            parent="regions/320311", resident=emr.residents["man"], action="document.read"
        ),
        metadata=emr.md("qs-admin"),
    ).events
    assert [e.outcome for e in events] == ["DENIED"]
