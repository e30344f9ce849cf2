"""MchService servicer: each RPC converts its request (convert.py), calls its use case and
converts the answer; no try/except for domain errors."""

from __future__ import annotations

from rhip.api.mch.v1 import indicators_pb2 as ipb
from rhip.api.mch.v1 import mch_service_pb2 as pb
from rhip.api.mch.v1 import mch_service_pb2_grpc
from rhip.kit.apis import public_methods
from rhip.kit.pagination import parse_page
from rhip.mch.child_transfers.convert import (
    STATES_BACK as TRANSFER_STATES_BACK,
)
from rhip.mch.child_transfers.convert import (
    child_transfer_to_pb,
    document_of,
    vision_record_to_pb,
)
from rhip.mch.children.convert import (
    child_to_pb,
    child_visit_to_pb,
    stated_facts,
    visit_input,
)
from rhip.mch.convert import (
    COLOURS_BACK,
    KINDS_BACK,
    MODES_BACK,
    REASONS_BACK,
    STATES_BACK,
    assessment_to_pb,
    delivery_to_pb,
    labs_of,
    measures_of,
    newborns_from_pb,
    pregnancy_to_pb,
    report_to_pb,
    rule_pack_to_pb,
    screening_to_pb,
    visit_to_pb,
)
from rhip.mch.indicators.domain import KINDS, Indicator
from rhip.mch.pregnancy_transfers.convert import STATES_BACK as PREGNANCY_TRANSFER_STATES_BACK
from rhip.mch.pregnancy_transfers.convert import pregnancy_transfer_to_pb
from rhip.mch.risk.domain import SEVERITY, RiskColor
from rhip.mch.usecases import MchUseCases

INDICATOR_KINDS = {k: getattr(ipb, f"MCH_INDICATOR_KIND_{k.upper()}") for k in KINDS}
INDICATOR_KINDS_BACK = {v: k for k, v in INDICATOR_KINDS.items()}


def indicator_to_pb(i: Indicator) -> ipb.MchIndicator:
    return ipb.MchIndicator(
        kind=INDICATOR_KINDS[i.kind], numerator=i.numerator, denominator=i.denominator,
        rate=i.rate, target=i.target, meets_target=i.meets_target,
    )  # fmt: skip


SERVICE_NAME = pb.DESCRIPTOR.services_by_name["MchService"].full_name
PUBLIC_METHODS = public_methods(SERVICE_NAME)


class MchServicer(mch_service_pb2_grpc.MchServiceServicer):
    def __init__(self, usecases: MchUseCases) -> None:
        self.uc = usecases

    def RegisterPregnancy(self, request, context):
        ga = None
        if request.HasField("gestational_age"):
            ga = (request.gestational_age.weeks, request.gestational_age.days)
        view = self.uc.register(
            request.resident, request.handbook_number, request.registration_date,
            request.lmp_date, ga, request.request_id, labs_of(request.first_check_labs),
        )  # fmt: skip
        return pregnancy_to_pb(view)

    def GetPregnancy(self, request, context):
        return pregnancy_to_pb(self.uc.get(request.name))

    def ListPregnancies(self, request, context):
        page = parse_page(
            request.page_size, request.page_token, request.parent, request.state,
            request.overdue_only, request.min_risk, request.family_doctor_team,
        )  # fmt: skip
        colour = COLOURS_BACK.get(request.min_risk)
        purple = colour is RiskColor.PURPLE
        rank = SEVERITY[colour] if colour and not purple else 0
        views, token = self.uc.list_pregnancies(
            request.parent, STATES_BACK.get(request.state), request.overdue_only, rank, purple,
            page, request.family_doctor_team,
        )  # fmt: skip
        return pb.ListPregnanciesResponse(
            pregnancies=[pregnancy_to_pb(v) for v in views], next_page_token=token
        )

    def RecordAntenatalVisit(self, request, context):
        visit = self.uc.record_visit(
            request.parent, request.visit.visit_date, measures_of(request.visit),
            request.visit.guidance, request.request_id, request.visit.name,
            request.visit.abnormal_finding, request.visit.referral_followed_up,
            request.visit.emergency_reason, labs_of(request.visit.labs),
        )  # fmt: skip
        return visit_to_pb(visit)

    def RecordRiskScreening(self, request, context):
        screening = self.uc.record_screening(
            request.parent, request.screening.screening_date, request.screening.positive,
            list(request.screening.findings), request.request_id,
        )  # fmt: skip
        return screening_to_pb(screening)

    def RecordAntenatalLabResults(self, request, context):
        visit = self.uc.record_lab_results(request.name, labs_of(request.labs), request.request_id)
        return visit_to_pb(visit)

    def RecordPostpartumVisit(self, request, context):
        visit = self.uc.record_postpartum(
            request.parent, KINDS_BACK.get(request.kind), request.visit.visit_date,
            measures_of(request.visit), request.visit.guidance, request.request_id,
            request.visit.name, request.visit.abnormal_finding, request.visit.emergency_reason,
        )  # fmt: skip
        return visit_to_pb(visit)

    def ListAntenatalVisits(self, request, context):
        page = parse_page(request.page_size, request.page_token, request.parent)
        visits, token = self.uc.list_visits(request.parent, page)
        return pb.ListAntenatalVisitsResponse(
            visits=[visit_to_pb(v) for v in visits], next_page_token=token
        )

    def AssessPregnancyRisk(self, request, context):
        assessment = self.uc.assess(
            request.mother, request.assessment_date, list(request.criteria), request.request_id
        )
        return assessment_to_pb(assessment)

    def GetRiskRulePack(self, request, context):
        code, pack = self.uc.rule_pack(request.name)
        return rule_pack_to_pb(code, pack)

    def ListRiskAssessments(self, request, context):
        page = parse_page(request.page_size, request.page_token, request.parent)
        found, token = self.uc.list_assessments(request.parent, page)
        return pb.ListRiskAssessmentsResponse(
            assessments=[assessment_to_pb(a) for a in found], next_page_token=token
        )

    def ListRiskReports(self, request, context):
        page = parse_page(request.page_size, request.page_token, request.parent, request.open_only)
        found, token = self.uc.list_reports(request.parent, request.open_only, page)
        return pb.ListRiskReportsResponse(
            reports=[report_to_pb(r) for r in found], next_page_token=token
        )

    def AcknowledgeRiskReport(self, request, context):
        return report_to_pb(self.uc.acknowledge_report(request.name, request.note))

    def RecordDelivery(self, request, context):
        d = request.delivery
        delivery = self.uc.record_delivery(
            d.mother, d.delivery_date, MODES_BACK.get(d.mode), newborns_from_pb(d),
            request.request_id, d.discharge_date, d.emergency_reason, d.pregnancy,
        )  # fmt: skip
        return delivery_to_pb(delivery)

    def GetDelivery(self, request, context):
        return delivery_to_pb(self.uc.get_delivery(request.name))

    def EnrollChild(self, request, context):
        return child_to_pb(
            self.uc.enroll_child(request.child, request.request_id, stated_facts(request.birth))
        )

    def GetChildRecord(self, request, context):
        return child_to_pb(self.uc.get_child(request.name))

    def ListChildRecords(self, request, context):
        page = parse_page(
            request.page_size,
            request.page_token,
            request.parent,
            request.overdue_only,
            request.family_doctor_team,
        )
        views, token = self.uc.list_children(
            request.parent, request.overdue_only, page, request.family_doctor_team
        )
        return pb.ListChildRecordsResponse(
            records=[child_to_pb(v) for v in views], next_page_token=token
        )

    def RecordChildVisit(self, request, context):
        visit = self.uc.record_child_visit(
            request.parent, visit_input(request.visit), request.request_id
        )
        return child_visit_to_pb(visit)

    def RequestChildTransfer(self, request, context):
        transfer = self.uc.request_child_transfer(
            request.name, request.target_tenant, request.target_region,
            request.guardian_consent_reference, request.consent_date, request.reason,
            request.request_id, document_of(request.child_document),
        )  # fmt: skip
        return child_transfer_to_pb(transfer)

    def AcceptChildTransfer(self, request, context):
        return child_transfer_to_pb(self.uc.accept_child_transfer(request.name))

    def DeclineChildTransfer(self, request, context):
        return child_transfer_to_pb(self.uc.decline_child_transfer(request.name, request.reason))

    def WithdrawChildTransfer(self, request, context):
        return child_transfer_to_pb(self.uc.withdraw_child_transfer(request.name, request.reason))

    def GetChildTransfer(self, request, context):
        return child_transfer_to_pb(self.uc.get_child_transfer(request.name))

    def ListChildTransfers(self, request, context):
        page = parse_page(request.page_size, request.page_token, request.parent, request.state)
        found, token = self.uc.list_child_transfers(
            request.parent, TRANSFER_STATES_BACK.get(request.state), page
        )
        return pb.ListChildTransfersResponse(
            transfers=[child_transfer_to_pb(t) for t in found], next_page_token=token
        )

    def GetChildVisionRecord(self, request, context):
        return vision_record_to_pb(self.uc.child_vision_record(request.name))

    def TerminatePregnancy(self, request, context):
        view = self.uc.terminate(
            request.name, REASONS_BACK.get(request.reason), request.termination_date,
            request.note,
        )  # fmt: skip
        return pregnancy_to_pb(view)

    def PlanDelivery(self, request, context):
        view = self.uc.plan_delivery(
            request.name, request.delivery_tenant, request.emergency_reason
        )
        return pregnancy_to_pb(view)

    def RequestPregnancyTransfer(self, request, context):
        transfer = self.uc.request_pregnancy_transfer(
            request.pregnancy, request.resident, request.target_tenant, request.reason,
            request.request_id,
        )  # fmt: skip
        return pregnancy_transfer_to_pb(transfer)

    def AcceptPregnancyTransfer(self, request, context):
        return pregnancy_transfer_to_pb(self.uc.accept_pregnancy_transfer(request.name))

    def DeclinePregnancyTransfer(self, request, context):
        found = self.uc.decline_pregnancy_transfer(request.name, request.reason)
        return pregnancy_transfer_to_pb(found)

    def WithdrawPregnancyTransfer(self, request, context):
        found = self.uc.withdraw_pregnancy_transfer(request.name, request.reason)
        return pregnancy_transfer_to_pb(found)

    def GetPregnancyTransfer(self, request, context):
        return pregnancy_transfer_to_pb(self.uc.get_pregnancy_transfer(request.name))

    def ListPregnancyTransfers(self, request, context):
        page = parse_page(request.page_size, request.page_token, request.parent, request.state)
        found, token = self.uc.list_pregnancy_transfers(
            request.parent, PREGNANCY_TRANSFER_STATES_BACK.get(request.state), page
        )
        return pb.ListPregnancyTransfersResponse(
            transfers=[pregnancy_transfer_to_pb(t) for t in found], next_page_token=token
        )

    def GetMchIndicators(self, request, context):
        period, found = self.uc.indicators(request.parent, request.as_of)
        return ipb.MchIndicators(
            parent=request.parent, as_of=period.end.isoformat(),
            period_start=period.start.isoformat(),
            indicators=[indicator_to_pb(i) for i in found],
        )  # fmt: skip

    def RankMchInstitutions(self, request, context):
        best, bottom = self.uc.rank(
            request.parent, INDICATOR_KINDS_BACK.get(request.kind), request.as_of
        )
        return ipb.RankMchInstitutionsResponse(
            best=[ipb.MchInstitutionScore(tenant=f"tenants/{t}", indicator=indicator_to_pb(i))
                  for t, i in best],
            bottom=[ipb.MchInstitutionScore(tenant=f"tenants/{t}", indicator=indicator_to_pb(i))
                    for t, i in bottom],
        )  # fmt: skip
