"""Record transfers (档随人走): between institutions of one cell (request with consent, then
confirm or decline), across cells through the gateway (open at the source, HANDING_OVER, the
idempotent import at the destination, then a TRANSFERRED trace at the source), and escalation
to the county/district administrators of both sides."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from rhip.api.identity.v1 import resident_pb2
from rhip.archives import domain
from rhip.archives.access import UseCaseBase
from rhip.archives.clients import OtherCells
from rhip.archives.domain import RecordState, Side, TransferState
from rhip.archives.roles import ARCHIVES
from rhip.archives.store import (
    BUNDLE_FORMAT,
    BUNDLE_FORMATS,
    ArchivesRepository,
    RecordTaken,
    Transfer,
)
from rhip.archives.transfer_evidence import (
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
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    RhipError,
    Unauthenticated,
    Violations,
    invalid,
)
from rhip.kit.idempotency import check_reuse, claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page
from rhip.kit.requests import parse_json_document
from rhip.kit.tenancy import catalog, is_within, region_path, tenant_scope

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


class TransferUseCases(UseCaseBase):
    # -- transfers between institutions of the cell --------------------------------------------
    def request_transfer(
        self,
        resident_name: str,
        consent: tuple[str, str, str],
        reason: str,
        request_id: str,
        source_region: str = "",
        document: resident_pb2.IdentityDocument | None = None,
        evidence: tuple[str, str] = ("", ""),
    ) -> Transfer:
        """``evidence``: the oneof member sent (``health_card_qr``, ``consent_form_reference``
        or "") and its text. Required across cells only: within the cell, identity already
        made the requester prove presence before it lets them see the resident (the exact
        name at registration, or a card scan, enrols the resident at their institution), so
        in-cell requests keep working as before; evidence sent with one is checked for form
        and otherwise not used."""
        principal = current_principal()
        today = self.clock().date()
        checks = Violations()
        checks.check(domain.parse_name, resident_name, "residents", "resident")
        consent_doc = checks.check(domain.check_consent, *consent, today)
        reason = checks.check(domain.validate_reason, reason) or ""
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
        document: resident_pb2.IdentityDocument,
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
        answered = replace(
            transfer,
            record_id=opened.record_id,
            record_number=opened.record_number,
            source_tenant_id=opened.source_tenant_id,
        )
        with self._unit() as repo:
            current = repo.transfer(transfer.transfer_id, for_update=True)
            assert current is not None
            if current.state is not TransferState.PENDING:
                return current  # abandoned meanwhile: the source withdrew it as well
            repo.open_transfer_source(answered)
        return answered

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
        return replace(transfer, record_id="", record_number="", source_tenant_id="")

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
            done = replace(
                transfer, state=TransferState.ABANDONED, abandon_reason=reason[:100],
                decide_time=now,
            )  # fmt: skip
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
            done = replace(
                transfer, state=TransferState.DECLINED, decline_reason=reason, decide_time=now
            )
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

    def withdraw_transfer(
        self, transfer_id: str, destination_tenant: str, destination_region: str, reason: str
    ) -> Transfer:
        """Source side, called by the destination cell (for itself, or for the requesting
        user): a PENDING transfer here is ABANDONED and its record ACTIVE again; one never
        seen here is remembered as ABANDONED, so that an open still on its way opens nothing.
        A transfer that moved on (handing over, escalated, completed) cannot be withdrawn."""
        caller, original = require_peer_cell(self.issuer)
        checks = Violations()
        transfer_id = checks.check(domain.validate_request_id, transfer_id, "transfer_id") or ""
        if not transfer_id:
            checks.add("transfer_id", "is required", "TRANSFER_ID_REQUIRED")
        tenant_id = checks.check(
            domain.parse_name, destination_tenant, "tenants", "destination_tenant"
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
            done = replace(
                transfer, state=TransferState.ABANDONED, abandon_reason=reason, decide_time=now
            )
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
        document: resident_pb2.IdentityDocument,
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
        transfer_id = checks.check(domain.validate_request_id, transfer_id, "transfer_id") or ""
        if not transfer_id:
            checks.add("transfer_id", "is required", "TRANSFER_ID_REQUIRED")
        tenant_id = checks.check(
            domain.parse_name, destination_tenant, "tenants", "destination_tenant"
        )
        region = checks.check(self._other_cell_region, destination_region, "destination_region")
        consent_doc = checks.check(domain.check_consent, *consent, self.clock().date())
        reason = checks.check(domain.validate_reason, reason) or ""
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
        document: resident_pb2.IdentityDocument,
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
        transfer_id = domain.validate_request_id(transfer_id, "transfer_id")
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
            number = _bundle_record_number(bundle)
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
            plans = repo.import_bundle(bundle, record)
            # The record came back to a cell that keeps the trace of its earlier move: the
            # trace keeps its id, the record here has a new one (its number is the same).
            trace = bundle["record"]["id"] if bundle["record"]["id"] != record.record_id else ""
            done = replace(
                transfer, state=TransferState.COMPLETED, moved_plans=plans, decide_time=now,
                record_id=record.record_id, record_number=record.record_number,
            )  # fmt: skip
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
        transfer_id = domain.validate_request_id(transfer_id, "transfer_id")
        reason = domain.validate_reason(reason)
        now = self.clock()
        with self._unit() as repo:
            transfer = self._inbound(repo, caller, transfer_id)
            if transfer.state is TransferState.DECLINED:
                return transfer
            domain.require_transfer_move(transfer.state, TransferState.DECLINED)
            done = replace(
                transfer, state=TransferState.DECLINED, decline_reason=reason, decide_time=now
            )
            repo.decide_transfer(done, "")
            self._audit(
                repo, "record.transfer_closed", f"recordTransfers/{transfer_id}",
                transfer.destination_scope, on_behalf_of=original.subject,
            )  # fmt: skip
            return done

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
            repo.save(record.changed(now, state=RecordState.TRANSFERRED), record.version)
            repo.set_plans_state(record.record_id, "closed")
            repo.hand_over_tasks(record.record_id)
            repo.end_active_contract(record.record_id, "transferred to another cell")
            done = replace(
                current, state=TransferState.COMPLETED, moved_plans=imported.moved_plans,
                decide_time=now,
            )  # fmt: skip
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

    def _load_transfer(
        self, repo: ArchivesRepository, name: str, method: str, *, lock: bool = False
    ) -> Transfer:
        principal = current_principal()
        transfer_id = domain.parse_name(name, "recordTransfers")
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

    def _start_hand_over(
        self, repo: ArchivesRepository, transfer: Transfer, principal: Principal, now: datetime
    ) -> tuple[Transfer, dict[str, Any]]:
        """Cross-cell, source side: HANDING_OVER (once) and the bundle to send."""
        if transfer.state is not TransferState.HANDING_OVER:
            domain.require_transfer_move(transfer.state, TransferState.HANDING_OVER)
            transfer = replace(transfer, state=TransferState.HANDING_OVER, decide_time=now)
            repo.decide_transfer(transfer, "")
            repo.record(
                transfer.record_id, "HANDOVER_STARTED", principal.subject, now,
                transfer=transfer.transfer_id,
            )  # fmt: skip
        return transfer, repo.export_bundle(transfer.record_id)

    def _move_within(
        self,
        repo: ArchivesRepository,
        transfer: Transfer,
        request_id: str,
        principal: Principal,
        now: datetime,
    ) -> Transfer:
        """Within the cell: the record, its open plans and scope move to the destination."""
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
        # the old institution's team no longer manages it
        repo.end_active_contract(record.record_id, "transferred to another institution")
        plans = repo.move_scope(moved)
        done = replace(transfer, state=TransferState.COMPLETED, moved_plans=plans, decide_time=now)
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
        reason = domain.validate_reason(reason)
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
        done = replace(
            transfer, state=TransferState.DECLINED, decline_reason=reason, decide_time=now
        )
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

    # -- escalation to the county/district administrators of both sides ---------------------
    def _local_sides(self, transfer: Transfer) -> list[Side]:
        """The sides of ``transfer`` kept in this cell: both within the cell, else one."""
        if not transfer.peer_region:
            return [Side.SOURCE, Side.DESTINATION]
        return [Side.SOURCE] if self._source_here(transfer) else [Side.DESTINATION]

    def _source_here(self, transfer: Transfer) -> bool:
        return is_within(transfer.source_scope, self.cell_path)

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
        escalation: dict[str, Any] = {
            "by": side.value, "reason": reason, "time": now.isoformat(), "approvals": {},
            "close_reason": "", "closed_by": "",
        }  # fmt: skip
        done = replace(transfer, state=TransferState.ESCALATED, escalation=escalation)
        repo.decide_transfer(done, "")
        self._audit(
            repo, "record.transfer_escalate", f"recordTransfers/{transfer.transfer_id}",
            self._institution_scope(transfer, side), side=side.value, by=subject,
        )  # fmt: skip
        return done

    def _approve(
        self, repo: ArchivesRepository, transfer: Transfer, sides: list[Side], subject: str
    ) -> Transfer:
        approvals = dict(transfer.escalation.get("approvals", {}))
        new = [side for side in sides if not approvals.get(side.value)]
        if not new:
            return transfer  # approved before: idempotent
        for side in new:
            approvals[side.value] = subject
        escalation = {**transfer.escalation, "approvals": approvals, "last_approval": new[-1].value}
        done = replace(transfer, escalation=escalation)
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
        escalation = {**transfer.escalation, "close_reason": reason, "closed_by": side.value}
        done = replace(transfer, state=TransferState.CLOSED, escalation=escalation, decide_time=now)
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
        reason = domain.validate_reason(reason)
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
        reason = domain.validate_reason(reason)
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
        transfer_id = checks.check(domain.validate_request_id, transfer_id, "transfer_id") or ""
        if not transfer_id:
            checks.add("transfer_id", "is required", "TRANSFER_ID_REQUIRED")
        if decision not in ("escalate", "approve", "reject"):
            checks.add("decision", "must be ESCALATE, APPROVE or REJECT", "DECISION_REQUIRED")
        if side_name not in ("source", "destination"):
            checks.add("side", "must be SOURCE or DESTINATION", "SIDE_REQUIRED")
        if decision in ("escalate", "reject"):
            reason = checks.check(domain.validate_reason, reason) or ""
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
        tenant_id = domain.parse_name(parent, "tenants", "parent")
        self._tenant_parent(principal, tenant_id, "ListRecordTransfers")
        scopes = self._scopes(principal, "ListRecordTransfers")
        with self._unit(durable=False) as repo:
            rows = repo.transfers(tenant_id, scopes, page.after, page.size + 1)
            chunk = rows[: page.size]
            self._audit(repo, "record.transfers", parent, self.cell_path, hits=len(chunk))
        return chunk, page.next_token(
            chunk[-1].transfer_id if chunk else None, len(rows) > page.size
        )


def _bundle_record_number(bundle: dict[str, Any]) -> str:
    head = bundle.get("record")
    number = head.get("record_number") if isinstance(head, dict) else None
    if not isinstance(number, str):
        raise invalid("bundle", f"must be a {BUNDLE_FORMAT} document", "BUNDLE_INVALID")
    return number
