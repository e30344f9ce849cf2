"""Bulk ingest over a client stream (issue 16): every document answered; one bad document is
rejected with its reason and the others stored; the same stream again adds nothing; a stream
longer than the configured maximum is refused before anything is stored."""

from __future__ import annotations

import grpc
import pytest
from emr.helpers import Emr, summary
from rhip.api.emr.v1 import document_pb2 as dpb
from rhip.api.emr.v1 import emr_service_pb2 as pb
from rhip.emr.repository import EmrRepository
from support.errors import expect_error

BAD_CODE = dpb.Diagnosis(
    code_system=dpb.DIAGNOSIS_CODE_SYSTEM_ICD10_CLINICAL, code="I10.X00", display="高血压"
)


def _stream(number: str, count: int, bad_every: int) -> list[dpb.ClinicalDocument]:
    documents = []
    for i in range(count):
        document = summary(number, f"MZ-{i:05d}")
        if bad_every and i % bad_every == 7:
            del document.diagnoses[:]
            document.diagnoses.append(BAD_CODE)
        documents.append(document)
    return documents


def test_a_thousand_documents_with_ten_bad_ones_store_990_and_a_resend_adds_nothing(
    emr: Emr,
) -> None:
    documents = _stream(emr.numbers["man"], 1000, 100)
    answer = emr.stream(documents)
    assert (answer.stored, answer.rejected, answer.unchanged, answer.parked) == (990, 10, 0, 0)
    rejected = [r for r in answer.results if r.outcome == dpb.DOCUMENT_OUTCOME_REJECTED]
    assert [r.index for r in rejected] == [i * 100 + 7 for i in range(10)]
    assert {(r.reason, r.field) for r in rejected} == {
        ("DIAGNOSIS_CODE_FORMAT", "document.diagnoses[0].code")
    }
    assert rejected[0].document_id == "MZ-00007"
    again = emr.stream(documents)
    assert (again.stored, again.rejected, again.unchanged) == (0, 10, 990)
    listed = emr.api.ListDocuments(
        pb.ListDocumentsRequest(parent=emr.residents["man"], page_size=1000), metadata=emr.md("his")
    )
    assert len(listed.documents) == 990


def test_a_stream_mixes_outcomes_per_document(emr: Emr) -> None:
    number = emr.numbers["man"]
    emr.submit(summary(number, "MZ-A"))
    answer = emr.stream(
        [
            summary(number, "MZ-A"),  # received before
            summary(number, "MZ-A", version=2),  # supersedes
            summary("320311199001010034", "MZ-B"),  # nobody in the index: parked
            summary(number, "MZ-C", effective_time=None),  # bad: rejected
        ]
    )
    assert [r.outcome for r in answer.results] == [
        dpb.DOCUMENT_OUTCOME_UNCHANGED,
        dpb.DOCUMENT_OUTCOME_SUPERSEDED,
        dpb.DOCUMENT_OUTCOME_PARKED,
        dpb.DOCUMENT_OUTCOME_REJECTED,
    ]
    assert answer.results[3].field == "document.effective_time"


@pytest.mark.cell_env(RHIP_EMR_MAX_STREAM_DOCUMENTS="5")
def test_a_stream_over_the_maximum_is_refused_and_stores_nothing(emr: Emr) -> None:
    expect_error(
        lambda: emr.stream(_stream(emr.numbers["man"], 6, 0)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "TOO_MANY_ITEMS",
        "documents",
    )
    listed = emr.api.ListDocuments(
        pb.ListDocumentsRequest(parent=emr.residents["man"]), metadata=emr.md("his")
    )
    assert not listed.documents


def test_repeated_fields_beyond_their_maximum_are_refused_naming_the_field(emr: Emr) -> None:
    document = summary(emr.numbers["man"])
    document.diagnoses.extend([document.diagnoses[0]] * 60)
    expect_error(
        lambda: emr.submit(document),
        grpc.StatusCode.INVALID_ARGUMENT,
        "TOO_MANY_ITEMS",
        "document.diagnoses",
    )


def test_a_version_stored_meanwhile_by_another_stream_fails_its_chunk_as_already_exists(
    emr: Emr, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another stream stores one of a chunk's versions between the chunk's read of what is
    stored and its insert: the unique key refuses the insert, the stream fails ALREADY_EXISTS
    and nothing of the chunk is kept (on PostgreSQL the chunk's rows go in one pipeline with
    its audit events and the COMMIT: rhip.emr.documents.ingest)."""
    number = emr.numbers["man"]
    emr.stream([summary(number, "MZ-A")])
    # what the chunk reads as stored before it: nothing, as if MZ-A came in meanwhile
    monkeypatch.setattr(EmrRepository, "known_versions", lambda self, tenant, keys: {})
    expect_error(
        lambda: emr.stream([summary(number, "MZ-B"), summary(number, "MZ-A")]),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    monkeypatch.undo()
    listed = emr.api.ListDocuments(
        pb.ListDocumentsRequest(parent=emr.residents["man"]), metadata=emr.md("his")
    )
    assert [d.document_id for d in listed.documents] == ["MZ-A"]
