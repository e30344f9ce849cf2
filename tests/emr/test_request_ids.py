"""Idempotent retries by request id, per caller (AIP-155): a retry answers the first result;
another caller's use of the same id is a request of its own; the same id with another body is
refused."""

from __future__ import annotations

import uuid

import grpc
from emr.helpers import Emr, summary
from rhip.api.emr.v1 import document_pb2 as dpb
from rhip.api.emr.v1 import emr_service_pb2 as pb
from support.errors import expect_error


def test_a_retried_submission_answers_the_first_result(emr: Emr) -> None:
    request_id = str(uuid.uuid4())
    first = emr.submit(summary(emr.numbers["man"]), request_id=request_id)
    again = emr.submit(summary(emr.numbers["man"]), request_id=request_id)
    assert first.outcome == dpb.DOCUMENT_OUTCOME_STORED
    assert (again.outcome, again.name) == (dpb.DOCUMENT_OUTCOME_UNCHANGED, first.name)
    expect_error(
        lambda: emr.submit(summary(emr.numbers["man"], "MZ-2"), request_id=request_id),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REQUEST_ID_REUSED",
    )


def test_another_callers_request_id_reaches_nothing_of_the_first_answer(emr: Emr) -> None:
    request_id = str(uuid.uuid4())
    ours = emr.submit(summary(emr.numbers["man"]), "hosp-doctor", request_id)
    theirs = emr.submit(summary(emr.numbers["man"]), "hosp2-doctor", request_id)
    assert theirs.outcome == dpb.DOCUMENT_OUTCOME_STORED and theirs.name != ours.name
    doc = emr.api.GetDocument(
        pb.GetDocumentRequest(name=theirs.name), metadata=emr.md("hosp2-doctor")
    )
    assert doc.custodian == emr.tenant("hosp2")


def test_a_retried_consent_and_break_glass_make_one_each(emr: Emr) -> None:
    request_id = str(uuid.uuid4())
    request = pb.StartBreakGlassRequest(
        parent=emr.residents["man"], reason="急诊", request_id=request_id
    )
    first = emr.api.StartBreakGlass(request, metadata=emr.md("hosp2-doctor"))
    again = emr.api.StartBreakGlass(request, metadata=emr.md("hosp2-doctor"))
    assert first.name == again.name
    queue = emr.api.ListBreakGlassAccesses(
        pb.ListBreakGlassAccessesRequest(parent=emr.tenant("hosp2")),
        metadata=emr.md("hosp2-doctor"),
    )
    assert [a.name for a in queue.accesses] == [first.name]
