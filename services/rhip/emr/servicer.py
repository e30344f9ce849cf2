"""EmrService servicer: each RPC converts its request (convert.py), calls its use case and
converts the answer; no try/except for domain errors (the kit's interceptor maps them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rhip.api.emr.v1 import emr_service_pb2 as pb
from rhip.api.emr.v1 import emr_service_pb2_grpc
from rhip.emr import convert
from rhip.emr.usecases import EmrUseCases
from rhip.kit.apis import public_methods
from rhip.kit.audit_api import audit_event_to_pb, search_request
from rhip.kit.errors import InvalidArgument
from rhip.kit.pagination import parse_page

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["EmrService"].full_name
PUBLIC_METHODS = public_methods(SERVICE_NAME)


def _forms(requests: Iterator[pb.SubmitDocumentsRequest]) -> Iterator[Any]:
    """Each streamed document as a form, or the error that made it unreadable."""
    for request in requests:
        try:
            yield convert.document_form(request.document)
        except InvalidArgument as error:
            yield error


class EmrServicer(emr_service_pb2_grpc.EmrServiceServicer):
    def __init__(self, usecases: EmrUseCases) -> None:
        self.uc = usecases

    def SubmitDocument(self, request, context):
        form = convert.document_form(request.document)
        return convert.outcome_to_pb(self.uc.submit(form, request.request_id))

    def SubmitDocuments(self, request_iterator, context):
        outcomes = self.uc.submit_many(_forms(request_iterator))
        count = {name: sum(1 for o in outcomes if o.outcome == name) for name in convert.OUTCOMES}
        return pb.SubmitDocumentsResponse(
            results=[convert.outcome_to_pb(o) for o in outcomes],
            stored=count["STORED"] + count["SUPERSEDED"] + count["STORED_AS_HISTORY"],
            unchanged=count["UNCHANGED"],
            parked=count["PARKED"],
            rejected=count["REJECTED"],
        )

    def GetDocument(self, request, context):
        doc = self.uc.get_document(request.name)
        return convert.document_to_pb(doc, with_version="/versions/" in request.name)

    def ListDocuments(self, request, context):
        kind = convert.kind_filter(request.kind)
        page = parse_page(request.page_size, request.page_token, request.parent, request.kind)
        docs, token = self.uc.list_documents(request.parent, kind, page)
        return pb.ListDocumentsResponse(
            documents=[convert.document_to_pb(d) for d in docs], next_page_token=token
        )

    def ListDocumentVersions(self, request, context):
        page = parse_page(request.page_size, request.page_token, request.parent)
        docs, token = self.uc.versions(request.parent, page)
        return pb.ListDocumentsResponse(
            documents=[convert.document_to_pb(d, with_version=True) for d in docs],
            next_page_token=token,
        )

    def ListParkedDocuments(self, request, context):
        page = parse_page(request.page_size, request.page_token, request.parent)
        items, token = self.uc.parked(request.parent, page)
        return pb.ListParkedDocumentsResponse(
            parked_documents=[convert.parked_to_pb(p) for p in items], next_page_token=token
        )

    def CheckRecognition(self, request, context):
        verdicts = self.uc.check_recognition(request.parent, request.viewer, request.date)
        return pb.CheckRecognitionResponse(verdicts=[convert.verdict_to_pb(v) for v in verdicts])

    def ListTimeline(self, request, context):
        page = parse_page(request.page_size, request.page_token, request.parent)
        entries, token = self.uc.timeline(request.parent, page)
        return pb.ListTimelineResponse(
            entries=[convert.entry_to_pb(e) for e in entries], next_page_token=token
        )

    def ListBreakGlassAccesses(self, request, context):
        state = convert.review_state(request.review_state)
        page = parse_page(
            request.page_size, request.page_token, request.parent, request.review_state
        )
        accesses, token = self.uc.break_glass_accesses(request.parent, state, page)
        return pb.ListBreakGlassAccessesResponse(
            accesses=[convert.access_to_pb(a) for a in accesses], next_page_token=token
        )

    def SearchAuditEvents(self, request, context):
        events, token = self.uc.search_audit(*search_request(request))
        return pb.SearchAuditEventsResponse(
            events=[audit_event_to_pb(e) for e in events], next_page_token=token
        )

    def ResolveParkedDocument(self, request, context):
        return convert.outcome_to_pb(self.uc.resolve_parked(request.name, request.resident))

    def SetLabCodeMapping(self, request, context):
        parent, local, loinc, version = self.uc.set_lab_mapping(
            request.parent, request.mapping.local_code, request.mapping.loinc_code,
            request.request_id,
        )  # fmt: skip
        return pb.LabCodeMapping(
            name=f"{parent}/labCodeMappings/{local}", local_code=local, loinc_code=loinc,
            version=version,
        )  # fmt: skip

    def RecordConsent(self, request, context):
        c = request.consent
        consent = self.uc.record_consent(
            request.parent, c.purpose, convert.consent_kinds(c), c.start_date, c.end_date,
            c.reference, request.request_id, *convert.consent_giver(c),
        )  # fmt: skip
        return convert.consent_to_pb(consent)

    def RevokeConsent(self, request, context):
        return convert.consent_to_pb(self.uc.revoke_consent(request.name, request.reason))

    def ReviewBreakGlassAccess(self, request, context):
        access = self.uc.review_break_glass(
            request.name, convert.review_state(request.review_state), request.review_note
        )
        return convert.access_to_pb(access)

    def StartBreakGlass(self, request, context):
        access = self.uc.start_break_glass(request.parent, request.reason, request.request_id)
        return convert.access_to_pb(access)
