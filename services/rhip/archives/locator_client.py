"""Archives' calls to the platform's resident locator (rhip.api.locator.v1), served by the
gateway, as this cell's own service account: claim a person's open record before committing
it (sent without waiting, so that the cell's own work runs while the locator answers:
``send_claim``), release it when it ends, move it to the cell a transfer took it to. The
locator being unreachable is UNAVAILABLE `LOCATOR_UNAVAILABLE` with a retry delay; its
refusal (another cell holds the open record: FAILED_PRECONDITION `RECORD_EXISTS` from the
locator) comes back as ALREADY_EXISTS `RECORD_EXISTS`, as archives' own refusal does."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import grpc
from rhip.api.identity.v1 import resident_pb2
from rhip.api.locator.v1 import locator_service_pb2 as pb
from rhip.api.locator.v1 import locator_service_pb2_grpc
from rhip.archives.clients import OtherCells
from rhip.archives.transfers.domain import IdentityDocument
from rhip.kit.deadlines import within
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

    def _send(self, method: str, request: object) -> grpc.Future:
        """Sends ``request`` without waiting for the answer (``_answer`` waits). The gateway's
        login, when the cell account's token is due, happens here, before anything is sent."""
        try:
            client = self._cells.gateway()
            stub = locator_service_pb2_grpc.LocatorServiceStub(client.channel)
            return getattr(stub, method).future(
                request,
                metadata=client.metadata(self._cell, as_itself=True),
                timeout=within(TIMEOUT_SECONDS),
            )
        except (Unavailable, DeadlineExceeded) as failed:  # the gateway's login
            raise _unavailable(failed) from None

    @staticmethod
    def _answer(sent: grpc.Future) -> object:
        """The locator's answer to a call ``_send`` made, or its error in archives' terms."""
        try:
            return sent.result()
        except grpc.RpcError as failure:
            error = from_rpc_error(failure)
        if isinstance(error, (Unavailable, DeadlineExceeded)):
            raise _unavailable(error) from None
        if error.reason == "RECORD_EXISTS":  # as archives refuses a second record in the cell
            raise AlreadyExists(error.message, reason=error.reason, metadata=error.metadata)
        raise error

    def _call(self, method: str, request: object) -> object:
        return self._answer(self._send(method, request))

    def claim(self, document: IdentityDocument, record: OpenRecord, *, backfill: bool = False):
        """Claims the person's open record for this cell; RECORD_EXISTS when another cell
        holds one (unless ``backfill``). Returns the locator's answer."""
        return self.send_claim(document, record, backfill=backfill).wait()

    def send_claim(
        self, document: IdentityDocument, record: OpenRecord, *, backfill: bool = False
    ) -> PendingClaim:
        """Sends the claim and returns at once: the caller does its own work meanwhile and
        then waits for the answer (``PendingClaim.wait``). UNAVAILABLE here already when the
        gateway's login fails."""
        request = pb.ClaimOpenRecordRequest(
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
        )
        return PendingClaim(self, record.record_id, self._send("ClaimOpenRecord", request))

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


class PendingClaim:
    """A claim sent to the locator, its answer not yet awaited (a gRPC future: no thread of
    ours waits for it). The record is committed only once ``wait`` has returned; when the
    cell's own work fails instead, ``abandon`` releases the claim if the locator made it."""

    def __init__(self, client: LocatorClient, record_id: str, sent: grpc.Future) -> None:
        self._client = client
        self._record_id = record_id
        self._sent = sent
        self._made: bool | None = None  # None until the answer was awaited

    def wait(self) -> object:
        """The locator's answer; the same errors as ``LocatorClient.claim``: AlreadyExists
        ``RECORD_EXISTS`` (another cell holds the person's open record), UNAVAILABLE
        ``LOCATOR_UNAVAILABLE`` with a retry delay (the locator cannot be reached). Waiting
        again gives the same answer."""
        try:
            answer = self._client._answer(self._sent)
        except RhipError:
            self._made = False
            raise
        if self._made is None:
            self._made = True
        return answer

    def abandon(self) -> None:
        """Nothing was committed here: once the locator has answered (waiting for it if it
        has not), release the claim if it was made; never raises (release_quietly)."""
        if self._made is None:
            try:
                self.wait()
            except Exception:  # refused or unreachable: there is no claim to release
                return
        if self._made:
            self._made = False
            self._client.release_quietly(self._record_id)
