"""Identity's calls for residents linked across cells, all through the gateway as this cell's
own service account (rhip.kit.crosscell): the platform's locator (AnnounceResident) and the
other cells' IdentityPeerService. Answers come back in identity's own terms; failures as
rhip.kit.errors (a locator or cell that cannot be reached: UNAVAILABLE, retried by the worker)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import grpc
from rhip.api.identity.v1 import identity_peer_service_pb2 as peer_pb
from rhip.api.identity.v1 import identity_peer_service_pb2_grpc, resident_pb2
from rhip.api.locator.v1 import locator_service_pb2 as loc_pb
from rhip.api.locator.v1 import locator_service_pb2_grpc
from rhip.identity.links.domain import RemotePresence
from rhip.identity.residents.domain import ChangeKind, HeldDocument, ResidentChange
from rhip.kit.channels import ChannelPool
from rhip.kit.config import Settings
from rhip.kit.crosscell import CellGateway, CrossCellClient
from rhip.kit.deadlines import within
from rhip.kit.errors import from_rpc_error
from rhip.kit.timestamps import parse_iso_date

TIMEOUT_SECONDS = 5.0
_KINDS = {
    resident_pb2.RESIDENT_CHANGE_KIND_DECEASED: ChangeKind.DECEASED,
    resident_pb2.RESIDENT_CHANGE_KIND_MERGED: ChangeKind.MERGED,
    resident_pb2.RESIDENT_CHANGE_KIND_MERGE_UNDONE: ChangeKind.MERGE_UNDONE,
}


@dataclass(frozen=True)
class RemoteResident:
    """What the other cell answered about its linked resident: ids, state, death date."""

    resident_id: str
    state: str  # VERIFIED, PROVISIONAL, MERGED, DECEASED
    death_date: date | None


def _id(name: str) -> str:
    return name.removeprefix("residents/")


class LinkGateway:
    def __init__(self, settings: Settings, pool: ChannelPool) -> None:
        self._cell = settings.cell
        self._cells = CellGateway(settings, pool, "resident links")

    @property
    def configured(self) -> bool:
        """The cell has a gateway and a cell account (else nothing is linked: a lone cell)."""
        return self._cells.configured

    def _gateway(self) -> CrossCellClient:
        return self._cells.client()

    def _call(self, stub_type: Any, method: str, request: Any, region: str) -> Any:
        client = self._gateway()
        stub = stub_type(client.channel)
        try:
            return getattr(stub, method)(
                request,
                metadata=client.metadata(region, as_itself=True),
                timeout=within(TIMEOUT_SECONDS),
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None

    def announce(self, resident_id: str, documents: Sequence[HeldDocument]) -> list[RemotePresence]:
        """Tells the locator this cell holds ``resident_id`` for ``documents`` and for no other
        (their numbers in clear on the wire only; never logged); returns other cells'
        residents for them."""
        request = loc_pb.AnnounceResidentRequest(
            resident_id=resident_id,
            documents=[
                resident_pb2.IdentityDocument(
                    type=getattr(resident_pb2, f"DOCUMENT_TYPE_{d.doc_type.name}"),
                    number=d.number,
                    issuing_country=d.issuing_country,
                )
                for d in documents
            ],
        )
        answer = self._call(
            locator_service_pb2_grpc.LocatorServiceStub, "AnnounceResident", request,
            self._cell,
        )  # fmt: skip
        return [RemotePresence(p.cell, p.resident_id) for p in answer.others]

    def link(self, cell: str, remote_id: str, resident_id: str) -> RemoteResident:
        """Asks ``cell`` to link its ``remote_id`` to this cell's ``resident_id``."""
        answer = self._call(
            identity_peer_service_pb2_grpc.IdentityPeerServiceStub, "LinkResident",
            peer_pb.LinkResidentRequest(
                resident=f"residents/{remote_id}", linked_resident=f"residents/{resident_id}"
            ),
            cell,
        )  # fmt: skip
        return RemoteResident(
            _id(answer.resident),
            resident_pb2.ResidentState.Name(answer.state).removeprefix("RESIDENT_STATE_"),
            parse_iso_date(answer.death_date, "death_date") if answer.death_date else None,
        )

    def unlink(self, cell: str, remote_id: str, resident_id: str) -> bool:
        """Asks ``cell`` to remove the link of its ``remote_id`` to this cell's ``resident_id``
        (FailedPrecondition ``LINK_STILL_CONFIRMED`` when the locator there still holds both
        for one document); True when that removed it, False when there was none."""
        answer = self._call(
            identity_peer_service_pb2_grpc.IdentityPeerServiceStub, "UnlinkResident",
            peer_pb.UnlinkResidentRequest(
                resident=f"residents/{remote_id}", linked_resident=f"residents/{resident_id}"
            ),
            cell,
        )  # fmt: skip
        return bool(answer.unlinked)

    def changes(self, cell: str, after: int, page_size: int) -> tuple[list[ResidentChange], int]:
        """``cell``'s changes about residents linked to this cell, after ``after``; and the
        sequence the next read starts after."""
        answer = self._call(
            identity_peer_service_pb2_grpc.IdentityPeerServiceStub, "ListLinkedResidentChanges",
            peer_pb.ListLinkedResidentChangesRequest(after_sequence=after, page_size=page_size),
            cell,
        )  # fmt: skip
        changes = [
            ResidentChange(
                seq=c.sequence,
                kind=_KINDS[c.kind],
                resident_id=_id(c.resident),
                change_time=c.change_time.ToDatetime(),
                actor=c.actor,
                death_date=parse_iso_date(c.death_date, "death_date") if c.death_date else None,
                survivor_id=_id(c.survivor),
                merge_id=c.merge.removeprefix("residentMerges/"),
            )
            for c in answer.changes
            if c.kind in _KINDS
        ]
        return changes, int(answer.read_sequence)
