"""Child transfers across cells (DOMAIN §3.3, §3.4), modelled on archives' record migration:
both cells keep a row under the transfer id the source chose, each naming the other side's
region (``peer_region``), and every call between them goes through the gateway with the
cell's own account on behalf of the practitioner who acts.

The source cell is the one authority on what happens to a pending transfer: the target's
acceptance takes the record out of it (PENDING → HANDING_OVER, committed with the export), a
withdrawal or a decline closes it there first; the target's row only follows. So:

1. request (source): PENDING committed here, then OpenChildTransfer there (the child must be
   registered in the target cell under the same document and name; the target's kind and name
   come back). An answered refusal withdraws it here; no answer leaves it PENDING for a retry
   with the same request id (the open is idempotent), or without one it is withdrawn and the
   target told so (a withdrawal of a transfer never seen there is remembered, so a late open
   opens nothing).
2. accept (target): ExportChildRecord at the source (HANDING_OVER, the record frozen, its bundle
   back; a retry gets the same bundle), then the import here in one transaction with the
   acceptance (a retry finds it ACCEPTED and imports nothing), then CompleteChildTransfer at
   the source (ACCEPTED: its trace; the record leaves the source's reach). A crash anywhere
   leaves a state the next accept resumes from; nothing is lost or doubled.
3. decline (target): CloseChildTransfer at the source, then DECLINED here.
4. withdraw (source): WITHDRAWN here, then RetractChildTransfer there (best effort: a target
   that did not hear of it learns at its next accept or decline, which the source refuses)."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date
from typing import Any

from rhip.kit.authn import Principal
from rhip.kit.crosscell import require_peer_cell
from rhip.kit.errors import (
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
from rhip.kit.idempotency import claim
from rhip.kit.ids import new_id
from rhip.kit.requests import parse_resource_name
from rhip.kit.tenancy import catalog, is_within, region_path, tenant_scope
from rhip.kit.timestamps import clinical_day
from rhip.mch.child_transfers import domain
from rhip.mch.child_transfers.bundle import ChildBundleStore, check_bundle
from rhip.mch.child_transfers.domain import (
    ChildDocument,
    ChildTransfer,
    TransferKind,
    TransferState,
)
from rhip.mch.child_transfers.peers import OtherCells, bundle_bytes, document_to_pb
from rhip.mch.child_transfers.store import ChildTransferStore, TransferOpen
from rhip.mch.children.store import ChildStore
from rhip.mch.children.usecases import ChildUseCases
from rhip.mch.clients import ResidentFacts
from rhip.mch.indicators.counts import counting
from rhip.mch.pregnancies.usecases import parse_day
from sqlalchemy import Connection

log = logging.getLogger(__name__)

# Errors the other cell answered with (its transaction rolled back: it opened nothing); any
# other failure (unavailable, deadline exceeded, internal) leaves it unknown.
ANSWERED = (
    InvalidArgument, NotFound, AlreadyExists, PermissionDenied, FailedPrecondition,
    Unauthenticated,
)  # fmt: skip
UUID_LENGTH = 36


def region_of(scope: str) -> str:
    """The region code of a tenant's scope (``86/32/3203/320311/t-{id}`` → ``320311``,
    ``86/32/3203/t-{id}`` → ``320300``)."""
    return scope.split("/")[-2].ljust(6, "0")


def pending_error(open_: ChildTransfer | None) -> FailedPrecondition:
    """The child already has an open transfer (naming it when it is known)."""
    return FailedPrecondition(
        "the child already has an open transfer",
        reason="TRANSFER_PENDING",
        metadata={
            "transfer": f"childTransfers/{open_.transfer_id}",
            "target_tenant": f"tenants/{open_.target_tenant_id}",
        }
        if open_
        else {},
    )


def _state_of(error: RhipError) -> TransferState | None:
    """The source's state in a TRANSFER_STATE refusal (withdrawn or declined there first)."""
    if error.reason != "TRANSFER_STATE":
        return None
    name = (getattr(error, "metadata", None) or {}).get("state", "")
    return TransferState[name] if name in TransferState.__members__ else None


class CrossCellChildTransfers(ChildUseCases):
    other_cells: OtherCells | None = None  # set by the composition root (server.py)

    @property
    def issuer(self) -> str:
        """This cell's token issuer (rhip.kit.config.Settings.issuer): ``86/32`` → 320000."""
        return f"rhip-identity/{self.cell_path.rsplit('/', 1)[-1].ljust(6, '0')}"

    def _cells(self) -> OtherCells:
        if self.other_cells is None or not self.other_cells.configured:
            raise FailedPrecondition(
                "this cell is not set up for cross-cell transfers", reason="CROSS_CELL_DISABLED"
            )
        return self.other_cells

    def is_other_cell(self, region: str) -> bool:
        return bool(region) and not is_within(region_path(region), self.cell_path)

    def _here(self, scope: str) -> bool:
        return is_within(scope, self.cell_path)

    # == source side ==============================================================================
    def _request_across(
        self, principal: Principal, name: str, target_id: str, region: str, reference: str,
        consented: date, why: str, key: str, document: ChildDocument,
    ) -> ChildTransfer:  # fmt: skip
        """RequestChildTransfer to an institution of another cell (module docstring, 1)."""
        cells = self._cells()
        if key:
            with self.db.read() as tx:
                earlier = ChildTransferStore(tx).by_request(key)
            if earlier is not None:
                self._require(principal, earlier.source_scope, "RequestChildTransfer")
                if earlier.state is TransferState.PENDING:  # maybe never heard there: again
                    self._require_own_document(document, earlier.resident_id)
                    return self._open_there(earlier, cells, document, retried=True)
                return earlier
        with self.db.read() as tx:
            record = self._load_child(tx, name, "RequestChildTransfer")
        today = clinical_day(self.clock())
        domain.require_under_seven(record.birth_date, today)
        child = self.identity.resident(f"residents/{record.resident_id}")
        if child.state == "DECEASED":
            raise FailedPrecondition("the child is deceased", reason="RESIDENT_DECEASED")
        self._require_own_document(document, record.resident_id)
        now = self.clock()
        with self._unit() as tx:
            record = self._load_child(tx, name, "RequestChildTransfer", lock=True)
            store = ChildTransferStore(tx)
            if claim(tx, key) and (earlier := store.by_request(key)) is not None:
                return earlier  # the same request, carried out meanwhile
            transfer = ChildTransfer(
                new_id(), record.record_id, record.resident_id, record.tenant_id,
                record.scope_path, target_id, tenant_scope(region, target_id),
                TransferKind.TRANSFER, TransferState.PENDING, reference, consented, why, "", 0,
                now, None, peer_region=region,
            )  # fmt: skip
            try:
                store.add(transfer, key)
            except TransferOpen:
                raise pending_error(store.open_of(record.record_id)) from None
            self._audit(
                tx, "child.transfer_request", f"childTransfers/{transfer.transfer_id}",
                record.scope_path, record=record.record_id, resident=record.resident_id,
                to=target_id, target_region=region, by=principal.subject,
            )  # fmt: skip
        return self._open_there(
            transfer, cells, document, retried=bool(key), name=child.display_name
        )

    def _require_own_document(self, document: ChildDocument, resident_id: str) -> None:
        """The document the practitioner typed is this child's (as identity knows it)."""
        try:
            found = self.identity.lookup(document_to_pb(document)).resident_id
        except (NotFound, InvalidArgument):
            found = ""
        if found != resident_id:
            raise invalid("child_document", "is not a document of this child", "DOCUMENT_MISMATCH")

    def _open_there(
        self, t: ChildTransfer, cells: OtherCells, document: ChildDocument, *, retried: bool,
        name: str = "",
    ) -> ChildTransfer:  # fmt: skip
        if not name:
            name = self.identity.resident(f"residents/{t.resident_id}").display_name
        try:
            answer = cells.open(t, document, name, region_of(t.source_scope))
        except RhipError as error:
            if isinstance(error, ANSWERED):
                self._close_here(t, TransferState.WITHDRAWN, f"refused there: {error.reason}")
            elif not retried:
                self._close_here(t, TransferState.WITHDRAWN, "the target cell did not answer")
                self._retract_there(t, "TARGET_UNREACHABLE")
            raise
        if answer.state is TransferState.WITHDRAWN:  # withdrawn before it arrived there
            return self._close_here(t, TransferState.WITHDRAWN, answer.withdraw_reason)
        with self._unit() as tx:
            store = ChildTransferStore(tx)
            current = store.get(t.transfer_id, lock=True)
            assert current is not None
            if current.state is not TransferState.PENDING:
                return current
            answered = replace(current, kind=answer.kind, target_name=answer.target_name)
            store.answered(answered)
            return answered

    def _close_here(self, t: ChildTransfer, state: TransferState, reason: str) -> ChildTransfer:
        """This cell's row follows what happened (or was refused) on the other side."""
        now = self.clock()
        with self._unit() as tx:
            store = ChildTransferStore(tx)
            current = store.get(t.transfer_id, lock=True)
            assert current is not None
            if current.state is not TransferState.PENDING:
                return current
            reason = reason[: domain.MAX_REASON]
            done = (
                current.declined(reason, now)
                if state is TransferState.DECLINED
                else current.withdrawn(reason, now)
            )
            store.decide(done)
            self._audit(
                tx, f"child.transfer_{state.value}", f"childTransfers/{t.transfer_id}",
                t.source_scope if self._here(t.source_scope) else t.target_scope,
                peer_region=t.peer_region,
            )  # fmt: skip
            return done

    def _retract_there(self, t: ChildTransfer, reason: str) -> None:
        try:
            self._cells().retract(t, reason)
        except RhipError as error:
            log.info("child transfer %s not retracted there: %s", t.transfer_id, error.reason)

    # -- called by the target cell (MchPeerService) ------------------------------------------------
    def _outbound(self, tx: Connection, caller: Principal, transfer_id: str) -> ChildTransfer:
        """Source side: the transfer ``transfer_id`` from here into the caller's cell."""
        transfer_id = self._transfer_id(transfer_id)
        t = ChildTransferStore(tx).get(transfer_id, lock=True)
        if (
            t is None
            or not t.peer_region
            or not self._here(t.source_scope)
            or not is_within(region_path(t.peer_region), region_path(caller.region_code))
        ):
            raise NotFound(
                f"childTransfers/{transfer_id} does not exist", reason="TRANSFER_NOT_FOUND"
            )
        return t

    @staticmethod
    def _transfer_id(value: str) -> str:
        value = value.strip()
        if len(value) != UUID_LENGTH:
            raise invalid("transfer_id", "must be the transfer's id (UUID)", "TRANSFER_ID")
        return value

    def export_child_record(self, transfer_id: str) -> bytes:
        """Source side, the target accepted: the transfer becomes HANDING_OVER (the record is
        frozen here) in the transaction that reads the bundle; a retry reads it again."""
        caller, original = require_peer_cell(self.issuer)
        with self._unit() as tx:
            t = self._outbound(tx, caller, transfer_id)
            if t.state is TransferState.PENDING:
                ChildTransferStore(tx).hand_over(t.handing_over())
            elif t.state not in (TransferState.HANDING_OVER, TransferState.ACCEPTED):
                t.require_pending()
            bundle = ChildBundleStore(tx).export(t.record_id)
            self._audit(
                tx, "child.transfer_export", f"childTransfers/{t.transfer_id}", t.source_scope,
                record=t.record_id, resident=t.resident_id, on_behalf_of=original.subject,
                peer_region=t.peer_region,
            )  # fmt: skip
            return bundle_bytes(bundle)

    def complete_child_transfer(self, transfer_id: str) -> ChildTransfer:
        """Source side, the record arrived at the target: ACCEPTED (the trace here) and the
        record out of this cell's reach (its scope is the target's, outside the cell; its
        counts leave with it)."""
        caller, original = require_peer_cell(self.issuer)
        now = self.clock()
        with self._unit() as tx:
            t = self._outbound(tx, caller, transfer_id)
            if t.state is TransferState.ACCEPTED:
                return t
            if t.state is not TransferState.HANDING_OVER:
                t.require_pending()  # PENDING: nothing was exported yet
                raise FailedPrecondition(
                    "the record was not handed over", reason="TRANSFER_STATE",
                    metadata={"state": t.state.name},
                )  # fmt: skip
            children = ChildStore(tx)
            with counting(tx, children=[t.record_id]):
                children.move(t.record_id, t.target_tenant_id, t.target_scope)
            if feed := self._feed(tx):  # out of reach on this cell's timeline too
                feed.child_moved(t.record_id, t.resident_id, t.target_scope)
            done = t.accepted(len(children.visits(t.record_id)), now)
            ChildTransferStore(tx).decide(done)
            self._audit(
                tx, "child.transfer_complete", f"childTransfers/{t.transfer_id}", t.source_scope,
                record=t.record_id, resident=t.resident_id, on_behalf_of=original.subject,
                peer_region=t.peer_region, visits=done.moved_visits,
            )  # fmt: skip
            return done

    def close_child_transfer(self, transfer_id: str, reason: str) -> ChildTransfer:
        """Source side, the target declined: DECLINED here, the child stays."""
        caller, original = require_peer_cell(self.issuer)
        checks = Violations()
        why = domain.check_text(
            reason, "decline_reason", domain.MAX_REASON, "REASON_REQUIRED", checks
        )
        checks.raise_if_any()
        now = self.clock()
        with self._unit() as tx:
            t = self._outbound(tx, caller, transfer_id)
            if t.state is TransferState.DECLINED:
                return t
            t.require_pending()
            done = t.declined(why, now)
            ChildTransferStore(tx).decide(done)
            self._audit(
                tx, "child.transfer_decline", f"childTransfers/{t.transfer_id}", t.source_scope,
                record=t.record_id, resident=t.resident_id, on_behalf_of=original.subject,
                peer_region=t.peer_region,
            )  # fmt: skip
            return done

    # == target side ==============================================================================
    def open_child_transfer(
        self, transfer_id: str, record: str, document: ChildDocument, display_name: str,
        source_tenant: str, source_region: str, target_tenant: str, consent_reference: str,
        consent_date: str, reason: str,
    ) -> ChildTransfer:  # fmt: skip
        """Target side, called by the source cell: the institution of this cell is asked to
        take the child over (module docstring, 1). Idempotent by transfer id."""
        caller, original = require_peer_cell(self.issuer)
        today = clinical_day(self.clock())
        checks = Violations()
        tid = checks.check(self._transfer_id, transfer_id) or ""
        record_id = checks.check(parse_resource_name, record, "childRecords", "child_record")
        source_id = checks.check(parse_resource_name, source_tenant, "tenants", "source_tenant")
        target_id = checks.check(parse_resource_name, target_tenant, "tenants", "target_tenant")
        region = checks.check(self._other_region, source_region, "source_region")
        ref = domain.check_text(
            consent_reference, "guardian_consent_reference", domain.MAX_CONSENT_REFERENCE,
            "CONSENT_REQUIRED", checks,
        )  # fmt: skip
        consented = checks.check(parse_day, consent_date, "consent_date", today)
        why = domain.check_text(reason, "reason", domain.MAX_REASON, "REASON_REQUIRED", checks)
        if not document.number:
            checks.add("child_document", "name the child's document", "DOCUMENT_REQUIRED")
        if not display_name.strip():
            checks.add("child_display_name", "name the child as registered", "NAME_REQUIRED")
        checks.raise_if_any()
        assert region and source_id and target_id and record_id and consented
        if not is_within(region_path(region), region_path(caller.region_code)):
            raise PermissionDenied(
                "the source lies outside the calling cell", reason="CROSS_CELL_CALLER"
            )
        with self.db.read() as tx:
            earlier = ChildTransferStore(tx).get(tid)
        if earlier is not None:
            if earlier.peer_region != region or self._here(earlier.source_scope):
                raise AlreadyExists("the transfer id is taken", reason="TRANSFER_ID_TAKEN")
            return earlier
        receiver = self._target(target_id, "")
        child = self._registered_here(document, display_name)
        resident_id = child.resident_id
        if child.state == "DECEASED":
            raise FailedPrecondition("the child is deceased", reason="RESIDENT_DECEASED")
        if child.birth_date is None:
            raise FailedPrecondition(
                "child health management covers children under 7", reason="CHILD_TOO_OLD"
            )
        domain.require_under_seven(child.birth_date, today)
        kind = TransferKind.TRANSFER
        if domain.SCHOOL_QUALIFICATION in self.identity.qualifications(target_id, as_cell=True):
            domain.require_school_entry_age(child.birth_date, today)
            kind = TransferKind.SCHOOL_HANDOVER
        now = self.clock()
        with self._unit() as tx:
            existing = ChildStore(tx).of_child(resident_id)
            if existing is not None:
                raise AlreadyExists(
                    "the child already has a child health record in this cell",
                    reason="CHILD_RECORD_EXISTS",
                )
            t = ChildTransfer(
                tid, record_id, resident_id, source_id, tenant_scope(region, source_id),
                target_id, tenant_scope(receiver.region_code, target_id), kind,
                TransferState.PENDING, ref, consented, why, "", 0, now, None,
                target_name=receiver.display_name, peer_region=region,
            )  # fmt: skip
            store = ChildTransferStore(tx)
            try:
                store.add(t, "")
            except TransferOpen:  # the same id opened meanwhile (a racing retry), or the
                raise AlreadyExists(  # child's open transfer from elsewhere
                    "the child already has an open transfer here", reason="TRANSFER_PENDING"
                ) from None
            self._audit(
                tx, "child.transfer_open", f"childTransfers/{tid}", t.target_scope,
                resident=resident_id, on_behalf_of=original.subject, source_region=region,
                kind=kind.value,
            )  # fmt: skip
            return t

    def _other_region(self, code: str, field: str) -> str:
        region = catalog().require(code, field)
        if is_within(region.path, self.cell_path):
            raise invalid(field, "is in this cell", "REGION_LOCAL")
        return code

    def _registered_here(self, document: ChildDocument, name: str) -> ResidentFacts:
        """The child's resident in this cell: the one holding the document under the name the
        source registered (both must match, as archives asks of a record's resident)."""
        try:
            return self.identity.lookup(document_to_pb(document), name, as_cell=True)
        except (NotFound, InvalidArgument):
            raise FailedPrecondition(
                "the child is not registered in the target cell under this document and name: "
                "register the child there first",
                reason="CHILD_NOT_REGISTERED",
            ) from None

    def retract_child_transfer(
        self, transfer_id: str, target_tenant: str, reason: str
    ) -> ChildTransfer:
        """Target side, the source withdrew: PENDING here becomes WITHDRAWN; one never seen
        here is remembered as WITHDRAWN, so that an open still on its way opens nothing."""
        caller, original = require_peer_cell(self.issuer)
        checks = Violations()
        tid = checks.check(self._transfer_id, transfer_id) or ""
        target_id = checks.check(parse_resource_name, target_tenant, "tenants", "target_tenant")
        why = domain.check_text(reason, "reason", domain.MAX_REASON, "REASON_REQUIRED", checks)
        checks.raise_if_any()
        assert target_id is not None
        region = caller.region_code
        now = self.clock()
        with self._unit() as tx:
            store = ChildTransferStore(tx)
            t = store.get(tid, lock=True)
            if t is None:
                tombstone = ChildTransfer(
                    tid, "", "", "", "", target_id, self.cell_path, TransferKind.TRANSFER,
                    TransferState.WITHDRAWN, "", clinical_day(now), "", "", 0, now, now,
                    withdraw_reason=why, peer_region=region,
                )  # fmt: skip
                store.add(tombstone, "")
                return tombstone
            if (
                not t.peer_region
                or self._here(t.source_scope)
                or not is_within(region_path(t.peer_region), region_path(caller.region_code))
            ):
                raise NotFound(f"childTransfers/{tid} does not exist", reason="TRANSFER_NOT_FOUND")
            if t.state in (TransferState.WITHDRAWN, TransferState.DECLINED):
                return t
            t.require_pending()
            done = t.withdrawn(why, now)
            store.decide(done)
            self._audit(
                tx, "child.transfer_withdraw", f"childTransfers/{tid}", t.target_scope,
                resident=t.resident_id, on_behalf_of=original.subject,
            )  # fmt: skip
            return done

    def _accept_across(self, principal: Principal, t: ChildTransfer) -> ChildTransfer:
        """AcceptChildTransfer of a transfer from another cell (module docstring, 2)."""
        cells = self._cells()
        if t.state is TransferState.ACCEPTED:  # a retry: the source may not have heard yet
            cells.complete(t, t.moved_visits)
            return t
        t.require_pending()
        try:
            bundle = cells.export(t)
        except RhipError as error:
            state = _state_of(error)
            if state in (TransferState.WITHDRAWN, TransferState.DECLINED):
                self._close_here(t, state, "closed at the source")
            raise
        done = self._import(principal, t, bundle)
        cells.complete(done, done.moved_visits)
        return done

    def _import(self, principal: Principal, t: ChildTransfer, bundle: Any) -> ChildTransfer:
        """The record arrives once: the import and the acceptance in one transaction."""
        check_bundle(bundle, t.record_id)
        name = self._institution(t.target_tenant_id)  # the timeline's, before the transaction
        now = self.clock()
        with self._unit() as tx:
            current = ChildTransferStore(tx).get(t.transfer_id, lock=True)
            assert current is not None
            if current.state is TransferState.ACCEPTED:
                return current
            current.require_pending()
            with counting(tx, children=[t.record_id]):
                record, visits = ChildBundleStore(tx).import_record(
                    bundle, t.resident_id, t.target_tenant_id, t.target_scope
                )
            domain.require_under_seven(record.birth_date, clinical_day(now))
            if t.kind is TransferKind.SCHOOL_HANDOVER:
                domain.require_school_entry_age(record.birth_date, clinical_day(now))
            done = current.accepted(visits, now)
            ChildTransferStore(tx).decide(done)
            if feed := self._feed(tx):  # what it brought, on this cell's timeline of the child
                feed.child_arrived(
                    record, ChildStore(tx).visits(record.record_id), t.transfer_id, name
                )
            self._audit(
                tx, "child.transfer_accept", f"childTransfers/{t.transfer_id}", t.target_scope,
                record=t.record_id, resident=t.resident_id, source_region=t.peer_region,
                visits=visits, by=principal.subject,
            )  # fmt: skip
            return done

    def _decline_across(self, t: ChildTransfer, why: str) -> ChildTransfer:
        """DeclineChildTransfer of a transfer from another cell (module docstring, 3)."""
        try:
            self._cells().close(t, why)
        except RhipError as error:
            state = _state_of(error)
            if state is TransferState.WITHDRAWN:
                self._close_here(t, state, "withdrawn at the source")
            raise
        return self._close_here(t, TransferState.DECLINED, why)
