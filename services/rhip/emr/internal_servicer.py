"""EmrInternalService servicer: what the other services of this cell ask of emr (archives,
referral and mch, as the cell's own account, directly inside the cell; the gateway does not
forward these). Same shape as servicer.py."""

from __future__ import annotations

from rhip.api.emr.v1 import emr_internal_service_pb2 as ipb
from rhip.api.emr.v1 import emr_internal_service_pb2_grpc
from rhip.emr.timeline.feeds import SourceEntry, SourceRescope
from rhip.emr.usecases import EmrUseCases
from rhip.kit.timestamps import from_timestamp

INTERNAL_SERVICE_NAME = ipb.DESCRIPTOR.services_by_name["EmrInternalService"].full_name


def _entry(e: ipb.SourceTimelineEntry, index: int) -> SourceEntry:
    # A time outside the platform's range is INVALID_ARGUMENT, not a conversion fault.
    field = f"entries[{index}].occur_time"
    when = from_timestamp(e.occur_time, field) if e.HasField("occur_time") else None
    return SourceEntry(
        e.event_id, e.source, e.resident, when, e.kind, e.target, e.tenant,
        tuple(e.scope_paths), e.read_method, e.tenant_display_name, e.clinical_date,
    )  # fmt: skip


class EmrInternalServicer(emr_internal_service_pb2_grpc.EmrInternalServiceServicer):
    def __init__(self, usecases: EmrUseCases) -> None:
        self.uc = usecases

    def RecordTimelineEntries(self, request, context):
        recorded = self.uc.record_entries([_entry(e, i) for i, e in enumerate(request.entries)])
        return ipb.RecordTimelineEntriesResponse(recorded=recorded)

    def RescopeTimelineEntries(self, request, context):
        rescoped = self.uc.rescope_entries(
            SourceRescope(
                request.event_id, request.source, request.resident, request.read_method,
                request.target, tuple(request.scope_paths), request.new_resident,
            )
        )  # fmt: skip
        return ipb.RescopeTimelineEntriesResponse(rescoped=rescoped)
