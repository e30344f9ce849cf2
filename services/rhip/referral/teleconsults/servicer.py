"""TeleconsultationService servicer: each RPC converts its request, calls its use case and
converts the answer; no try/except for domain errors."""

from __future__ import annotations

from datetime import UTC, datetime

from rhip.api.referral.v1 import teleconsultation_service_pb2 as pb
from rhip.api.referral.v1 import teleconsultation_service_pb2_grpc
from rhip.kit.apis import public_methods
from rhip.kit.pagination import parse_page
from rhip.kit.timestamps import from_timestamp, to_timestamp
from rhip.referral.teleconsults.convert import agreement_to_pb, tc_to_pb
from rhip.referral.teleconsults.cross_cell import CrossCellTeleconsults

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["TeleconsultationService"].full_name
PUBLIC_METHODS = public_methods(SERVICE_NAME)


class TeleconsultationServicer(teleconsultation_service_pb2_grpc.TeleconsultationServiceServicer):
    def __init__(self, usecases: CrossCellTeleconsults) -> None:
        self.uc = usecases

    def CreateCooperationAgreement(self, request, context):
        a = request.agreement
        values = {
            "inviting_tenant": a.inviting_tenant, "invited_tenant": a.invited_tenant,
            "scope": a.scope, "liability": a.liability, "start_date": a.start_date,
            "end_date": a.end_date, "invited_region": a.invited_region,
        }  # fmt: skip
        return agreement_to_pb(self.uc.create_agreement(values, request.request_id))

    def ListCooperationAgreements(self, request, context):
        page = parse_page(request.page_size, request.page_token, request.parent)
        found, token = self.uc.agreements(request.parent, page)
        return pb.ListCooperationAgreementsResponse(
            agreements=[agreement_to_pb(a) for a in found], next_page_token=token
        )

    def RequestTeleconsultation(self, request, context):
        t = request.teleconsultation
        values = {
            "invited_tenant": t.invited_tenant, "resident": t.resident, "reason": t.reason,
            "purpose": t.purpose, "record_summary": t.record_summary,
            "specialty": t.specialty, "title_wanted": t.title_wanted,
            "invited_region": t.invited_region,
        }  # fmt: skip
        consent = {
            "signer": t.consent.signer, "consent_date": t.consent.consent_date,
            "reference": t.consent.reference,
        }  # fmt: skip
        proposed = (
            from_timestamp(t.proposed_time, "teleconsultation.proposed_time")
            if t.HasField("proposed_time")
            else None
        )
        return tc_to_pb(self.uc.request(values, proposed, consent, request.request_id))

    def GetTeleconsultation(self, request, context):
        return tc_to_pb(self.uc.get(request.name))

    def ListTeleconsultations(self, request, context):
        page = parse_page(request.page_size, request.page_token, request.parent, request.resident)
        found, token = self.uc.list_for(request.parent, page, request.resident)
        return pb.ListTeleconsultationsResponse(
            teleconsultations=[tc_to_pb(t) for t in found], next_page_token=token
        )

    def AcceptTeleconsultation(self, request, context):
        r = request
        accepted = self.uc.accept(
            r.name, r.consulting_physician, r.request_id, r.professional_title,
            r.independent_practice_since,
        )  # fmt: skip
        return tc_to_pb(accepted)

    def DeclineTeleconsultation(self, request, context):
        return tc_to_pb(self.uc.decline(request.name, request.reason, request.request_id))

    def ScheduleTeleconsultation(self, request, context):
        when = (
            from_timestamp(request.scheduled_time, "scheduled_time")
            if request.HasField("scheduled_time")
            else None
        )
        return tc_to_pb(self.uc.schedule(request.name, when, request.request_id))

    def StartTeleconsultation(self, request, context):
        return tc_to_pb(self.uc.start(request.name, request.request_id))

    def EndTeleconsultation(self, request, context):
        return tc_to_pb(self.uc.end(request.name, request.recording, request.request_id))

    def SubmitOpinionReport(self, request, context):
        report = request.report
        return tc_to_pb(
            self.uc.report(request.name, report.text, report.inpatient, request.request_id)
        )

    def DecideTeleconsultation(self, request, context):
        return tc_to_pb(self.uc.decide(request.name, request.decision, request.request_id))

    def CancelTeleconsultation(self, request, context):
        return tc_to_pb(self.uc.cancel(request.name, request.reason, request.request_id))

    def DeleteTeleconsultationRecording(self, request, context):
        return tc_to_pb(self.uc.delete_recording(request.name))

    def GetReportSigningKey(self, request, context):
        signer = self.uc.signer
        return pb.ReportSigningKey(
            key_id=signer.key_id,
            public_key=signer.public_key,
            algorithm="Ed25519 over the UTF-8 bytes of the report's hex SHA-256 digest",
            time=to_timestamp(datetime.now(UTC)),
            keys=[
                pb.ReportPublicKey(key_id=kid, public_key=key, current=kid == signer.key_id)
                for kid, key in signer.published().items()
            ],
        )
