"""Reading identity's resident change feed over gRPC (never its tables), as the cell's own
service account: ``RHIP_CELL_CLIENT_ID``/``RHIP_CELL_CLIENT_SECRET``, the one principal
identity lets read the feed (identity/residents/changes.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import grpc
from rhip.api.identity.v1 import resident_pb2, resident_service_pb2, resident_service_pb2_grpc
from rhip.kit.channels import ChannelPool
from rhip.kit.config import Settings
from rhip.kit.crosscell import ServiceCredentials
from rhip.kit.deadlines import within
from rhip.kit.errors import from_rpc_error

TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class FeedChange:
    """One entry of the feed, as archives needs it (ids without their resource prefixes)."""

    sequence: int
    kind: str  # DECEASED, MERGED, MERGE_UNDONE
    resident_id: str
    change_time: datetime
    actor: str
    death_date: date | None = None
    survivor_id: str = ""
    merge_id: str = ""


def _id(name: str, collection: str) -> str:
    return name.removeprefix(f"{collection}/")


def _change(c: resident_pb2.ResidentChange) -> FeedChange:
    return FeedChange(
        sequence=c.sequence,
        kind=resident_pb2.ResidentChangeKind.Name(c.kind).removeprefix("RESIDENT_CHANGE_KIND_"),
        resident_id=_id(c.resident, "residents"),
        change_time=c.change_time.ToDatetime(tzinfo=UTC),
        actor=c.actor,
        death_date=date.fromisoformat(c.death_date) if c.death_date else None,
        survivor_id=_id(c.survivor, "residents"),
        merge_id=_id(c.merge, "residentMerges"),
    )


class ResidentFeed:
    """``identity_address`` is read on every call (all-in-one cells learn it once bound)."""

    def __init__(
        self, settings: Settings, identity_address: Callable[[], str], pool: ChannelPool
    ) -> None:
        self._settings = settings
        self._address = identity_address
        self._pool = pool
        self._lock = threading.Lock()
        self._credentials: ServiceCredentials | None = None

    @property
    def configured(self) -> bool:
        return bool(self._settings.cell_client_id and self._settings.cell_client_secret)

    def _token(self) -> str:
        with self._lock:
            if self._credentials is None:
                s = self._settings
                self._credentials = ServiceCredentials(
                    self._pool.get(self._address()), s.cell_client_id, s.cell_client_secret, s.cell
                )
        return self._credentials.token()

    def read(self, after: int, page_size: int) -> tuple[list[FeedChange], int]:
        """Changes after ``after`` (at most ``page_size``) and the feed's head sequence. Raises
        the typed error identity answered (UNAVAILABLE while it is down)."""
        stub = resident_service_pb2_grpc.ResidentServiceStub(self._pool.get(self._address()))
        try:
            reply = stub.ListResidentChanges(
                resident_service_pb2.ListResidentChangesRequest(
                    after_sequence=after, page_size=page_size
                ),
                metadata=[("authorization", f"Bearer {self._token()}")],
                timeout=within(TIMEOUT_SECONDS),
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        return [_change(c) for c in reply.changes], int(reply.head_sequence)
