"""Record transfers across cells (through the gateway), the destination side and what both
sides share: the request to another cell, the requests its source never acknowledged (and
their sweep), and the import and close the source cell calls here. Who may call the
cross-cell methods is checked here too (``_for_a_user``)."""

from __future__ import annotations

import logging
from datetime import timedelta

from rhip.archives import common
from rhip.archives.access import UseCaseBase
from rhip.archives.clients import OtherCells
from rhip.archives.records.domain import RecordTaken
from rhip.archives.repository import ArchivesRepository
from rhip.archives.transfers import domain
from rhip.archives.transfers.bundle import BUNDLE_FORMAT, BUNDLE_FORMATS, bundle_record_number
from rhip.archives.transfers.domain import IdentityDocument, Side, Transfer, TransferState
from rhip.archives.transfers.evidence import Evidence
from rhip.archives.transfers.imported_timeline import enqueue_brought_history
from rhip.kit.authn import Principal, current_principal
from rhip.kit.crosscell import require_peer_cell
from rhip.kit.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    RhipError,
    Unauthenticated,
    invalid,
)
from rhip.kit.idempotency import check_reuse, claim
from rhip.kit.ids import new_id
from rhip.kit.requests import parse_json_document
from rhip.kit.tenancy import catalog, is_within, region_path

log = logging.getLogger(__name__)

# Errors the source cell answered with (its transaction rolled back, so it opened nothing);
# any other failure (unavailable, deadline exceeded, internal) leaves it unknown.
ANSWERED = (
    InvalidArgument,
    NotFound,
    AlreadyExists,
    PermissionDenied,
    FailedPrecondition,
    Unauthenticated,
)


class CrossCellTransfers(UseCaseBase):
    # -- transfers across cells (through the gateway) ------------------------------------------
    def _other_cell_region(self, code: str, field: str) -> str:
        region = catalog().require(code, field)
        if is_within(region.path, self.cell_path):
            raise invalid(field, "is in this cell: leave it empty", "SOURCE_REGION_LOCAL")
        return code

    def _other_cells(self) -> OtherCells:
        if self.cells is None or not self.cells.configured:
            raise FailedPrecondition(
                "this cell is not set up for cross-cell transfers", reason="CROSS_CELL_DISABLED"
            )
        return self.cells

    def _request_across(
        self,
        resident_name: str,
        consent: dict[str, str],
        reason: str,
        request_id: str,
        source_region: str,
        document: IdentityDocument,
        evidence: Evidence,
    ) -> Transfer:
        """Destination side: the practitioner has the resident (registered here) in front of
        them; the source cell finds its own resident by the document and the name registered
        here, checks the evidence, and opens the transfer there under the transfer id chosen
        here. A retry re-sends the idempotent open (with the evidence of the retried call).
        What the source answers (its record, number and institution) is kept here but shown
        to nobody before the source accepts (``requester_view``)."""
        principal = current_principal()
        cells = self._other_cells()
        tenant, scope = self._own_tenant(principal, "RequestRecordTransfer")
        transfer = None
        if request_id:
            with self.db.read() as conn:
                check_reuse(conn, request_id)
                transfer = ArchivesRepository(conn).transfer_by_request(request_id)
            if transfer is not None and (
                transfer.record_id or transfer.state is not TransferState.PENDING
            ):
                return transfer
        if transfer is None:
            resident = self.identity.resident(resident_name)
            if self.identity.lookup(document) != resident.resident_id:
                raise invalid("document", "is not a document of this resident", "DOCUMENT_MISMATCH")
            name = resident.display_name
            consent = {**consent, **evidence.recorded()}
            now = self.clock()
            with self._unit() as repo:
                claim(repo.s, request_id)
                existing = repo.open_record_of(resident.resident_id)
                if existing is not None:
                    raise self._record_exists(existing)
                transfer = Transfer(
                    transfer_id=new_id(), record_id="", record_number="",
                    resident_id=resident.resident_id, source_tenant_id="",
                    source_scope=region_path(source_region), destination_tenant_id=tenant.tenant_id,
                    destination_region=tenant.region_code, destination_scope=scope,
                    state=TransferState.PENDING, consent=consent, reason=reason, decline_reason="",
                    moved_plans=0, create_time=now, decide_time=None, peer_region=source_region,
                )  # fmt: skip
                repo.add_transfer(transfer, request_id)
                self._audit(
                    repo, "record.transfer_request", f"recordTransfers/{transfer.transfer_id}",
                    scope, resident=resident.resident_id, source_region=source_region,
                    **evidence.recorded(),
                )  # fmt: skip
        else:  # a retry of a request the source has not acknowledged yet
            name = self.identity.resident(f"residents/{transfer.resident_id}").display_name
        try:
            opened = cells.open_transfer(source_region, transfer, document, name, evidence)
        except RhipError as error:
            self._not_acknowledged(transfer, error, retried=bool(request_id))
            raise
        if opened.state is TransferState.ABANDONED:  # withdrawn before it arrived there
            return self._abandon(transfer.transfer_id, opened.abandon_reason or "WITHDRAWN")
        answered = transfer.answered(
            opened.record_id, opened.record_number, opened.source_tenant_id
        )
        with self._unit() as repo:
            current = repo.transfer(transfer.transfer_id, for_update=True)
            assert current is not None
            if current.state is not TransferState.PENDING:
                return current  # abandoned meanwhile: the source withdrew it as well
            repo.open_transfer_source(answered)
        return answered

    def _source_here(self, transfer: Transfer) -> bool:
        return is_within(transfer.source_scope, self.cell_path)

    def requester_view(self, transfer: Transfer) -> Transfer:
        """What a transfer shows in this cell's answers (the request's own, Get, List and every
        other). At the destination of a cross-cell transfer the source's record id, record
        number and managing institution are withheld until the source accepted (COMPLETED:
        the record is then this cell's own); declined, abandoned or closed, never shown. The
        source cell's own views show its own record in full."""
        if (
            not transfer.peer_region
            or self._source_here(transfer)
            or transfer.state is TransferState.COMPLETED
        ):
            return transfer
        return transfer.withheld()

    # -- who may call the cross-cell methods --------------------------------------------------
    # Another cell's own account calls them, on behalf of one of its users whose decision it
    # carries (the requesting practitioner, the declining one, the approving administrator).
    # The cell acting for itself, with no user behind it, is accepted in exactly two places:
    # ImportHealthRecord after the destination's administrator approved an escalated transfer
    # last (the source hands over on its own behalf, ``_cell_may_hand_over``), and
    # WithdrawRecordTransfer (the destination's sweep). Nowhere else: a cell's account must not
    # open, decline, escalate, approve or reject anything by itself.
    def _for_a_user(self) -> tuple[Principal, Principal]:
        caller, original = require_peer_cell(self.issuer)
        if original.subject == caller.subject:
            raise PermissionDenied(
                "only another cell, on behalf of one of its users, calls this",
                reason="CROSS_CELL_CALLER",
            )
        return caller, original

    @staticmethod
    def _cell_may_hand_over(transfer: Transfer) -> bool:
        """Destination side: the source cell may hand over on its own behalf only what both
        sides' administrators approved, the destination's last (its approval reached the
        source as a relay, which then proceeds as the cell). When the source's administrator
        approved last, the source hands over on their behalf, so nothing needs the cell."""
        return (
            transfer.state is TransferState.ESCALATED
            and domain.approved_by_both(transfer.escalation.get("approvals", {}))
            and transfer.escalation.get("last_approval") == Side.DESTINATION.value
        )

    # -- requests the source cell never acknowledged ----------------------------------------
    def _not_acknowledged(self, transfer: Transfer, error: RhipError, *, retried: bool) -> None:
        """Destination side, the open failed. An answer from the source (an error it returned:
        it opened nothing, its transaction rolled back) abandons the request at once. No
        answer (unreachable, timed out: it may have opened it) and no request id to retry with:
        the request is withdrawn at the source now, which releases an open that did arrive;
        if the source is still unreachable the sweep (``expire_unacknowledged``) does it."""
        if isinstance(error, ANSWERED):
            self._abandon(transfer.transfer_id, error.reason)
            return
        if retried:
            return  # the caller retries with its request id; the sweep covers one who never does
        try:
            self._withdraw(transfer, "SOURCE_UNREACHABLE", as_cell=False)
        except RhipError:
            log.info("transfer %s: the source is still unreachable", transfer.transfer_id)

    def _abandon(self, transfer_id: str, reason: str) -> Transfer:
        """Destination side: a request the source never acknowledged ends ABANDONED."""
        now = self.clock()
        with self._unit() as repo:
            transfer = repo.transfer(transfer_id, for_update=True)
            assert transfer is not None
            if transfer.state is not TransferState.PENDING or transfer.record_id:
                return transfer
            done = transfer.abandoned(reason[:100], now)
            repo.decide_transfer(done, "")
            self._audit(
                repo, "record.transfer_abandon", f"recordTransfers/{transfer_id}",
                transfer.destination_scope, reason=done.abandon_reason,
                source_region=transfer.peer_region,
            )  # fmt: skip
            return done

    def _withdraw(self, transfer: Transfer, reason: str, *, as_cell: bool) -> Transfer:
        """Destination side: withdraw the request at the source, then mirror what the source
        answered (abandoned, or declined before); anything else there (handing over, escalated)
        is answered with an error and the request stays PENDING here."""
        answer = self._other_cells().withdraw_transfer(
            transfer.peer_region, transfer, reason, as_cell=as_cell
        )
        if answer.state is TransferState.ABANDONED:
            return self._abandon(transfer.transfer_id, answer.abandon_reason or reason)
        if answer.state is TransferState.DECLINED:
            return self._mirror_decline(transfer.transfer_id, answer.decline_reason)
        return transfer

    def _mirror_decline(self, transfer_id: str, reason: str) -> Transfer:
        """Destination side: the source declined the request (its notice did not arrive)."""
        now = self.clock()
        with self._unit() as repo:
            transfer = repo.transfer(transfer_id, for_update=True)
            assert transfer is not None
            if transfer.state is not TransferState.PENDING:
                return transfer
            done = transfer.declined(reason, now)
            repo.decide_transfer(done, "")
            self._audit(
                repo, "record.transfer_closed", f"recordTransfers/{transfer_id}",
                transfer.destination_scope,
            )  # fmt: skip
            return done

    def expire_unacknowledged(self, grace: timedelta = domain.UNACKNOWLEDGED_AFTER) -> int:
        """Destination side, run by the sweep as the cell itself: requests the source has not
        acknowledged for ``grace`` are withdrawn there and abandoned here; a source still
        unreachable is asked again on the next run. Returns how many were settled."""
        with self.db.read() as conn:
            stale = ArchivesRepository(conn).unacknowledged_inbound(self.clock() - grace)
        settled = 0
        for transfer in stale:
            try:
                done = self._withdraw(transfer, "SOURCE_NEVER_ACKNOWLEDGED", as_cell=True)
            except RhipError as error:
                log.info("transfer %s not withdrawn yet: %s", transfer.transfer_id, error.reason)
                continue
            settled += done.state is not TransferState.PENDING
        return settled

    def _inbound(self, repo: ArchivesRepository, caller: Principal, transfer_id: str) -> Transfer:
        """Destination side: the transfer ``transfer_id`` whose source lies in the caller's cell."""
        transfer = repo.transfer(transfer_id, for_update=True)
        if (
            transfer is None
            or not transfer.peer_region
            or not is_within(region_path(transfer.peer_region), region_path(caller.region_code))
            or not is_within(transfer.destination_scope, self.cell_path)
        ):
            raise NotFound(
                f"recordTransfers/{transfer_id} does not exist", reason="TRANSFER_NOT_FOUND"
            )
        return transfer

    def import_record(self, transfer_id: str, bundle_bytes: bytes) -> Transfer:
        """Destination side, called by the source cell on confirm: the record arrives once
        (one transaction; a second import returns the first result)."""
        caller, original = require_peer_cell(self.issuer)
        transfer_id = common.validate_request_id(transfer_id, "transfer_id")
        # Bounded nesting: a deeply nested bundle raised RecursionError.
        bundle = parse_json_document(bundle_bytes, "bundle", reason="BUNDLE_INVALID")
        if not (isinstance(bundle, dict) and bundle.get("format") in BUNDLE_FORMATS):
            raise invalid("bundle", f"must be a {BUNDLE_FORMAT} document", "BUNDLE_INVALID")
        now = self.clock()
        with self._unit() as repo:
            transfer = self._inbound(repo, caller, transfer_id)
            if transfer.state is TransferState.COMPLETED:
                return transfer  # a retry: the record arrived once
            if original.subject == caller.subject and not self._cell_may_hand_over(transfer):
                raise PermissionDenied(
                    "only another cell, on behalf of one of its users, calls this",
                    reason="CROSS_CELL_CALLER",
                )
            domain.require_transfer_move(transfer.state, TransferState.COMPLETED)
            if transfer.state is TransferState.ESCALATED and not domain.approved_by_both(
                transfer.escalation.get("approvals", {})
            ):
                raise FailedPrecondition(
                    "the escalated transfer awaits the administrators of both sides",
                    reason="ESCALATION_NOT_APPROVED",
                )
            number = bundle_record_number(bundle)
            if transfer.record_number and number != transfer.record_number:
                raise FailedPrecondition(
                    "the bundle is not the record of this transfer", reason="BUNDLE_MISMATCH"
                )
            existing = repo.open_record_of(transfer.resident_id)
            if existing is not None:
                raise self._record_exists(existing)
            try:
                record = repo.import_record(
                    bundle, transfer.resident_id, transfer.destination_tenant_id,
                    transfer.destination_region, transfer.destination_scope, now,
                )  # fmt: skip
            except RecordTaken:
                raise AlreadyExists(
                    "a record in force here already has this number", reason="RECORD_EXISTS"
                ) from None
            imported = repo.import_bundle(bundle, record)
            plans = imported.plans
            if repo.timeline:  # its history joins this cell's timeline, dated as it was there
                enqueue_brought_history(repo, bundle, record, imported, transfer, now)
            # The record came back to a cell that keeps the trace of its earlier move: the
            # trace keeps its id, the record here has a new one (its number is the same).
            trace = bundle["record"]["id"] if bundle["record"]["id"] != record.record_id else ""
            done = transfer.imported(record.record_id, record.record_number, plans, now)
            repo.open_transfer_source(done)
            repo.decide_transfer(done, "")
            repo.record(
                record.record_id, "TRANSFERRED_IN", original.subject, now,
                transfer=transfer_id, source_region=transfer.peer_region, via=caller.subject,
                plans=plans, **({"trace": f"healthRecords/{trace}"} if trace else {}),
            )  # fmt: skip
            self._audit(
                repo, "record.transfer_import", f"recordTransfers/{transfer_id}",
                record.scope_path, record=record.record_id, resident=record.resident_id,
                on_behalf_of=original.subject,
            )  # fmt: skip
            return done

    def close_transfer(self, transfer_id: str, reason: str) -> Transfer:
        """Destination side, called by the source cell on decline."""
        caller, original = self._for_a_user()
        transfer_id = common.validate_request_id(transfer_id, "transfer_id")
        reason = common.validate_reason(reason)
        now = self.clock()
        with self._unit() as repo:
            transfer = self._inbound(repo, caller, transfer_id)
            if transfer.state is TransferState.DECLINED:
                return transfer
            domain.require_transfer_move(transfer.state, TransferState.DECLINED)
            done = transfer.declined(reason, now)
            repo.decide_transfer(done, "")
            self._audit(
                repo, "record.transfer_closed", f"recordTransfers/{transfer_id}",
                transfer.destination_scope, on_behalf_of=original.subject,
            )  # fmt: skip
            return done
