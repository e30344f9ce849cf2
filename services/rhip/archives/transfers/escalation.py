"""Escalation of a record transfer to the county/district administrators of both sides:
after a decline, or a request unanswered for the configured days, either institution
escalates; both sides' administrators approve (then it proceeds like a confirm) or either
rejects it for good. Across cells each side relays its decisions to the other."""

from __future__ import annotations

from datetime import datetime

from rhip.archives import common
from rhip.archives.records.domain import RecordState
from rhip.archives.repository import ArchivesRepository
from rhip.archives.roles import ARCHIVES
from rhip.archives.transfers import domain
from rhip.archives.transfers.domain import Side, Transfer, TransferState
from rhip.archives.transfers.usecases import TransferUseCases
from rhip.kit.authn import Principal, current_principal
from rhip.kit.errors import FailedPrecondition, NotFound, PermissionDenied, Violations
from rhip.kit.tenancy import is_within, region_path


class EscalationUseCases(TransferUseCases):
    # -- escalation to the county/district administrators of both sides ---------------------
    def _local_sides(self, transfer: Transfer) -> list[Side]:
        """The sides of ``transfer`` kept in this cell: both within the cell, else one."""
        if not transfer.peer_region:
            return [Side.SOURCE, Side.DESTINATION]
        return [Side.SOURCE] if self._source_here(transfer) else [Side.DESTINATION]

    @staticmethod
    def _county_path(transfer: Transfer, side: Side) -> str:
        """The region path whose administrators decide for ``side``: the institution's
        county (a city or province administrator above it reaches it too)."""
        if side is Side.DESTINATION:
            return region_path(transfer.destination_region)
        head, _, last = transfer.source_scope.rpartition("/")
        return head if last.startswith("t-") else transfer.source_scope

    @staticmethod
    def _institution_scope(transfer: Transfer, side: Side) -> str:
        return transfer.source_scope if side is Side.SOURCE else transfer.destination_scope

    def _institution_side(self, principal: Principal, transfer: Transfer) -> Side:
        for side in self._local_sides(transfer):
            scope = self._institution_scope(transfer, side)
            if self.authz.enforce(principal.subject, scope, ARCHIVES + "EscalateRecordTransfer"):
                return side
        raise PermissionDenied(
            "only the institutions of the transfer escalate it", reason="NOT_TRANSFER_PARTY"
        )

    def _admin_sides(self, principal: Principal, transfer: Transfer, method: str) -> list[Side]:
        sides = [
            side
            for side in self._local_sides(transfer)
            if self.authz.enforce(
                principal.subject, self._county_path(transfer, side), ARCHIVES + method
            )
        ]
        if not sides:
            raise PermissionDenied(
                "only the county/district administrators of either side decide",
                reason="NOT_SIDE_ADMIN",
            )
        return sides

    def _escalate(
        self,
        repo: ArchivesRepository,
        transfer: Transfer,
        side: Side,
        reason: str,
        subject: str,
        now: datetime,
    ) -> Transfer:
        """ESCALATED (the move was checked); at the source the record is held for it again."""
        if self._source_here(transfer):
            record = repo.get(transfer.record_id, for_update=True)
            assert record is not None
            if record.state is not RecordState.TRANSFER_PENDING:
                record.require_state(RecordState.ACTIVE, action="escalate a transfer of")
                repo.save(record.changed(now, state=RecordState.TRANSFER_PENDING), record.version)
            repo.record(
                record.record_id, "TRANSFER_ESCALATED", subject, now,
                transfer=transfer.transfer_id, side=side.value,
            )  # fmt: skip
        done = transfer.escalated(side, reason, now)
        repo.decide_transfer(done, "")
        self._audit(
            repo, "record.transfer_escalate", f"recordTransfers/{transfer.transfer_id}",
            self._institution_scope(transfer, side), side=side.value, by=subject,
        )  # fmt: skip
        return done

    def _approve(
        self, repo: ArchivesRepository, transfer: Transfer, sides: list[Side], subject: str
    ) -> Transfer:
        new = transfer.awaiting_approval(sides)
        if not new:
            return transfer  # approved before: idempotent
        done = transfer.approved(new, subject)
        repo.decide_transfer(done, "")
        for side in new:
            self._audit(
                repo, "record.transfer_approve", f"recordTransfers/{transfer.transfer_id}",
                self._county_path(transfer, side), side=side.value, by=subject,
            )  # fmt: skip
        return done

    def _reject(
        self,
        repo: ArchivesRepository,
        transfer: Transfer,
        side: Side,
        reason: str,
        subject: str,
        now: datetime,
    ) -> Transfer:
        """CLOSED for good; at the source the record is ACTIVE again."""
        domain.require_transfer_move(transfer.state, TransferState.CLOSED)
        if self._source_here(transfer):
            record = repo.get(transfer.record_id, for_update=True)
            assert record is not None
            if record.state is RecordState.TRANSFER_PENDING:
                repo.save(record.changed(now, state=RecordState.ACTIVE), record.version)
            repo.record(
                record.record_id, "TRANSFER_CLOSED", subject, now,
                transfer=transfer.transfer_id, side=side.value,
            )  # fmt: skip
        done = transfer.closed(side, reason, now)
        repo.decide_transfer(done, "")
        self._audit(
            repo, "record.transfer_reject", f"recordTransfers/{transfer.transfer_id}",
            self._county_path(transfer, side), side=side.value, by=subject,
        )  # fmt: skip
        return done

    def _relay(self, transfer: Transfer, decision: str, side: Side, reason: str = "") -> None:
        self._other_cells().relay_decision(
            transfer.peer_region, transfer.transfer_id, decision, side.value, reason
        )

    def _proceed(self, transfer_id: str, *, as_cell: bool = False) -> Transfer:
        """After the last approval: the transfer proceeds like a confirm (the same
        idempotent hand-over across cells, the same move within one)."""
        principal = current_principal()
        now = self.clock()
        with self._unit() as repo:
            transfer = repo.transfer(transfer_id, for_update=True)
            assert transfer is not None
            if transfer.state is TransferState.COMPLETED:
                return transfer
            if transfer.state is TransferState.ESCALATED and not domain.approved_by_both(
                transfer.escalation.get("approvals", {})
            ):
                return transfer  # still awaits the other side
            if not transfer.peer_region:
                return self._move_within(repo, transfer, "", principal, now)
            transfer, bundle = self._start_hand_over(repo, transfer, principal, now)
        return self._hand_over(transfer, bundle, "", as_cell=as_cell)

    def escalate_transfer(self, name: str, reason: str) -> Transfer:
        """Either institution: after a decline, or a request unanswered for the configured
        days, the transfer goes to the county/district administrators of both sides."""
        principal = current_principal()
        reason = common.validate_reason(reason)
        now = self.clock()
        with self._unit() as repo:
            transfer = self._load_transfer(repo, name, "EscalateRecordTransfer", lock=True)
            side = self._institution_side(principal, transfer)
            if transfer.state is not TransferState.ESCALATED:
                domain.require_escalation(
                    transfer.state, transfer.create_time, now, self.escalate_after_days
                )
                if not transfer.peer_region or self._source_here(transfer):
                    # The side keeping the record decides first (its record must be ACTIVE).
                    transfer = self._escalate(repo, transfer, side, reason, principal.subject, now)
        if not transfer.peer_region:
            return transfer
        self._relay(transfer, "escalate", side, reason)  # a retry re-sends it
        if transfer.state is TransferState.ESCALATED:
            return transfer
        with self._unit() as repo:  # destination side: after the source accepted it
            current = repo.transfer(transfer.transfer_id, for_update=True)
            assert current is not None
            if current.state is TransferState.ESCALATED:
                return current
            domain.require_transfer_move(current.state, TransferState.ESCALATED)
            return self._escalate(repo, current, side, reason, principal.subject, now)

    def approve_transfer(self, name: str) -> Transfer:
        """A county/district administrator of a side (or one above) approves; with both
        sides approved the transfer proceeds. Approving again changes nothing."""
        principal = current_principal()
        with self._unit() as repo:
            transfer = self._load_transfer(repo, name, "ApproveRecordTransfer", lock=True)
            sides = self._admin_sides(principal, transfer, "ApproveRecordTransfer")
            if transfer.state not in (
                TransferState.ESCALATED, TransferState.HANDING_OVER, TransferState.COMPLETED
            ):  # fmt: skip
                raise FailedPrecondition(
                    "only an escalated transfer is approved",
                    reason="TRANSFER_STATE",
                    metadata={"state": transfer.state.name},
                )
            if transfer.state is TransferState.ESCALATED:
                transfer = self._approve(repo, transfer, sides, principal.subject)
        if transfer.peer_region and transfer.state is TransferState.ESCALATED:
            for side in sides:  # the other cell learns it (and, at the source, proceeds)
                self._relay(transfer, "approve", side)
        if not transfer.peer_region or self._source_here(transfer):
            return self._proceed(transfer.transfer_id)
        with self.db.read() as conn:
            current = ArchivesRepository(conn).transfer(transfer.transfer_id)
        assert current is not None
        return current

    def reject_transfer(self, name: str, reason: str) -> Transfer:
        """A county/district administrator of either side rejects: CLOSED for good."""
        principal = current_principal()
        reason = common.validate_reason(reason)
        now = self.clock()
        with self._unit() as repo:
            transfer = self._load_transfer(repo, name, "RejectRecordTransfer", lock=True)
            side = self._admin_sides(principal, transfer, "RejectRecordTransfer")[0]
            if transfer.state is not TransferState.CLOSED:
                domain.require_transfer_move(transfer.state, TransferState.CLOSED)
                if not transfer.peer_region or self._source_here(transfer):
                    transfer = self._reject(repo, transfer, side, reason, principal.subject, now)
        if not transfer.peer_region:
            return transfer
        self._relay(transfer, "reject", side, reason)  # a retry re-sends it
        if transfer.state is TransferState.CLOSED:
            return transfer
        with self._unit() as repo:  # destination side: after the source released the record
            current = repo.transfer(transfer.transfer_id, for_update=True)
            assert current is not None
            if current.state is TransferState.CLOSED:
                return current
            return self._reject(repo, current, side, reason, principal.subject, now)

    def relay_decision(
        self, transfer_id: str, decision: str, side_name: str, reason: str
    ) -> Transfer:
        """Cross-cell: the other side's cell escalated, approved or rejected the transfer."""
        caller, original = self._for_a_user()
        checks = Violations()
        transfer_id = checks.check(common.validate_request_id, transfer_id, "transfer_id") or ""
        if not transfer_id:
            checks.add("transfer_id", "is required", "TRANSFER_ID_REQUIRED")
        if decision not in ("escalate", "approve", "reject"):
            checks.add("decision", "must be ESCALATE, APPROVE or REJECT", "DECISION_REQUIRED")
        if side_name not in ("source", "destination"):
            checks.add("side", "must be SOURCE or DESTINATION", "SIDE_REQUIRED")
        if decision in ("escalate", "reject"):
            reason = checks.check(common.validate_reason, reason) or ""
        checks.raise_if_any()
        side = Side(side_name)
        now = self.clock()
        with self._unit() as repo:
            transfer = repo.transfer(transfer_id, for_update=True)
            if (
                transfer is None
                or not transfer.peer_region
                or not is_within(region_path(transfer.peer_region), region_path(caller.region_code))
            ):
                raise NotFound(
                    f"recordTransfers/{transfer_id} does not exist", reason="TRANSFER_NOT_FOUND"
                )
            if side in self._local_sides(transfer):
                raise PermissionDenied(
                    "a cell relays only its own side's decisions", reason="CROSS_CELL_CALLER"
                )
            if decision == "escalate":
                if transfer.state is not TransferState.ESCALATED:
                    domain.require_transfer_move(transfer.state, TransferState.ESCALATED)
                    transfer = self._escalate(repo, transfer, side, reason, original.subject, now)
                return transfer
            if decision == "reject":
                if transfer.state is not TransferState.CLOSED:
                    transfer = self._reject(repo, transfer, side, reason, original.subject, now)
                return transfer
            if transfer.state is TransferState.ESCALATED:
                transfer = self._approve(repo, transfer, [side], original.subject)
            elif transfer.state not in (TransferState.HANDING_OVER, TransferState.COMPLETED):
                raise FailedPrecondition(
                    "only an escalated transfer is approved",
                    reason="TRANSFER_STATE",
                    metadata={"state": transfer.state.name},
                )
        if self._source_here(transfer):
            # The other cell's administrator approved last: this cell hands over for itself.
            return self._proceed(transfer_id, as_cell=True)
        return transfer
