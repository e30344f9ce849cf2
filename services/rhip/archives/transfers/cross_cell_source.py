"""Record transfers across cells, the source side: the destination cell opens a transfer of
this cell's record (after the evidence and the resident's document and name are checked)
or withdraws it, and on confirm this cell hands the record over (HANDING_OVER, the
idempotent import at the destination, then a TRANSFERRED trace here)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rhip.archives import common
from rhip.archives.records.domain import RecordState
from rhip.archives.repository import ArchivesRepository
from rhip.archives.transfers import domain
from rhip.archives.transfers.cross_cell import CrossCellTransfers
from rhip.archives.transfers.domain import IdentityDocument, Transfer, TransferState
from rhip.archives.transfers.evidence import (
    HEALTH_CARD,
    Evidence,
    check_evidence,
    evidence_invalid,
    evidence_required,
    no_matching_record,
)
from rhip.kit.authn import Principal, current_principal
from rhip.kit.crosscell import require_peer_cell
from rhip.kit.errors import (
    Aborted,
    AlreadyExists,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Violations,
)
from rhip.kit.tenancy import is_within, region_path, tenant_scope
from rhip.kit.timestamps import clinical_day

log = logging.getLogger(__name__)


class CrossCellSource(CrossCellTransfers):
    def withdraw_transfer(
        self, transfer_id: str, destination_tenant: str, destination_region: str, reason: str
    ) -> Transfer:
        """Source side, called by the destination cell (for itself, or for the requesting
        user): a PENDING transfer here is ABANDONED and its record ACTIVE again; one never
        seen here is remembered as ABANDONED, so that an open still on its way opens nothing.
        A transfer that moved on (handing over, escalated, completed) cannot be withdrawn."""
        caller, original = require_peer_cell(self.issuer)
        checks = Violations()
        transfer_id = checks.check(common.validate_request_id, transfer_id, "transfer_id") or ""
        if not transfer_id:
            checks.add("transfer_id", "is required", "TRANSFER_ID_REQUIRED")
        tenant_id = checks.check(
            common.parse_name, destination_tenant, "tenants", "destination_tenant"
        )
        region = checks.check(self._other_cell_region, destination_region, "destination_region")
        reason = checks.check(domain.validate_reason_code, reason) or ""
        checks.raise_if_any()
        assert region is not None and tenant_id is not None
        if not is_within(region_path(region), region_path(caller.region_code)):
            raise PermissionDenied(
                "the destination lies outside the calling cell", reason="CROSS_CELL_CALLER"
            )
        now = self.clock()
        with self._unit() as repo:
            transfer = repo.transfer(transfer_id, for_update=True)
            if transfer is None:
                tombstone = Transfer(
                    transfer_id=transfer_id, record_id="", record_number="", resident_id="",
                    source_tenant_id="", source_scope=self.cell_path,
                    destination_tenant_id=tenant_id, destination_region=region,
                    destination_scope=tenant_scope(region, tenant_id),
                    state=TransferState.ABANDONED, consent={}, reason="", decline_reason="",
                    moved_plans=0, create_time=now, decide_time=now, peer_region=region,
                    abandon_reason=reason,
                )  # fmt: skip
                if not repo.add_transfer_once(tombstone):
                    raise Aborted("the transfer is being opened: try again")
                self._audit(
                    repo, "record.transfer_withdraw", f"recordTransfers/{transfer_id}",
                    self.cell_path, on_behalf_of=original.subject, reason=reason, opened=False,
                )  # fmt: skip
                return tombstone
            if (
                transfer.peer_region != region
                or transfer.destination_tenant_id != tenant_id
                or not self._source_here(transfer)
            ):
                raise NotFound(
                    f"recordTransfers/{transfer_id} does not exist", reason="TRANSFER_NOT_FOUND"
                )
            if transfer.state in (TransferState.ABANDONED, TransferState.DECLINED):
                return transfer  # withdrawn before, or declined: nothing is held for it
            domain.require_transfer_move(transfer.state, TransferState.ABANDONED)
            if transfer.record_id:
                record = repo.get(transfer.record_id, for_update=True)
                assert record is not None
                if record.state is RecordState.TRANSFER_PENDING:
                    repo.save(record.changed(now, state=RecordState.ACTIVE), record.version)
                repo.record(
                    record.record_id, "TRANSFER_WITHDRAWN", original.subject, now,
                    transfer=transfer_id, reason=reason, via=caller.subject,
                )  # fmt: skip
            done = transfer.abandoned(reason, now)
            repo.decide_transfer(done, "")
            self._audit(
                repo, "record.transfer_withdraw", f"recordTransfers/{transfer_id}",
                transfer.source_scope, on_behalf_of=original.subject, reason=reason, opened=True,
                record=transfer.record_id,
            )  # fmt: skip
            return done

    def open_transfer(
        self,
        transfer_id: str,
        document: IdentityDocument,
        destination_tenant: str,
        destination_region: str,
        consent: tuple[str, str, str],
        reason: str,
        display_name: str = "",
        evidence: tuple[str, str] = ("", ""),
    ) -> Transfer:
        """Source side, called by the destination cell: the resident's active record here
        becomes TRANSFER_PENDING under the destination's transfer id (idempotent).

        The requester must show what a practitioner of this cell would: the exact name this
        cell holds for the document (the destination sends the name it registered), plus
        evidence of presence or consent. What the requester can learn from the answer, by
        design: evidence is checked first (missing: EVIDENCE_REQUIRED; a scanned code that
        does not verify: EVIDENCE_INVALID), and neither answer depends on the document or
        the name. Then an unknown document, another name, a card of another resident and no
        open record all get the one answer ``no_matching_record`` (the code scanned is used
        up all the same), and only a full match opens the transfer. We refuse rather than
        answer a mismatch as if it were pending: a pending request with nothing behind it
        would wait on nobody, and the requester could tell them apart later anyway. So a
        request only tells (document, exact name, evidence) matched or not: with a card the
        resident is in front of the requester and nothing is learnt; with a consent-form
        reference (a claim we cannot check) every attempt, refused or not, is recorded with
        the reference and the requester in both cells' audit, and a match reveals nothing of
        the record until this cell's institution accepts."""
        caller, original = self._for_a_user()
        checks = Violations()
        transfer_id = checks.check(common.validate_request_id, transfer_id, "transfer_id") or ""
        if not transfer_id:
            checks.add("transfer_id", "is required", "TRANSFER_ID_REQUIRED")
        tenant_id = checks.check(
            common.parse_name, destination_tenant, "tenants", "destination_tenant"
        )
        region = checks.check(self._other_cell_region, destination_region, "destination_region")
        consent_doc = checks.check(domain.check_consent, *consent, clinical_day(self.clock()))
        reason = checks.check(common.validate_reason, reason) or ""
        if not document.number:
            checks.add("document", "name the resident's document", "DOCUMENT_REQUIRED")
        if not display_name.strip():
            checks.add("display_name", "name the resident as registered", "NAME_REQUIRED")
        proof = checks.check(check_evidence, *evidence)
        checks.raise_if_any()
        assert region is not None and tenant_id is not None
        if not is_within(region_path(region), region_path(caller.region_code)):
            raise PermissionDenied(
                "the destination lies outside the calling cell", reason="CROSS_CELL_CALLER"
            )
        if proof is None:
            raise evidence_required()
        with self.db.read() as conn:
            earlier = ArchivesRepository(conn).transfer(transfer_id)
        if earlier is not None:
            if earlier.peer_region != region:
                raise AlreadyExists("the transfer id is taken", reason="TRANSFER_ID_TAKEN")
            return earlier
        resident_id = self._requested_resident(document, display_name, proof)
        now = self.clock()
        with self._unit() as repo:
            record = repo.open_record_of(resident_id, for_update=True) if resident_id else None
            if record is None:
                # Kept (committed) before refusing: probing leaves a trace with the reference.
                self._audit(
                    repo, "record.transfer_open", f"recordTransfers/{transfer_id}",
                    self.cell_path, "NOT_FOUND", on_behalf_of=original.subject,
                    destination_region=region, **proof.recorded(),
                )  # fmt: skip
        if record is None:
            raise no_matching_record()
        with self._unit() as repo:
            record = repo.open_record_of(resident_id, for_update=True)
            if record is None:  # gone meanwhile (terminated, merged): the same answer
                raise no_matching_record()
            record.require_state(RecordState.ACTIVE, action="transfer")
            consent_doc = {**(consent_doc or {}), **proof.recorded()}
            transfer = Transfer(
                transfer_id=transfer_id, record_id=record.record_id,
                record_number=record.record_number, resident_id=record.resident_id,
                source_tenant_id=record.managing_tenant_id, source_scope=record.scope_path,
                destination_tenant_id=tenant_id, destination_region=region,
                destination_scope=tenant_scope(region, tenant_id), state=TransferState.PENDING,
                consent=consent_doc or {}, reason=reason, decline_reason="", moved_plans=0,
                create_time=now, decide_time=None, peer_region=region,
            )  # fmt: skip
            if not repo.add_transfer_once(transfer):
                raise Aborted("the transfer is being withdrawn: try again")
            repo.save(record.changed(now, state=RecordState.TRANSFER_PENDING), record.version)
            repo.record(
                record.record_id, "TRANSFER_REQUESTED", original.subject, now,
                transfer=transfer_id, destination=tenant_id, destination_region=region,
                via=caller.subject, consent_method=transfer.consent.get("method", ""),
                evidence=proof.kind,
            )  # fmt: skip
            self._audit(
                repo, "record.transfer_open", f"recordTransfers/{transfer_id}", record.scope_path,
                record=record.record_id, resident=record.resident_id, on_behalf_of=original.subject,
                destination_region=region, **proof.recorded(),
            )  # fmt: skip
            return transfer

    def _requested_resident(
        self,
        document: IdentityDocument,
        name: str,
        evidence: Evidence,
    ) -> str:
        """Source side: the id of this cell's resident the request names, or "" when the
        document, the name and the card do not all point at one resident. A scanned code is
        checked (and used up) first, so that its answer says nothing about the record."""
        token = self._other_cells().own_token()
        holder = ""
        if evidence.kind == HEALTH_CARD:
            scan = self.identity.verify_card(evidence.value, token)
            if scan.outcome != "VALID" or not scan.dynamic:
                log.info("cross-cell transfer: card code refused (%s)", scan.outcome)
                raise evidence_invalid(scan.outcome if scan.outcome != "VALID" else "STATIC")
            holder = scan.resident_id
        try:
            resident_id = self.identity.lookup(document, token=token, name=name)
        except (NotFound, InvalidArgument):
            return ""  # an unknown document and a name that cannot be this resident's alike
        if holder and holder != resident_id:
            return ""
        return resident_id

    def _hand_over(
        self, transfer: Transfer, bundle: dict[str, Any], request_id: str, *, as_cell: bool = False
    ) -> Transfer:
        """Source side, after HANDING_OVER is committed: the idempotent import at the
        destination, then (only once it answered) the record here becomes a TRANSFERRED trace.
        A crash anywhere leaves HANDING_OVER, and a retry of the confirm ends here again."""
        principal = current_principal()
        imported = self._other_cells().import_record(
            transfer.peer_region, transfer.transfer_id, bundle, as_cell=as_cell
        )
        now = self.clock()
        with self._unit() as repo:
            current = repo.transfer(transfer.transfer_id, for_update=True)
            assert current is not None
            if current.state is TransferState.COMPLETED:
                return current
            record = repo.get(transfer.record_id, for_update=True)
            assert record is not None
            self._move_at_locator(transfer, imported.record_id)
            repo.save(record.changed(now, state=RecordState.TRANSFERRED), record.version)
            repo.set_plans_state(record.record_id, "closed")
            repo.hand_over_tasks(record.record_id)
            repo.end_active_contract(record.record_id, "transferred to another cell")
            done = current.completed(imported.moved_plans, now)
            repo.decide_transfer(done, request_id)
            repo.record(
                record.record_id, "TRANSFERRED", principal.subject, now,
                transfer=transfer.transfer_id, destination=transfer.destination_tenant_id,
                destination_region=transfer.peer_region, plans=done.moved_plans,
            )  # fmt: skip
            self._audit(
                repo, "record.transfer_confirm", f"recordTransfers/{transfer.transfer_id}",
                transfer.source_scope, record=record.record_id, resident=record.resident_id,
                destination_region=transfer.peer_region,
            )  # fmt: skip
            return done

    def _move_at_locator(self, transfer: Transfer, destination_record_id: str) -> None:
        """In the step that makes the record TRANSFERRED here (before it commits): the
        platform's locator now places the person's open record in the destination cell. The
        locator being unreachable fails the step (UNAVAILABLE): the transfer stays HANDING_OVER
        and a retry of the confirm ends here again (the import is idempotent)."""
        if self.locator is not None and self.locator.enabled:
            self.locator.move(
                transfer.record_id, transfer.destination_region, destination_record_id
            )

    def _start_hand_over(
        self, repo: ArchivesRepository, transfer: Transfer, principal: Principal, now: datetime
    ) -> tuple[Transfer, dict[str, Any]]:
        """Cross-cell, source side: HANDING_OVER (once) and the bundle to send."""
        if transfer.state is not TransferState.HANDING_OVER:
            domain.require_transfer_move(transfer.state, TransferState.HANDING_OVER)
            transfer = transfer.handing_over(now)
            repo.decide_transfer(transfer, "")
            repo.record(
                transfer.record_id, "HANDOVER_STARTED", principal.subject, now,
                transfer=transfer.transfer_id,
            )  # fmt: skip
        bundle = repo.export_bundle(transfer.record_id)
        if repo.names is not None:  # the destination's identity knows no institution of ours:
            # the keeper's name travels with its history, for the lifetime timeline there.
            bundle["keeper_name"] = repo.names(bundle["record"]["managing_tenant_id"])
        return transfer, bundle
