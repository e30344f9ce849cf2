"""Record transfers (档随人走): between institutions of one cell (request with consent, then
confirm or decline), across cells through the gateway (open at the source, HANDING_OVER, the
idempotent import at the destination, then a TRANSFERRED trace at the source), and escalation
to the county/district administrators of both sides."""

from __future__ import annotations

from datetime import datetime

from rhip.archives import common
from rhip.archives.records.domain import RecordState
from rhip.archives.records.timeline import enqueue_record_moved
from rhip.archives.repository import ArchivesRepository
from rhip.archives.roles import ARCHIVES
from rhip.archives.transfers import domain
from rhip.archives.transfers.cross_cell_source import CrossCellSource
from rhip.archives.transfers.domain import IdentityDocument, Transfer, TransferState
from rhip.archives.transfers.evidence import check_evidence, evidence_required
from rhip.kit.authn import Principal, current_principal
from rhip.kit.errors import FailedPrecondition, NotFound, PermissionDenied, Violations
from rhip.kit.idempotency import check_reuse, claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page
from rhip.kit.timestamps import clinical_day


class TransferUseCases(CrossCellSource):
    """Transfer use cases: request (within the cell, or across cells: cross_cell.py), confirm,
    decline, read and list; the cross-cell steps come from the classes below."""

    # -- transfers between institutions of the cell --------------------------------------------
    def request_transfer(
        self,
        resident_name: str,
        consent: tuple[str, str, str],
        reason: str,
        request_id: str,
        source_region: str = "",
        document: IdentityDocument | None = None,
        evidence: tuple[str, str] = ("", ""),
    ) -> Transfer:
        """``evidence``: the oneof member sent (``health_card_qr``, ``consent_form_reference``
        or "") and its text. Required across cells only: within the cell, identity already
        made the requester prove presence before it lets them see the resident (the exact
        name at registration, or a card scan, enrols the resident at their institution), so
        in-cell requests keep working as before; evidence sent with one is checked for form
        and otherwise not used."""
        principal = current_principal()
        today = clinical_day(self.clock())
        checks = Violations()
        checks.check(common.parse_name, resident_name, "residents", "resident")
        consent_doc = checks.check(domain.check_consent, *consent, today)
        reason = checks.check(common.validate_reason, reason) or ""
        request_id = checks.check(request_key, request_id) or ""
        proof = checks.check(check_evidence, *evidence)
        if source_region:
            checks.check(self._other_cell_region, source_region, "source_region")
            if document is None or not document.number:
                checks.add("document", "name the resident's document", "DOCUMENT_REQUIRED")
        checks.raise_if_any()
        if source_region:
            if proof is None:
                raise evidence_required()
            assert document is not None and consent_doc is not None
            return self._request_across(
                resident_name, consent_doc, reason, request_id, source_region, document, proof
            )
        tenant, scope = self._own_tenant(principal, "RequestRecordTransfer")
        if request_id:
            with self.db.read() as conn:
                check_reuse(conn, request_id)
                earlier = ArchivesRepository(conn).transfer_by_request(request_id)
            if earlier is not None:
                return earlier
        resident = self.identity.resident(resident_name)  # the caller must see the resident
        now = self.clock()
        with self._unit() as repo:
            claim(repo.s, request_id)
            record = repo.open_record_of(resident.resident_id, for_update=True)
            if record is None:
                raise NotFound(
                    "the resident has no open record: create one", reason="RECORD_NOT_FOUND"
                )
            if record.managing_tenant_id == tenant.tenant_id:
                raise FailedPrecondition(
                    "your institution manages this record", reason="ALREADY_MANAGED"
                )
            record.require_state(RecordState.ACTIVE, action="transfer")
            transfer = Transfer(
                transfer_id=new_id(),
                record_id=record.record_id,
                record_number=record.record_number,
                resident_id=record.resident_id,
                source_tenant_id=record.managing_tenant_id,
                source_scope=record.scope_path,
                destination_tenant_id=tenant.tenant_id,
                destination_region=tenant.region_code,
                destination_scope=scope,
                state=TransferState.PENDING,
                consent=consent_doc or {},
                reason=reason,
                decline_reason="",
                moved_plans=0,
                create_time=now,
                decide_time=None,
            )
            repo.add_transfer(transfer, request_id)
            repo.save(record.changed(now, state=RecordState.TRANSFER_PENDING), record.version)
            repo.record(
                record.record_id, "TRANSFER_REQUESTED", principal.subject, now,
                transfer=transfer.transfer_id, destination=tenant.tenant_id,
                consent_method=transfer.consent.get("method", ""),
            )  # fmt: skip
            self._audit(
                repo, "record.transfer_request", f"recordTransfers/{transfer.transfer_id}", scope,
                record=record.record_id, resident=record.resident_id, source=record.managing_tenant_id,
            )  # fmt: skip
            return transfer

    def _load_transfer(
        self, repo: ArchivesRepository, name: str, method: str, *, lock: bool = False
    ) -> Transfer:
        principal = current_principal()
        transfer_id = common.parse_name(name, "recordTransfers")
        transfer = repo.transfer(transfer_id, for_update=lock)
        if transfer is None:
            if self.authz.enforce(principal.subject, self.cell_path, ARCHIVES + method):
                raise NotFound(f"recordTransfers/{transfer_id} does not exist")
            raise PermissionDenied(f"not allowed to call {method} here")
        return transfer

    def confirm_transfer(self, name: str, request_id: str) -> Transfer:
        principal = current_principal()
        request_id = request_key(request_id)
        now = self.clock()
        with self._unit() as repo:
            transfer = self._load_transfer(repo, name, "ConfirmRecordTransfer", lock=True)
            self._require(principal, transfer.source_scope, "ConfirmRecordTransfer")
            if transfer.state is TransferState.COMPLETED:
                return transfer  # a retry: the record moved once
            if transfer.state is TransferState.ESCALATED:
                raise FailedPrecondition(
                    "an escalated transfer is decided by the administrators of both sides",
                    reason="TRANSFER_ESCALATED",
                )
            if transfer.peer_region:
                transfer, bundle = self._start_hand_over(repo, transfer, principal, now)
                across = True
            else:
                across = False
        if across:
            return self._hand_over(transfer, bundle, request_id)
        with self._unit() as repo:
            transfer = self._load_transfer(repo, name, "ConfirmRecordTransfer", lock=True)
            if transfer.state is TransferState.COMPLETED:
                return transfer
            if transfer.state is TransferState.ESCALATED:
                raise FailedPrecondition("the transfer was escalated", reason="TRANSFER_ESCALATED")
            return self._move_within(repo, transfer, request_id, principal, now)

    def _move_within(
        self,
        repo: ArchivesRepository,
        transfer: Transfer,
        request_id: str,
        principal: Principal,
        now: datetime,
    ) -> Transfer:
        """Within the cell: the record, its open plans and scope (and its entries on the
        lifetime timeline) move to the destination."""
        domain.require_transfer_move(transfer.state, TransferState.COMPLETED)
        record = repo.get(transfer.record_id, for_update=True)
        assert record is not None
        record.require_state(RecordState.TRANSFER_PENDING, action="hand over")
        moved = record.changed(
            now,
            state=RecordState.ACTIVE,
            managing_tenant_id=transfer.destination_tenant_id,
            managing_region=transfer.destination_region,
            scope_path=transfer.destination_scope,
            team_id="",  # the new institution's contract decides the team
        )
        repo.save(moved, record.version)
        if repo.timeline:  # its entries on the lifetime timeline go with it
            enqueue_record_moved(
                repo.s, record.record_id, record.resident_id, moved.scope_path, now
            )
        # the old institution's team no longer manages it
        repo.end_active_contract(record.record_id, "transferred to another institution")
        plans = repo.move_scope(moved)
        done = transfer.completed(plans, now)
        repo.decide_transfer(done, request_id)
        repo.record(
            record.record_id, "TRANSFERRED", principal.subject, now, transfer=transfer.transfer_id,
            source=transfer.source_tenant_id, destination=transfer.destination_tenant_id, plans=plans,
        )  # fmt: skip
        self._audit(
            repo, "record.transfer_confirm", f"recordTransfers/{transfer.transfer_id}",
            transfer.source_scope, record=record.record_id, resident=record.resident_id,
            destination=transfer.destination_tenant_id,
        )  # fmt: skip
        return done

    def decline_transfer(self, name: str, reason: str) -> Transfer:
        principal = current_principal()
        reason = common.validate_reason(reason)
        now = self.clock()
        with self._unit() as repo:
            transfer = self._load_transfer(repo, name, "DeclineRecordTransfer", lock=True)
            self._require(principal, transfer.source_scope, "DeclineRecordTransfer")
            if transfer.state is TransferState.DECLINED and transfer.decline_reason == reason:
                done = transfer  # a retry: only the notice below is sent again
            else:
                done = self._decline(repo, transfer, reason, principal, now)
        # Outside the transaction: no lock is held while the other cell is called (it may call
        # back about this very transfer). A failure here: retry the decline, it re-sends.
        if done.peer_region:
            self._other_cells().close_transfer(done.peer_region, done.transfer_id, reason)
        return done

    def _decline(
        self,
        repo: ArchivesRepository,
        transfer: Transfer,
        reason: str,
        principal: Principal,
        now: datetime,
    ) -> Transfer:
        domain.require_transfer_move(transfer.state, TransferState.DECLINED)
        record = repo.get(transfer.record_id, for_update=True)
        assert record is not None
        if record.state is RecordState.TRANSFER_PENDING:
            repo.save(record.changed(now, state=RecordState.ACTIVE), record.version)
        done = transfer.declined(reason, now)
        repo.decide_transfer(done, "")
        repo.record(
            record.record_id,
            "TRANSFER_DECLINED",
            principal.subject,
            now,
            transfer=transfer.transfer_id,
        )
        self._audit(
            repo, "record.transfer_decline", f"recordTransfers/{transfer.transfer_id}",
            transfer.source_scope, record=record.record_id, resident=record.resident_id,
        )  # fmt: skip
        return done

    def get_transfer(self, name: str) -> Transfer:
        principal = current_principal()
        with self._unit(durable=False) as repo:
            transfer = self._load_transfer(repo, name, "GetRecordTransfer")
            if not any(
                self.authz.enforce(principal.subject, scope, ARCHIVES + "GetRecordTransfer")
                for scope in (transfer.source_scope, transfer.destination_scope)
            ):
                raise PermissionDenied("not allowed to see this transfer")
            self._audit(
                repo, "record.transfer_read", name, transfer.source_scope, record=transfer.record_id
            )
            return transfer

    def transfers(self, parent: str, page: Page) -> tuple[list[Transfer], str]:
        principal = current_principal()
        tenant_id = common.parse_name(parent, "tenants", "parent")
        self._tenant_parent(principal, tenant_id, "ListRecordTransfers")
        scopes = self._scopes(principal, "ListRecordTransfers")
        with self._unit(durable=False) as repo:
            rows = repo.transfers(tenant_id, scopes, page.after, page.size + 1)
            chunk = rows[: page.size]
            self._audit(repo, "record.transfers", parent, self.cell_path, hits=len(chunk))
        return chunk, page.next_token(
            chunk[-1].transfer_id if chunk else None, len(rows) > page.size
        )
