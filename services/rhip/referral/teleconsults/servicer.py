"""TeleconsultationService servicer: each RPC converts its request, calls its use case and
converts the answer; no try/except for domain errors."""

from __future__ import annotations

from datetime import UTC, datetime

from rhip.api.referral.v1 import teleconsultation_pb2 as tpb
from rhip.api.referral.v1 import teleconsultation_service_pb2 as pb
from rhip.api.referral.v1 import teleconsultation_service_pb2_grpc
from rhip.kit.apis import public_methods
from rhip.kit.pagination import parse_page
from rhip.kit.timestamps import from_timestamp, to_timestamp
from rhip.referral.teleconsults.domain import Agreement, Teleconsultation, TState
from rhip.referral.teleconsults.usecases import TeleconsultUseCases

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["TeleconsultationService"].full_name
PUBLIC_METHODS = public_methods(SERVICE_NAME)
STATES_BACK = {s: getattr(tpb, f"TELECONSULTATION_STATE_{s.name}") for s in TState}


def agreement_to_pb(a: Agreement) -> tpb.CooperationAgreement:
    return tpb.CooperationAgreement(
        name=f"cooperationAgreements/{a.agreement_id}",
        inviting_tenant=f"tenants/{a.inviting_tenant_id}",
        invited_tenant=f"tenants/{a.invited_tenant_id}",
        scope=a.scope_text,
        start_date=a.start_date.isoformat(),
        end_date=a.end_date.isoformat(),
        liability=a.liability,
        create_time=to_timestamp(a.create_time),
    )


def tc_to_pb(t: Teleconsultation) -> tpb.Teleconsultation:
    f = t.form
    message = tpb.Teleconsultation(
        name=f"teleconsultations/{t.teleconsultation_id}",
        inviting_tenant=f"tenants/{t.inviting_tenant_id}",
        invited_tenant=f"tenants/{t.invited_tenant_id}",
        resident=f"residents/{t.resident_id}",
        reason=f.get("reason", ""), purpose=f.get("purpose", ""),
        record_summary=f.get("record_summary", ""), specialty=f.get("specialty", ""),
        title_wanted=f.get("title_wanted", ""),
        consent=tpb.TeleconsultationConsent(**t.consent),
        agreement=f"cooperationAgreements/{t.agreement_id}",
        state=STATES_BACK[t.state],
        consulting_physician=t.physician, reason_closed=t.reason_closed,
        recording=t.recording, decision=t.decision,
        create_time=to_timestamp(t.create_time), update_time=to_timestamp(t.update_time),
        consulting_physician_title=f.get("consultant", {}).get("title", ""),
        consulting_physician_practice_since=f.get("consultant", {}).get("practice_since", ""),
        # Accepted before registrations existed: a declaration.
        consulting_physician_credentials=(
            f["consultant"].get("source", "declared") if f.get("consultant") else ""
        ),
    )  # fmt: skip
    for field, value in (
        ("proposed_time", datetime.fromisoformat(f["proposed_time"]) if f.get("proposed_time") else None),
        ("scheduled_time", t.scheduled_time),
    ):  # fmt: skip
        stamp = to_timestamp(value)
        if stamp is not None:
            getattr(message, field).CopyFrom(stamp)
    if t.report:
        r = t.report
        message.report.CopyFrom(
            tpb.OpinionReport(
                text=r["text"], physician=r["physician"], digest=r["digest"],
                signature=r["signature"], key_id=r["key_id"], inpatient=r["inpatient"],
                sign_time=to_timestamp(datetime.fromisoformat(r["sign_time"])),
            )
        )  # fmt: skip
    return message


class TeleconsultationServicer(teleconsultation_service_pb2_grpc.TeleconsultationServiceServicer):
    def __init__(self, usecases: TeleconsultUseCases) -> None:
        self.uc = usecases

    def CreateCooperationAgreement(self, request, context):
        a = request.agreement
        values = {
            "inviting_tenant": a.inviting_tenant, "invited_tenant": a.invited_tenant,
            "scope": a.scope, "liability": a.liability, "start_date": a.start_date,
            "end_date": a.end_date,
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
        )
