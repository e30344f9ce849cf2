"""Ingest from hospital systems (issue 16; docs/domain §6.1–§6.3): idempotent by (source
system, document id, version), a higher version supersedes and keeps history, the patient
matched by identity document (unknown: parked), diagnosis codes validated with the clinical
version's lower-case x kept as sent, lab items mapped to LOINC through the versioned table."""

from __future__ import annotations

import uuid

import grpc
import pytest
from emr.helpers import Emr, identifier, lab_item, lab_report, summary
from rhip.api.emr.v1 import document_pb2 as dpb
from rhip.api.emr.v1 import emr_service_pb2 as pb
from support.errors import expect_error

STORED = dpb.DOCUMENT_OUTCOME_STORED
UNKNOWN_PERSON = "320311199001010034"  # valid check character, registered nowhere


def test_a_document_is_stored_matched_and_read_back_with_the_code_as_sent(emr: Emr) -> None:
    answer = emr.submit(summary(emr.numbers["man"]))
    assert answer.outcome == STORED
    doc = emr.api.GetDocument(pb.GetDocumentRequest(name=answer.name), metadata=emr.md("his"))
    assert doc.resident == emr.residents["man"]
    assert doc.custodian == emr.tenant("hosp")
    assert doc.diagnoses[0].code == "I10.x00x002"  # the x kept, lower-case, as sent
    assert len(doc.content_hash) == 64 and not doc.patient_identifiers


def test_a_resend_changes_nothing_and_a_higher_version_supersedes_keeping_history(emr: Emr) -> None:
    number = emr.numbers["man"]
    first = emr.submit(summary(number))
    again = emr.submit(summary(number))
    assert again.outcome == dpb.DOCUMENT_OUTCOME_UNCHANGED and again.name == first.name
    newer = emr.submit(summary(number, version=2, chief_complaint="头晕两周"))
    assert newer.outcome == dpb.DOCUMENT_OUTCOME_SUPERSEDED and newer.name == first.name
    current = emr.api.GetDocument(pb.GetDocumentRequest(name=first.name), metadata=emr.md("his"))
    assert (current.version, current.chief_complaint, current.superseded) == (2, "头晕两周", False)
    old = emr.api.GetDocument(
        pb.GetDocumentRequest(name=f"{first.name}/versions/1"), metadata=emr.md("his")
    )
    assert (old.version, old.chief_complaint, old.superseded) == (1, "头晕一周", True)
    versions = emr.api.ListDocumentVersions(
        pb.ListDocumentVersionsRequest(parent=first.name, page_size=1), metadata=emr.md("his")
    )
    assert [d.version for d in versions.documents] == [2] and versions.next_page_token
    listed = emr.api.ListDocuments(
        pb.ListDocumentsRequest(parent=emr.residents["man"]), metadata=emr.md("his")
    )
    assert [d.version for d in listed.documents] == [2]  # the current version only


def test_the_same_version_with_other_content_is_refused(emr: Emr) -> None:
    emr.submit(summary(emr.numbers["man"]))
    expect_error(
        lambda: emr.submit(summary(emr.numbers["man"], chief_complaint="另一份")),
        grpc.StatusCode.ALREADY_EXISTS,
        "VERSION_CONFLICT",
    )


def test_an_unknown_patient_is_parked_in_the_institutions_queue_not_dropped(emr: Emr) -> None:
    answer = emr.submit(summary(UNKNOWN_PERSON, "MZ-9"))
    assert answer.outcome == dpb.DOCUMENT_OUTCOME_PARKED and answer.reason == "PATIENT_UNKNOWN"
    again = emr.submit(summary(UNKNOWN_PERSON, "MZ-9"))
    assert again.outcome == dpb.DOCUMENT_OUTCOME_PARKED and again.name == answer.name
    queue = emr.api.ListParkedDocuments(
        pb.ListParkedDocumentsRequest(parent=emr.tenant("hosp")), metadata=emr.md("his")
    )
    assert [p.name for p in queue.parked_documents] == [answer.name]
    with pytest.raises(grpc.RpcError) as caught:  # another institution's queue
        emr.api.ListParkedDocuments(
            pb.ListParkedDocumentsRequest(parent=emr.tenant("hosp")),
            metadata=emr.md("hosp2-doctor"),
        )
    assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED


def test_two_identity_documents_naming_two_people_are_ambiguous_and_parked(emr: Emr) -> None:
    doc = summary(emr.numbers["man"], "MZ-7")
    doc.patient_identifiers.append(identifier(emr.numbers["woman"]))
    answer = emr.submit(doc)
    assert answer.outcome == dpb.DOCUMENT_OUTCOME_PARKED and answer.reason == "PATIENT_AMBIGUOUS"


def test_a_patient_is_never_matched_by_name_alone(emr: Emr) -> None:
    expect_error(
        lambda: emr.submit(summary(emr.numbers["man"], patient_identifiers=[])),
        grpc.StatusCode.INVALID_ARGUMENT,
        "PATIENT_IDENTIFIER_REQUIRED",
        "document.patient_identifiers",
    )


@pytest.mark.parametrize(
    ("system", "code", "ok"),
    [
        (dpb.DIAGNOSIS_CODE_SYSTEM_ICD10_CLINICAL, "E14.900x001", True),
        (dpb.DIAGNOSIS_CODE_SYSTEM_ICD10, "E11.900", True),
        (dpb.DIAGNOSIS_CODE_SYSTEM_ICD10_CLINICAL, "I10.X00X002", False),  # x is lower-case
        (dpb.DIAGNOSIS_CODE_SYSTEM_ICD10, "I10.", False),
        (dpb.DIAGNOSIS_CODE_SYSTEM_TCM, "A01.01.01", True),
        (dpb.DIAGNOSIS_CODE_SYSTEM_TCM, "I10.x00", False),
    ],
)
def test_diagnosis_codes_are_validated_per_code_system(
    emr: Emr, system: int, code: str, ok: bool
) -> None:
    diagnosis = dpb.Diagnosis(code_system=system, code=code, display="诊断", type="main")
    document = summary(emr.numbers["man"], diagnoses=[diagnosis])
    if ok:
        answer = emr.submit(document)
        got = emr.api.GetDocument(pb.GetDocumentRequest(name=answer.name), metadata=emr.md("his"))
        assert got.diagnoses[0].code == code
        return
    expect_error(
        lambda: emr.submit(document), grpc.StatusCode.INVALID_ARGUMENT, None,
        "document.diagnoses[0].code",
    )  # fmt: skip


def test_lab_items_keep_their_local_code_and_map_to_loinc_through_the_versioned_table(
    emr: Emr,
) -> None:
    number = emr.numbers["man"]
    plain = emr.submit(lab_report(number, "LIS-0"))  # no mapping yet: LOINC never required
    got = emr.api.GetDocument(pb.GetDocumentRequest(name=plain.name), metadata=emr.md("his"))
    assert (got.results[0].local_code, got.results[0].loinc_code) == ("CREA", "")
    for loinc in ("2160-1", "2160-0"):  # a correction is a new version
        mapping = emr.api.SetLabCodeMapping(
            pb.SetLabCodeMappingRequest(
                parent=emr.tenant("hosp"),
                mapping=pb.LabCodeMapping(local_code="CREA", loinc_code=loinc),
                request_id=str(uuid.uuid4()),
            ),
            metadata=emr.md("his"),
        )
    assert mapping.version == 2
    items = [lab_item("CREA"), lab_item("LOCAL-9", name="本院特检")]
    mapped = emr.submit(lab_report(number, "LIS-1", items))
    got = emr.api.GetDocument(pb.GetDocumentRequest(name=mapped.name), metadata=emr.md("his"))
    assert [(r.local_code, r.loinc_code, r.terminology_version) for r in got.results] == [
        ("CREA", "2160-0", 2),
        ("LOCAL-9", "", 0),
    ]


def test_a_parked_document_is_stored_once_its_institution_names_the_resident(emr: Emr) -> None:
    parked = emr.submit(summary(UNKNOWN_PERSON, "MZ-P"))
    request = pb.ResolveParkedDocumentRequest(name=parked.name, resident=emr.residents["woman"])
    expect_error(  # another institution cannot resolve it
        lambda: emr.api.ResolveParkedDocument(request, metadata=emr.md("hosp2-doctor")),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    stored = emr.api.ResolveParkedDocument(request, metadata=emr.md("hosp-doctor"))
    assert stored.outcome == STORED
    doc = emr.api.GetDocument(pb.GetDocumentRequest(name=stored.name), metadata=emr.md("his"))
    assert doc.resident == emr.residents["woman"] and doc.diagnoses[0].code == "I10.x00x002"
    queue = emr.api.ListParkedDocuments(
        pb.ListParkedDocumentsRequest(parent=emr.tenant("hosp")), metadata=emr.md("his")
    )
    assert not queue.parked_documents
