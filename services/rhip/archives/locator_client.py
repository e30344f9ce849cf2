"""Archives' calls to the platform's resident locator (rhip.api.locator.v1), served by the
gateway, as this cell's own service account: claim a person's open record before committing
it, release it when it ends, move it to the cell a transfer took it to. The locator being
unreachable is UNAVAILABLE `LOCATOR_UNAVAILABLE` with a retry delay; its refusal (another
cell holds the open record) comes back as FAILED_PRECONDITION `RECORD_EXISTS`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import grpc
from rhip.api.identity.v1 import resident_pb2
from rhip.api.locator.v1 import locator_service_pb2 as pb
from rhip.api.locator.v1 import locator_service_pb2_grpc
from rhip.archives.clients import OtherCells
from rhip.archives.transfers.domain import IdentityDocument
from rhip.kit.errors import AlreadyExists, DeadlineExceeded, RhipError, Unavailable, from_rpc_error

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 3.0
RETRY_AFTER_SECONDS = 5.0


@dataclass(frozen=True)
class OpenRecord:
    """What archives tells the locator about an open record (no personal data but the
    document, which the locator only digests)."""

    resident_id: str
    record_id: str
    institution: str
    region_code: str


def _unavailable(error: RhipError) -> Unavailable:
    return Unavailable(
        "the platform's resident locator cannot be reached; nothing was written, retry later",
        reason="LOCATOR_UNAVAILABLE",
        retry_after_seconds=RETRY_AFTER_SECONDS,
        metadata={"cause": error.reason},
    )


class LocatorClient:
    def __init__(self, cells: OtherCells, cell: str) -> None:
        self._cells = cells
        self._cell = cell

    @property
    def enabled(self) -> bool:
        """The cell has a gateway and a cell account: the platform-wide rule applies."""
        return self._cells.configured

    def _call(self, method: str, request: object) -> object:
        try:
            client = self._cells.gateway()
            stub = locator_service_pb2_grpc.LocatorServiceStub(client.channel)
            return getattr(stub, method)(
                request,
                metadata=client.metadata(self._cell, as_itself=True),
                timeout=TIMEOUT_SECONDS,
            )
        except grpc.RpcError as failure:
            error = from_rpc_error(failure)
        except (Unavailable, DeadlineExceeded) as failed:  # the gateway's login
            error = failed
        if isinstance(error, (Unavailable, DeadlineExceeded)):
            raise _unavailable(error) from None
        if error.reason == "RECORD_EXISTS":  # as archives refuses a second record in the cell
            raise AlreadyExists(error.message, reason=error.reason, metadata=error.metadata)
        raise error

    def claim(self, document: IdentityDocument, record: OpenRecord, *, backfill: bool = False):
        """Claims the person's open record for this cell; RECORD_EXISTS when another cell
        holds one (unless ``backfill``). Returns the locator's answer."""
        return self._call(
            "ClaimOpenRecord",
            pb.ClaimOpenRecordRequest(
                document=resident_pb2.IdentityDocument(
                    type=document.type,  # type: ignore[arg-type]
                    number=document.number,
                    issuing_country=document.issuing_country,
                ),
                resident_id=record.resident_id,
                record_id=record.record_id,
                institution_display_name=record.institution,
                region_code=record.region_code,
                backfill=backfill,
            ),
        )

    def release(self, record_id: str) -> bool:
        answer = self._call("ReleaseOpenRecord", pb.ReleaseOpenRecordRequest(record_id=record_id))
        return bool(answer.released)  # type: ignore[attr-defined]

    def release_quietly(self, record_id: str) -> None:
        """Best effort (a record that is no longer open): a failure is logged (record id and
        reason only); the claim stays until released again (see docs/architecture.md)."""
        try:
            self.release(record_id)
        except RhipError as error:
            log.warning("locator release of record %s failed: %s", record_id, error.reason)

    def move(self, record_id: str, destination_region: str, destination_record_id: str) -> None:
        self._call(
            "MoveOpenRecord",
            pb.MoveOpenRecordRequest(
                record_id=record_id,
                destination_region=destination_region,
                destination_record_id=destination_record_id,
            ),
        )
