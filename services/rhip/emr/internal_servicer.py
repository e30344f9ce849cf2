"""EmrInternalService servicer: what the other services of this cell ask of emr (archives and
referral, as the cell's own account, directly inside the cell; the gateway does not forward
these). Same shape as servicer.py."""

from __future__ import annotations

from datetime import UTC

from rhip.api.emr.v1 import emr_internal_service_pb2 as ipb
from rhip.api.emr.v1 import emr_internal_service_pb2_grpc
from rhip.emr.timeline.feeds import SourceEntry
from rhip.emr.usecases import EmrUseCases

INTERNAL_SERVICE_NAME = ipb.DESCRIPTOR.services_by_name["EmrInternalService"].full_name


def _entry(e: ipb.SourceTimelineEntry) -> SourceEntry:
    when = e.occur_time.ToDatetime(tzinfo=UTC) if e.HasField("occur_time") else None
    return SourceEntry(
        e.event_id, e.source, e.resident, when, e.kind, e.target, e.tenant,
        tuple(e.scope_paths), e.read_method,
    )  # fmt: skip


class EmrInternalServicer(emr_internal_service_pb2_grpc.EmrInternalServiceServicer):
    def __init__(self, usecases: EmrUseCases) -> None:
        self.uc = usecases

    def RecordTimelineEntries(self, request, context):
        recorded = self.uc.record_entries([_entry(e) for e in request.entries])
        return ipb.RecordTimelineEntriesResponse(recorded=recorded)
