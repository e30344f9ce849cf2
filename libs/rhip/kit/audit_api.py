"""``SearchAuditEvents`` on the wire, for every service that serves it: the request's fields
to an ``AuditFilter`` and a page, and the log's events to ``rhip.api.common.v1.AuditEvent``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from rhip.api.common.v1 import common_pb2
from rhip.kit.audit_query import AuditFilter, AuditRecord, parse_filter
from rhip.kit.errors import invalid
from rhip.kit.pagination import Page, parse_page

# Times a search may name: the log holds nothing older than the platform, and a bound keeps
# out-of-range timestamps from reaching datetime arithmetic.
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def search_request(request: Any) -> tuple[str, AuditFilter, Page]:
    """The parent, filter and page of a ``SearchAuditEventsRequest`` (any service's)."""
    start = _time(request, "start_time")
    end = _time(request, "end_time")
    where = parse_filter(
        request.resident, request.actor, request.tenant, request.action, start, end
    )
    page = parse_page(request.page_size, request.page_token, request.parent, where)
    return request.parent, where, page


def _time(request: Any, field: str) -> datetime | None:
    if not request.HasField(field):
        return None
    stamp: Timestamp = getattr(request, field)
    seconds = stamp.seconds
    if not _EARLIEST.timestamp() <= seconds < _LATEST.timestamp() or not 0 <= stamp.nanos < 10**9:
        raise invalid(field, "must lie between 2000 and 2200", "TIME_RANGE")
    return stamp.ToDatetime(tzinfo=UTC)


def audit_event_to_pb(record: AuditRecord) -> common_pb2.AuditEvent:
    detail = dict(record.detail)
    basis = detail.pop("basis", "")
    when = Timestamp()
    when.FromDatetime(datetime.fromisoformat(record.event_time))
    return common_pb2.AuditEvent(
        seq=record.seq,
        event_time=when,
        actor=record.actor,
        actor_tenant=record.actor_tenant,
        action=record.action,
        target=record.target,
        scope_path=record.scope_path,
        outcome=record.outcome,
        basis=basis,
        trace_id=record.trace_id,
        request_id=record.request_id,
        detail=detail,
    )
