"""ArchivesInternalService servicer: what the other services of this cell ask of archives
(the referral service, as the cell's own account, directly inside the cell; the gateway does
not forward these). Same shape as servicer.py."""

from __future__ import annotations

from rhip.api.archives.v1 import archives_internal_service_pb2 as ipb
from rhip.api.archives.v1 import archives_internal_service_pb2_grpc
from rhip.archives.convert import event_to_pb, task_to_pb
from rhip.archives.usecases import ArchivesUseCases

INTERNAL_SERVICE_NAME = ipb.DESCRIPTOR.services_by_name["ArchivesInternalService"].full_name


class ArchivesInternalServicer(archives_internal_service_pb2_grpc.ArchivesInternalServiceServicer):
    def __init__(self, usecases: ArchivesUseCases) -> None:
        self.uc = usecases

    def CreateReferralFollowUpTask(self, request, context):
        return task_to_pb(
            self.uc.create_referral_task(request.parent, request.referral, request.due_date)
        )

    def ListReferralSuggestions(self, request, context):
        found = self.uc.referral_suggestions(request.after, request.page_size)
        return ipb.ListReferralSuggestionsResponse(
            suggestions=[
                ipb.ReferralSuggestion(
                    task=f"healthRecords/{task.record_id}/tasks/{task.task_id}",
                    task_id=task.task_id,
                    record=f"healthRecords/{task.record_id}",
                    resident=f"residents/{resident_id}",
                    managing_tenant=f"tenants/{tenant_id}",
                    kind=task_to_pb(task).kind,
                    program=task_to_pb(task).program,
                )
                for task, resident_id, tenant_id in found
            ]
        )

    def RecordReferralEvent(self, request, context):
        return event_to_pb(
            self.uc.record_referral_event(
                request.parent, request.referral, request.state, request.actor
            )
        )
