"""ArchivesService servicer: each RPC converts its request (convert.py), calls its use case
and converts the answer; no try/except for domain errors."""

from __future__ import annotations

from rhip.api.archives.v1 import archives_service_pb2 as pb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.archives.convert import (
    CHECK_UP_OUTPUT,
    KINDS_BACK,
    PROGRAMS_BACK,
    REASONS_BACK,
    STATES_BACK,
    check_up_to_pb,
    consent_of,
    contract_to_pb,
    document_from_pb,
    event_to_pb,
    evidence_of,
    finding_to_pb,
    follow_up_to_pb,
    form_of,
    indicator_to_pb,
    plan_to_pb,
    record_to_pb,
    spot_check_to_pb,
    task_to_pb,
    team_to_pb,
    transfer_to_pb,
    visit_from_pb,
)
from rhip.archives.transfers.domain import Transfer
from rhip.archives.usecases import ArchivesUseCases
from rhip.kit.apis import public_methods
from rhip.kit.audit_api import audit_event_to_pb, search_request
from rhip.kit.errors import Violations
from rhip.kit.pagination import parse_page

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ArchivesService"].full_name
PUBLIC_METHODS = public_methods(SERVICE_NAME)


class ArchivesServicer(archives_service_pb2_grpc.ArchivesServiceServicer):
    def __init__(self, usecases: ArchivesUseCases) -> None:
        self.uc = usecases

    def CreateHealthRecord(self, request, context):
        record = self.uc.create(
            request.resident,
            request.township_code,
            request.village_code,
            form_of(request.basic_info),
            request.request_id,
        )
        return record_to_pb(record)

    def GetHealthRecord(self, request, context):
        return record_to_pb(self.uc.get(request.name))

    def ListHealthRecords(self, request, context):
        state = STATES_BACK.get(request.state)
        page = parse_page(
            request.page_size, request.page_token, request.parent, request.state,
            request.record_number, request.resident,
        )  # fmt: skip
        records, token = self.uc.list_records(
            request.parent, state, request.record_number, request.resident, page
        )
        return pb.ListHealthRecordsResponse(
            records=[record_to_pb(r) for r in records], next_page_token=token
        )

    def UpdateHealthRecord(self, request, context):
        return record_to_pb(self.uc.update(request.name, form_of(request.basic_info), request.etag))

    def ActivateHealthRecord(self, request, context):
        return record_to_pb(self.uc.activate(request.name))

    def TerminateHealthRecord(self, request, context):
        record = self.uc.terminate(
            request.name,
            REASONS_BACK.get(request.reason),
            request.termination_date,
            request.destination,
            request.handover_note,
        )
        return record_to_pb(record)

    def ReactivateHealthRecord(self, request, context):
        return record_to_pb(self.uc.reactivate(request.name, request.reason))

    def ListRecordEvents(self, request, context):
        page = parse_page(request.page_size, request.page_token, request.parent)
        events, token = self.uc.history(request.parent, page)
        return pb.ListRecordEventsResponse(
            events=[event_to_pb(e) for e in events], next_page_token=token
        )

    def CreateCheckUp(self, request, context):
        form = form_of(request.check_up, CHECK_UP_OUTPUT)
        return check_up_to_pb(self.uc.create_check_up(request.parent, form, request.request_id))

    def ListCheckUps(self, request, context):
        return pb.ListCheckUpsResponse(
            check_ups=[check_up_to_pb(c) for c in self.uc.check_ups(request.parent)]
        )

    def StartFollowUpPlan(self, request, context):
        _, plan = self.uc.start_plan(
            request.parent, PROGRAMS_BACK.get(request.program), request.first_due_date
        )
        return plan_to_pb(plan)

    def RecordFollowUp(self, request, context):
        checks = Violations()
        visit = visit_from_pb(request.follow_up, checks)
        return follow_up_to_pb(
            self.uc.record_follow_up(request.parent, visit, request.request_id, checks)
        )

    def ListFollowUps(self, request, context):
        return pb.ListFollowUpsResponse(
            follow_ups=[follow_up_to_pb(f) for f in self.uc.follow_ups(request.parent)]
        )

    def ListTasks(self, request, context):
        return pb.ListTasksResponse(tasks=[task_to_pb(t) for t in self.uc.tasks(request.parent)])

    def ListOverdueFollowUpPlans(self, request, context):
        page = parse_page(request.page_size, request.page_token, request.parent, request.as_of)
        plans, as_of, token = self.uc.overdue(request.parent, request.as_of, page)
        return pb.ListOverdueFollowUpPlansResponse(
            plans=[plan_to_pb(p, as_of) for p in plans], next_page_token=token
        )

    def GetRecordCompleteness(self, request, context):
        record, score, missing, wrong = self.uc.completeness(request.name)
        return pb.RecordCompleteness(
            record=f"healthRecords/{record.record_id}",
            score=score,
            missing_items=missing,
            wrong_items=wrong,
        )

    def CreateSpotCheck(self, request, context):
        return spot_check_to_pb(
            *self.uc.create_spot_check(request.parent, request.sample_size, request.request_id)
        )

    def GetSpotCheck(self, request, context):
        return spot_check_to_pb(*self.uc.get_spot_check(request.name))

    def ListSpotChecks(self, request, context):
        page = parse_page(request.page_size, request.page_token, request.parent)
        checks, token = self.uc.list_spot_checks(request.parent, page)
        return pb.ListSpotChecksResponse(
            spot_checks=[spot_check_to_pb(*c) for c in checks], next_page_token=token
        )

    def RecordSpotCheckFinding(self, request, context):
        f = request.finding
        return finding_to_pb(
            self.uc.record_finding(request.parent, f.record, f.item, f.description)
        )

    def ResolveSpotCheckFinding(self, request, context):
        return finding_to_pb(self.uc.resolve_finding(request.name, request.resolution))

    def SetRegionPopulation(self, request, context):
        p = request.population
        code, population, as_of = self.uc.set_population(
            p.region_code, p.permanent_population, p.as_of
        )
        return pb.RegionPopulation(
            name=f"regions/{code}/populations/{as_of.isoformat()}",
            region_code=code,
            permanent_population=population,
            as_of=as_of.isoformat(),
        )

    def GetIndicators(self, request, context):
        as_of, items = self.uc.indicators(request.parent, request.as_of)
        return pb.Indicators(
            parent=request.parent,
            as_of=as_of.isoformat(),
            indicators=[indicator_to_pb(i) for i in items],
        )

    def RankInstitutions(self, request, context):
        kind = KINDS_BACK.get(request.kind, "")
        best, bottom = self.uc.rank(request.parent, kind, request.as_of)
        return pb.RankInstitutionsResponse(
            best=[
                pb.InstitutionScore(tenant=f"tenants/{t}", indicator=indicator_to_pb(i))
                for t, i in best
            ],
            bottom=[
                pb.InstitutionScore(tenant=f"tenants/{t}", indicator=indicator_to_pb(i))
                for t, i in bottom
            ],
        )

    def CreateCareTeam(self, request, context):
        team = self.uc.create_team(request.parent, request.team.display_name, request.request_id)
        return team_to_pb(team)

    def ListCareTeams(self, request, context):
        return pb.ListCareTeamsResponse(
            teams=[team_to_pb(t) for t in self.uc.teams(request.parent)]
        )

    def SignContract(self, request, context):
        contract = self.uc.sign_contract(
            request.parent, request.team, request.start_date, request.end_date, request.request_id
        )
        return contract_to_pb(contract)

    def RenewContract(self, request, context):
        return contract_to_pb(self.uc.renew_contract(request.name, request.end_date))

    def EndContract(self, request, context):
        return contract_to_pb(self.uc.end_contract(request.name, request.reason))

    def ListContracts(self, request, context):
        return pb.ListContractsResponse(
            contracts=[contract_to_pb(c) for c in self.uc.contracts(request.parent)]
        )

    def ListContractedResidents(self, request, context):
        page = parse_page(request.page_size, request.page_token, request.parent)
        residents, token = self.uc.contracted_residents(request.parent, page)
        return pb.ListContractedResidentsResponse(
            residents=[f"residents/{r}" for r in residents], next_page_token=token
        )

    def MoveRecordToTeam(self, request, context):
        return record_to_pb(self.uc.move_to_team(request.name, request.team))

    def _transfer(self, transfer: Transfer) -> pb.RecordTransfer:
        """Every transfer answer goes out as its requester may see it (``requester_view``)."""
        return transfer_to_pb(self.uc.requester_view(transfer))

    def RequestRecordTransfer(self, request, context):
        transfer = self.uc.request_transfer(
            request.resident,
            consent_of(request),
            request.reason,
            request.request_id,
            request.source_region,
            document_from_pb(request.document) if request.HasField("document") else None,
            evidence_of(request),
        )
        return self._transfer(transfer)

    def ConfirmRecordTransfer(self, request, context):
        return self._transfer(self.uc.confirm_transfer(request.name, request.request_id))

    def DeclineRecordTransfer(self, request, context):
        return self._transfer(self.uc.decline_transfer(request.name, request.reason))

    def GetRecordTransfer(self, request, context):
        return self._transfer(self.uc.get_transfer(request.name))

    def ListRecordTransfers(self, request, context):
        page = parse_page(request.page_size, request.page_token, request.parent)
        transfers, token = self.uc.transfers(request.parent, page)
        return pb.ListRecordTransfersResponse(
            transfers=[self._transfer(t) for t in transfers], next_page_token=token
        )

    def EscalateRecordTransfer(self, request, context):
        return self._transfer(self.uc.escalate_transfer(request.name, request.reason))

    def ApproveRecordTransfer(self, request, context):
        return self._transfer(self.uc.approve_transfer(request.name))

    def RejectRecordTransfer(self, request, context):
        return self._transfer(self.uc.reject_transfer(request.name, request.reason))

    def SearchAuditEvents(self, request, context):
        events, token = self.uc.search_audit(*search_request(request))
        return pb.SearchAuditEventsResponse(
            events=[audit_event_to_pb(e) for e in events], next_page_token=token
        )
