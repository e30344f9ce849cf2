"""The lifetime timeline's feed: how a service of the cell tells emr about an event of a
resident's life (archives: record history, check-ups, follow-ups; referral: referrals and
teleconsultations; mch: pregnancies, deliveries, child visits, birth certificates), through the durable outbox (rhip.kit.outbox).

- ``enqueue_entry`` in the business transaction: the entry commits with the change or not at
  all. Stream ``timeline``, key the resident (entries of one resident arrive in commit order),
  payload ids, codes, the institution's name and the clinical date only — never a person's
  name, ID number or phone. Every entry carries a clinical date: the day the care happened
  where the source knows one apart (a visit's date), else the day of ``occur_time`` in China
  Standard Time (``clinical_day``). The institution's name comes from
  rhip.kit.institution_names.
- ``enqueue_rescope`` in the transaction that moves a record to another institution (a child
  health record, a health record): on the same stream and key, so emr applies it after every
  entry of the resident queued before it and before every entry queued after; emr then shows
  the record's entries (by the source's read method, the record and everything under it) at
  the new scope paths, as the source now reads the record.
- ``EmrSender``: the outbox delivery's sender, calling ``EmrInternalService/
  RecordTimelineEntries`` (``RescopeTimelineEntries`` for a re-scope) as the cell's own account. emr skips an event id it has seen, so the
  at-least-once delivery writes each entry once. emr's address is asked at each send, not at
  build time: emr is built after the services it reads from (it requires them), so their
  addresses are known before emr's.
- ``timeline_delivery``: the worker, to run only when the cell runs emr (nothing would
  answer); the source does not enqueue either then (``enabled``), so no backlog piles up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

import grpc
import sqlalchemy
from google.protobuf.timestamp_pb2 import Timestamp
from rhip.api.emr.v1 import emr_internal_service_pb2 as ipb
from rhip.api.emr.v1 import emr_internal_service_pb2_grpc
from rhip.kit import outbox
from rhip.kit.channels import ChannelPool
from rhip.kit.config import Settings
from rhip.kit.crosscell import ServiceCredentials
from rhip.kit.db import Database
from rhip.kit.deadlines import within
from rhip.kit.ids import new_id
from rhip.kit.outbox_delivery import DeliveryFailed, Message, OutboxDelivery, RetryPolicy
from rhip.kit.telemetry import outgoing_metadata
from rhip.kit.timestamps import clinical_day

log = logging.getLogger(__name__)

STREAM = "timeline"
# An entry not in emr an hour after the change counts as overdue (the backlog gauges).
DUE_AFTER = timedelta(hours=1)
TIMEOUT_SECONDS = 5.0
# emr refused the entry itself: sending it again cannot help (dead letter, replayable).
PERMANENT = frozenset({grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION})
# The outbox kind of a re-scope (entries' kinds are the events', RECORD_…, CHILD_VISIT…).
RESCOPE = "timeline.rescope"


def enqueue_entry(
    conn: sqlalchemy.Connection,
    *,
    source: str,
    resident_id: str,
    occur_time: datetime,
    kind: str,
    target: str,
    tenant_id: str,
    scope_paths: Sequence[str],
    read_method: str,
    tenant_name: str = "",
    clinical_date: date | None = None,
    event_id: str = "",
    queued_at: datetime | None = None,
) -> str:
    """Queue one timeline entry in the caller's transaction; its event id. ``tenant_name``:
    the institution's name as the source knows it now; ``clinical_date``: the day the event
    happened, where it differs in kind from ``occur_time`` (when it was recorded); by default
    the day of ``occur_time``. ``event_id``: the source's own stable id when it has one (a
    record's history brought from another cell), else a new one; ``queued_at``: now, when
    ``occur_time`` lies in the past (the entry is due an hour after it is queued)."""
    event_id = event_id or new_id()
    day = clinical_date or clinical_day(occur_time)
    outbox.enqueue(
        conn,
        stream=STREAM,
        key=resident_id,
        event_id=event_id,
        kind=kind,
        payload={
            "source": source,
            "resident": resident_id,
            "occur_time": occur_time.isoformat(),
            "kind": kind,
            "target": target,
            "tenant": tenant_id,
            "scope_paths": list(scope_paths),
            "read_method": read_method,
            "tenant_name": tenant_name,
            "clinical_date": day.isoformat(),
        },
        due_at=(queued_at or occur_time) + DUE_AFTER,
    )
    return event_id


def enqueue_rescope(
    conn: sqlalchemy.Connection,
    *,
    source: str,
    resident_id: str,
    occur_time: datetime,
    read_method: str,
    target: str,
    scope_paths: Sequence[str],
    new_resident_id: str = "",
) -> str:
    """Queue, in the transaction that moves the record ``target`` (``childRecords/{id}``), the
    change of scope of its entries (and of everything under it) shown by ``read_method``: from
    now on the source reads them at ``scope_paths``. ``new_resident_id``: the record moved from
    ``resident_id`` to this resident (a merge or its undo), whose entries they are from now on;
    keyed by the resident it left, it follows every entry queued for that one before it. Its
    event id."""
    event_id = new_id()
    outbox.enqueue(
        conn,
        stream=STREAM,
        key=resident_id,
        event_id=event_id,
        kind=RESCOPE,
        payload={
            "source": source,
            "resident": resident_id,
            "read_method": read_method,
            "target": target,
            "scope_paths": list(scope_paths),
            **({"new_resident": new_resident_id} if new_resident_id else {}),
        },
        due_at=occur_time + DUE_AFTER,
    )
    return event_id


def entry_of(message: Message) -> ipb.SourceTimelineEntry:
    """The outbox message as emr's request entry."""
    p = message.payload
    stamp = Timestamp()
    stamp.FromDatetime(datetime.fromisoformat(p["occur_time"]))
    return ipb.SourceTimelineEntry(
        event_id=message.event_id,
        source=p["source"],
        resident=f"residents/{p['resident']}",
        occur_time=stamp,
        kind=p["kind"],
        target=p["target"],
        tenant=f"tenants/{p['tenant']}",
        scope_paths=p["scope_paths"],
        read_method=p["read_method"],
        # Absent from the messages queued before these fields existed.
        tenant_display_name=p.get("tenant_name", ""),
        clinical_date=p.get("clinical_date", ""),
    )


def rescope_of(message: Message) -> ipb.RescopeTimelineEntriesRequest:
    """The outbox message of a re-scope as emr's request."""
    p = message.payload
    return ipb.RescopeTimelineEntriesRequest(
        event_id=message.event_id,
        source=p["source"],
        resident=f"residents/{p['resident']}",
        read_method=p["read_method"],
        target=p["target"],
        scope_paths=p["scope_paths"],
        new_resident=f"residents/{p['new_resident']}" if p.get("new_resident") else "",
    )


class EmrSender:
    """Sends one outbox message to emr as the cell's account (``Sender`` of the delivery)."""

    def __init__(
        self,
        emr_address: Callable[[], str],
        identity_address: Callable[[], str],
        pool: ChannelPool,
        client_id: str,
        client_secret: str,
        cell: str,
    ) -> None:
        self._emr = emr_address
        self._identity = identity_address
        self._pool = pool
        self._client = (client_id, client_secret, cell)
        self._own: ServiceCredentials | None = None
        self._lock = threading.Lock()

    def _token(self) -> str:
        with self._lock:
            if self._own is None:
                self._own = ServiceCredentials(self._pool.get(self._identity()), *self._client)
        return self._own.token()

    def __call__(self, message: Message) -> None:
        try:
            token = self._token()
            stub = emr_internal_service_pb2_grpc.EmrInternalServiceStub(self._pool.get(self._emr()))
            metadata = [("authorization", f"Bearer {token}"), *outgoing_metadata()]
            if message.kind == RESCOPE:
                stub.RescopeTimelineEntries(
                    rescope_of(message), metadata=metadata, timeout=within(TIMEOUT_SECONDS)
                )
            else:
                stub.RecordTimelineEntries(
                    ipb.RecordTimelineEntriesRequest(entries=[entry_of(message)]),
                    metadata=metadata,
                    timeout=within(TIMEOUT_SECONDS),
                )
        except grpc.RpcError as error:
            code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
            raise DeliveryFailed(f"emr answered {code.name}", permanent=code in PERMANENT) from None


def timeline_delivery(db: Database, sender: EmrSender | None, name: str) -> OutboxDelivery:
    """The worker that drains the ``timeline`` stream of ``db`` into emr. Retries go on for
    about a day of emr being away (backoff up to 15 minutes), then the events are dead letters
    an administrator replays (``rhip outbox replay``)."""
    return OutboxDelivery(
        db, sender, streams=[STREAM], name=name, policy=RetryPolicy(max_attempts=120)
    )


def cell_timeline_delivery(
    settings: Settings,
    db: Database,
    identity_address: Callable[[], str],
    emr_address: Callable[[], str] | None,
    pool: ChannelPool,
    name: str,
) -> OutboxDelivery | None:
    """The source's delivery when the timeline feed is on: the cell runs emr (``emr_address``
    given) and has its own account (the token emr asks for). None otherwise, and the source
    then queues nothing (``ArchivesUseCases(timeline=False)``…)."""
    if emr_address is None:
        return None  # no emr in this cell: nothing would answer
    if not (settings.cell_client_id and settings.cell_client_secret):
        log.warning(
            "%s: the lifetime timeline gets no entries from here: "
            "set RHIP_CELL_CLIENT_ID and RHIP_CELL_CLIENT_SECRET",
            name,
        )
        return None
    sender = EmrSender(
        emr_address, identity_address, pool,
        settings.cell_client_id, settings.cell_client_secret, settings.cell,
    )  # fmt: skip
    return timeline_delivery(db, sender, name)
