"""Child transfer use cases (DOMAIN §3.3, §3.4): the managing institution asks another
institution of the cell to take a child over, with the guardian's consent; only the target
accepts or declines; on acceptance the one child health record — its schedule, visits and
vision history with it — changes hands (``hand_over``), the source keeps the transfer as its
trace and can no longer write; while it is pending the source may withdraw it (with a reason).
A target holding the school-health qualification makes it a
school handover, allowed at school entry (5½–7 years) only. A target in another cell (the
request names its region and the child's document) goes through the gateway: cross_cell.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rhip.kit.authn import Principal, current_principal
from rhip.kit.errors import FailedPrecondition, PermissionDenied, Violations, invalid
from rhip.kit.idempotency import check_reuse, claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page
from rhip.kit.requests import parse_resource_name
from rhip.kit.tenancy import is_region_code, tenant_scope
from rhip.kit.timestamps import clinical_day
from rhip.mch.child_transfers import domain
from rhip.mch.child_transfers.cross_cell import CrossCellChildTransfers, pending_error
from rhip.mch.child_transfers.domain import (
    ChildDocument,
    ChildTransfer,
    TransferKind,
    TransferState,
)
from rhip.mch.child_transfers.store import ChildTransferStore, TransferOpen
from rhip.mch.children.domain import ChildRecord, ChildVisit
from rhip.mch.children.store import ChildStore
from rhip.mch.indicators.counts import counting
from rhip.mch.pregnancies.usecases import parse_day
from rhip.mch.roles import MCH
from sqlalchemy import Connection

VISION_SUFFIX = "/visionRecord"


@dataclass(frozen=True)
class VisionRecord:
    record: ChildRecord
    entries: list[ChildVisit]  # visits with eye items or acuity, oldest first
    transfers: list[str]  # accepted transfer ids, oldest first


class ChildTransferUseCases(CrossCellChildTransfers):
    # -- request ---------------------------------------------------------------------------------
    def request_child_transfer(
        self, name: str, target: str, target_region: str, consent_reference: str,
        consent_date: str, reason: str, request_id: str, document: ChildDocument | None = None,
    ) -> ChildTransfer:  # fmt: skip
        principal = current_principal()
        today = clinical_day(self.clock())
        checks = Violations()
        checks.check(parse_resource_name, name, "childRecords")
        target_id = checks.check(parse_resource_name, target, "tenants", "target_tenant") or ""
        if target_region and not is_region_code(target_region):
            checks.add("target_region", "must be a 6-digit GB/T 2260 code", "REGION_CODE")
        reference = domain.check_text(
            consent_reference, "guardian_consent_reference", domain.MAX_CONSENT_REFERENCE,
            "CONSENT_REQUIRED", checks,
        )  # fmt: skip
        consented = checks.check(parse_day, consent_date, "consent_date", today)
        why = domain.check_text(reason, "reason", domain.MAX_REASON, "REASON_REQUIRED", checks)
        key = checks.check(request_key, request_id) or ""
        across = is_region_code(target_region) and self.is_other_cell(target_region)
        if across and (document is None or not document.number):
            checks.add(
                "child_document", "name the child's document (a target in another cell)",
                "DOCUMENT_REQUIRED",
            )  # fmt: skip
        checks.raise_if_any()
        assert consented is not None
        if across:
            assert document is not None
            if key:
                with self.db.read() as tx:
                    check_reuse(tx, key)
            return self._request_across(
                principal, name, target_id, target_region, reference, consented, why, key,
                document,
            )  # fmt: skip
        if key:
            with self.db.read() as tx:
                check_reuse(tx, key)
                earlier = ChildTransferStore(tx).by_request(key)
                if earlier is not None:
                    self._require(principal, earlier.source_scope, "RequestChildTransfer")
                    return earlier
        with self.db.read() as tx:  # permission before anything about the target
            record = self._load_child(tx, name, "RequestChildTransfer")
        domain.require_under_seven(record.birth_date, today)
        child = self.identity.resident(f"residents/{record.resident_id}")
        if child.state == "DECEASED":
            raise FailedPrecondition("the child is deceased", reason="RESIDENT_DECEASED")
        receiver = self._target(target_id, target_region)
        if receiver.tenant_id == record.tenant_id:
            raise FailedPrecondition(
                "the child is managed by that institution already", reason="ALREADY_MANAGED"
            )
        kind = TransferKind.TRANSFER
        if domain.SCHOOL_QUALIFICATION in self.identity.qualifications(
            receiver.tenant_id, as_cell=True
        ):
            domain.require_school_entry_age(record.birth_date, today)
            kind = TransferKind.SCHOOL_HANDOVER
        now = self.clock()
        with self._unit() as tx:
            record = self._load_child(tx, name, "RequestChildTransfer", lock=True)
            store = ChildTransferStore(tx)
            if claim(tx, key) and (earlier := store.by_request(key)) is not None:
                return earlier  # the same request, carried out meanwhile
            if receiver.tenant_id == record.tenant_id:
                raise FailedPrecondition(
                    "the child is managed by that institution already", reason="ALREADY_MANAGED"
                )
            transfer = ChildTransfer(
                new_id(), record.record_id, record.resident_id, record.tenant_id,
                record.scope_path, receiver.tenant_id,
                tenant_scope(receiver.region_code, receiver.tenant_id), kind,
                TransferState.PENDING, reference, consented, why, "", 0, now, None,
                target_name=receiver.display_name,
            )  # fmt: skip
            try:
                store.add(transfer, key)
            except TransferOpen:
                raise pending_error(store.open_of(record.record_id)) from None
            self._audit(
                tx, "child.transfer_request", f"childTransfers/{transfer.transfer_id}",
                record.scope_path, record=record.record_id, resident=record.resident_id,
                to=receiver.tenant_id, kind=kind.value, by=principal.subject,
            )  # fmt: skip
            return transfer

    # -- the target's answer -----------------------------------------------------------------------
    def _load_transfer(
        self, tx: Connection, name: str, method: str, *, lock: bool = False
    ) -> ChildTransfer:
        return self._either_side(
            name, "childTransfers", lambda i: ChildTransferStore(tx).get(i, lock=lock), method
        )

    def _target_only(self, principal: Principal, t: ChildTransfer, method: str) -> None:
        if not self.authz.enforce(principal.subject, t.target_scope, MCH + method):
            raise PermissionDenied(
                "only the target institution accepts or declines a transfer",
                reason="TARGET_ONLY",
            )

    def accept_child_transfer(self, name: str) -> ChildTransfer:
        principal = current_principal()
        with self.db.read() as tx:
            t = self._load_transfer(tx, name, "AcceptChildTransfer")
            self._target_only(principal, t, "AcceptChildTransfer")
        if t.peer_region:
            return self._accept_across(principal, t)
        now = self.clock()
        with self._unit() as tx:
            t = self._load_transfer(tx, name, "AcceptChildTransfer", lock=True)
            self._target_only(principal, t, "AcceptChildTransfer")
            if t.state is TransferState.ACCEPTED:
                return t  # a retry: the child moved once
            t.require_pending()
            self._still_transferable(tx, t, now)
            done = self.hand_over(tx, t, now)
            self._audit(
                tx, "child.transfer_accept", f"childTransfers/{t.transfer_id}", t.target_scope,
                record=t.record_id, resident=t.resident_id, source=t.source_tenant_id,
                visits=done.moved_visits, by=principal.subject,
            )  # fmt: skip
            return done

    def _still_transferable(self, tx: Connection, t: ChildTransfer, now: datetime) -> None:
        """The age rules hold on the day of acceptance, not only of the request: a request
        left pending while the child turned 7 (or left school-entry age) is refused, and stays
        pending for the target to decline."""
        record = ChildStore(tx).get(t.record_id)
        assert record is not None
        domain.require_under_seven(record.birth_date, clinical_day(now))
        if t.kind is TransferKind.SCHOOL_HANDOVER:
            domain.require_school_entry_age(record.birth_date, clinical_day(now))

    def hand_over(self, tx: Connection, t: ChildTransfer, now: datetime) -> ChildTransfer:
        """The one place a child changes hands (in the accepting transaction): the record,
        and by its id its schedule, visits and vision history, become the target's; the
        transfer closes as the source's trace. Per-institution figures that follow the child
        (indicator counts kept on write) and its entries on the lifetime timeline move here
        too."""
        children = ChildStore(tx)
        record = children.get(t.record_id, lock=True)
        assert record is not None
        if record.tenant_id != t.source_tenant_id:  # cannot happen while the transfer is open
            raise FailedPrecondition("the child moved meanwhile", reason="TRANSFER_STATE")
        with counting(tx, children=[t.record_id]):  # its counts leave with it
            children.move(t.record_id, t.target_tenant_id, t.target_scope)
        if feed := self._feed(tx):  # its timeline entries too (emr re-scopes them)
            feed.child_moved(t.record_id, t.resident_id, t.target_scope)
        done = t.accepted(len(children.visits(t.record_id)), now)
        ChildTransferStore(tx).decide(done)
        return done

    def decline_child_transfer(self, name: str, reason: str) -> ChildTransfer:
        principal = current_principal()
        checks = Violations()
        why = domain.check_text(reason, "reason", domain.MAX_REASON, "REASON_REQUIRED", checks)
        checks.raise_if_any()
        with self.db.read() as tx:
            t = self._load_transfer(tx, name, "DeclineChildTransfer")
            self._target_only(principal, t, "DeclineChildTransfer")
        if t.peer_region:
            if t.state is TransferState.DECLINED and t.decline_reason == why:
                return t  # a retry
            t.require_pending()
            return self._decline_across(t, why)
        now = self.clock()
        with self._unit() as tx:
            t = self._load_transfer(tx, name, "DeclineChildTransfer", lock=True)
            self._target_only(principal, t, "DeclineChildTransfer")
            if t.state is TransferState.DECLINED and t.decline_reason == why:
                return t  # a retry
            t.require_pending()
            done = t.declined(why, now)
            ChildTransferStore(tx).decide(done)
            self._audit(
                tx, "child.transfer_decline", f"childTransfers/{t.transfer_id}", t.target_scope,
                record=t.record_id, resident=t.resident_id, by=principal.subject,
            )  # fmt: skip
            return done

    # -- the source withdraws --------------------------------------------------------------------
    def withdraw_child_transfer(self, name: str, reason: str) -> ChildTransfer:
        """The source takes back a request the target has not answered (the family stayed,
        the wrong institution was asked); the child stays where it was and may be asked for
        again. Only the source, only while pending."""
        principal = current_principal()
        checks = Violations()
        why = domain.check_text(reason, "reason", domain.MAX_REASON, "REASON_REQUIRED", checks)
        checks.raise_if_any()
        now = self.clock()
        with self._unit() as tx:
            t = self._load_transfer(tx, name, "WithdrawChildTransfer", lock=True)
            if not self.authz.enforce(
                principal.subject, t.source_scope, MCH + "WithdrawChildTransfer"
            ):
                raise PermissionDenied(
                    "only the source institution withdraws a transfer", reason="SOURCE_ONLY"
                )
            if t.state is TransferState.WITHDRAWN and t.withdraw_reason == why:
                return t  # a retry
            t.require_pending()
            done = t.withdrawn(why, now)
            ChildTransferStore(tx).decide(done)
            self._audit(
                tx, "child.transfer_withdraw", f"childTransfers/{t.transfer_id}", t.source_scope,
                record=t.record_id, resident=t.resident_id, by=principal.subject,
            )  # fmt: skip
        if done.peer_region:  # closed here first: the target's accept can no longer take it
            self._retract_there(done, why)
        return done

    # -- reads ---------------------------------------------------------------------------------
    def get_child_transfer(self, name: str) -> ChildTransfer:
        with self._unit(durable=False) as tx:
            t = self._load_transfer(tx, name, "GetChildTransfer")
            # This cell's side of it (across cells the other side's scope is not this cell's).
            scope = t.source_scope if self._here(t.source_scope) else t.target_scope
            self._audit(
                tx, "child.transfer_read", f"childTransfers/{t.transfer_id}", scope,
                record=t.record_id, resident=t.resident_id,
            )  # fmt: skip
            return t

    def list_child_transfers(
        self, parent: str, state: TransferState | None, page: Page
    ) -> tuple[list[ChildTransfer], str]:
        principal = current_principal()
        tenant_id = parse_resource_name(parent, "tenants", "parent")
        self._tenant_parent(principal, tenant_id, "ListChildTransfers")
        scopes = self._scopes(principal, "ListChildTransfers")
        with self._unit(durable=False) as tx:
            rows = ChildTransferStore(tx).find(tenant_id, scopes, state, page.after, page.size + 1)
            chunk = rows[: page.size]
            self._audit(
                tx, "child.transfer_list", f"tenants/{tenant_id}", scopes[0], count=len(chunk)
            )
        token = page.next_token(chunk[-1].transfer_id if chunk else None, len(rows) > page.size)
        return chunk, token

    def child_vision_record(self, name: str) -> VisionRecord:
        if not name.endswith(VISION_SUFFIX):
            raise invalid("name", "must look like childRecords/{id}/visionRecord", "RESOURCE_NAME")
        record_name = name.removesuffix(VISION_SUFFIX)
        with self._unit(durable=False) as tx:
            r = self._load_child(tx, record_name, "GetChildVisionRecord")
            visits = ChildStore(tx).visits(r.record_id)
            entries = [v for v in visits if v.eye or v.acuity_left or v.acuity_right]
            moves = [t.transfer_id for t in ChildTransferStore(tx).accepted_of(r.record_id)]
            self._audit(
                tx, "child.vision_read", name, r.scope_path, resident=r.resident_id,
                entries=len(entries),
            )  # fmt: skip
            return VisionRecord(r, entries, moves)
