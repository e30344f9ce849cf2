"""Blank-stock use cases (DOMAIN §4.4): a province receives ranges, each level allocates one
level down and the receiving side confirms; requests above the annual quota wait for approval
from above; holders void misprinted blanks and report losses; a province destroys void and
superseded blanks under a destruction record. Every change is a conditional UPDATE of the
serial rows (only serials in the expected state and holder change; a short count aborts the
whole transaction) plus one register row; nothing is deleted."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime

from rhip.kit import audit
from rhip.kit.audit_pipeline import pipeline_supported
from rhip.kit.authn import Principal, current_principal
from rhip.kit.errors import FailedPrecondition, NotFound, PermissionDenied, Violations, invalid
from rhip.kit.idempotency import claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.requests import check_no_controls, parse_resource_name
from rhip.kit.tenancy import RegionLevel, is_within, level_of, region_path, tenant_scope
from rhip.mch.access import MchBase
from rhip.mch.roles import BMC
from rhip.mch.stock import domain, month_counts
from rhip.mch.stock.domain import (
    Holder,
    Movement,
    MovementKind,
    SerialRange,
    SerialState,
    Transfer,
    TransferState,
)
from rhip.mch.stock.store import StockStore
from sqlalchemy import Connection

S = SerialState
BIRTH_CERTIFICATE = "BIRTH_CERTIFICATE"


def text_field(
    value: str, field: str, checks: Violations, *, required: bool, limit: int = 100
) -> str:
    value = value.strip()
    if required and not value:
        checks.add(field, "must be set", "FIELD_REQUIRED")
    elif len(value) > limit:
        checks.add(field, f"at most {limit} characters", "TEXT_TOO_LONG")
    elif value:
        checks.check(check_no_controls, value, field)
    return value


def not_available(serial: str, state: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"serial {serial} is not in stock here ({state})",
        reason="BMC_SERIAL_NOT_AVAILABLE",
        metadata={"serial": serial, "state": state},
    )


class StockUseCases(MchBase):
    # -- the monthly report's counts, kept in each write's transaction ----------------------
    @contextmanager
    def _unit(self, *, durable: bool = True) -> Iterator[Connection]:
        with super()._unit(durable=durable) as tx:
            month_counts.begin(tx)
            yield tx
            month_counts.flush(tx)  # what no audit row flushed (none today)

    def _audit(
        self, tx: Connection, action: str, target: str, scope: str, **detail: object
    ) -> None:
        """The gathered count changes go in before the audit row: their advisory locks are
        always taken before the audit head's (month_counts)."""
        month_counts.flush(tx)
        super()._audit(tx, action, target, scope, **detail)

    def _audit_last(
        self, tx: Connection, action: str, target: str, scope: str, **detail: object
    ) -> None:
        """``_audit`` as the transaction's last statements, committing it: on PostgreSQL the
        count changes (under the institution's advisory lock), the audit row and the COMMIT go
        in two round trips (rhip.kit.audit.append_and_commit), so the locks every issue of the
        institution queues on are held for those two only; elsewhere as ``_audit``. Nothing
        may follow in the transaction."""
        if not pipeline_supported(tx):
            self._audit(tx, action, target, scope, **detail)
            return
        event = audit.AuditEvent(action, target, scope, detail=detail)
        audit.append_and_commit(tx, [event], month_counts.take_statements(tx))

    # -- shared checks ----------------------------------------------------------------------
    def _bmc_require(self, principal: Principal, scope: str, method: str) -> None:
        self.authz.require(principal, scope, BMC + method)

    def _holder(
        self, principal: Principal, name: str, field: str, method: str
    ) -> tuple[Holder, str]:
        """The holder named ``name`` and its scope, once the caller may ``method`` there."""
        if name.startswith("tenants/"):
            tenant_id = parse_resource_name(name, "tenants", field)
            scope = self.parents.tenant(
                principal, tenant_id, BMC + method, self._tenant_scope_of(principal, method)
            )
            return Holder(_code_of(scope), tenant_id), scope
        code = domain.parse_region(name, field)
        scope = region_path(code)
        self._bmc_require(principal, scope, method)
        return Holder(code), scope

    def _tenant_scope_of(self, principal: Principal, method: str) -> Callable[[str], str | None]:
        def scope_of(tenant_id: str) -> str | None:
            try:
                tenant = self.identity.tenant(tenant_id)
            except NotFound:
                return None
            except PermissionDenied:
                raise self.authz.denial(principal, BMC + method) from None
            return tenant_scope(tenant.region_code, tenant.tenant_id)

        return scope_of

    @staticmethod
    def _is_holder_side(principal: Principal, holder: Holder) -> bool:
        """The holding level itself (its administrators, or the institution's own staff), not
        a level above it: blanks are handled where they are kept (双人双锁)."""
        if holder.is_institution:
            return principal.tenant_id == holder.tenant_id
        return not principal.tenant_id and principal.region_code == holder.region_code

    def _require_holder_side(self, principal: Principal, holder: Holder) -> None:
        if not self._is_holder_side(principal, holder):
            raise PermissionDenied(
                "only the holding administration or institution acts on its blanks",
                reason="BMC_NOT_HOLDER",
            )

    # -- receipt ----------------------------------------------------------------------------
    def receive_stock(
        self, region: str, edition: int, first: str, quantity: int, note: str, request_id: str
    ) -> Movement:
        principal = current_principal()
        checks = Violations()
        code = checks.check(domain.parse_region, region, "region")
        if code and level_of(code) is not RegionLevel.PROVINCE:
            checks.add("region", "stock arrives at a province", "BMC_PROVINCE_REQUIRED")
        domain.check_edition(edition, checks)
        r = domain.serial_range(first, quantity, checks)
        note = text_field(note, "delivery_note", checks, required=False)
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        assert code and r
        scope = region_path(code)
        self._bmc_require(principal, scope, "ReceiveBlankStock")
        self._require_holder_side(principal, Holder(code))
        with self._unit() as tx:
            store = StockStore(tx)
            if claim(tx, key) and (earlier := store.movement_by_request(key)) is not None:
                return earlier
            if store.any_in(r):
                raise invalid(
                    "first_serial", "the range overlaps serials already in the register",
                    "BMC_RANGE_OVERLAP",
                )  # fmt: skip
            store.add_serials(r, edition, scope)
            m = Movement(
                new_id(), MovementKind.RECEIPT, edition, r, "", f"regions/{code}", S.RECEIVED,
                principal.subject, "", "", "", "", note, self.clock(),
            )  # fmt: skip
            store.record(m, scope, request_id=key)
            self._audit(tx, "bmc.stock.receive", f"regions/{code}", scope, quantity=r.quantity)
            return m

    # -- transfers --------------------------------------------------------------------------
    def create_transfer(
        self, sender: str, receiver: str, edition: int, first: str, quantity: int, note: str,
        request_id: str,
    ) -> Transfer:  # fmt: skip
        principal = current_principal()
        checks = Violations()
        from_code = checks.check(domain.parse_region, sender, "transfer.from_holder")
        if receiver.startswith("tenants/"):
            checks.check(parse_resource_name, receiver, "tenants", "transfer.to_holder")
        else:
            checks.check(domain.parse_region, receiver, "transfer.to_holder")
        domain.check_edition(edition, checks, "transfer.edition")
        r = domain.serial_range(first, quantity, checks, "transfer.")
        note = text_field(note, "transfer.note", checks, required=False, limit=500)
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        assert from_code and r
        from_scope = region_path(from_code)
        self._bmc_require(principal, from_scope, "CreateStockTransfer")
        sender_holder = Holder(from_code)
        self._require_holder_side(principal, sender_holder)
        if receiver.startswith("tenants/"):
            tenant = self.identity.tenant(receiver.removeprefix("tenants/"))
            to = Holder(tenant.region_code, tenant.tenant_id)
            to_scope = tenant_scope(tenant.region_code, tenant.tenant_id)
            domain.check_next_level(sender_holder, to, tenant.region_code)
            if not tenant.active:
                raise FailedPrecondition("the institution is suspended", reason="TENANT_SUSPENDED")
            self._require_qualification(tenant, BIRTH_CERTIFICATE)
        else:
            to_code = receiver.removeprefix("regions/")
            to = Holder(to_code)
            to_scope = region_path(to_code)
            domain.check_next_level(sender_holder, to, to_code)
        now = self.clock()
        with self._unit() as tx:
            store = StockStore(tx)
            if claim(tx, key) and (earlier := store.transfer_by_request(key)) is not None:
                return earlier
            over, limit = self._over_quota(store, from_code, to, to_scope, r.quantity, now)
            t = Transfer(
                new_id(), sender_holder, to, from_scope, to_scope, edition, r,
                TransferState.AWAITING_APPROVAL if over else TransferState.PENDING, over, limit,
                note, principal.subject, "", "", 0, now, now,
            )  # fmt: skip
            if over:
                self._check_available(store, t)
            else:
                self._allocate(store, t)
            store.add_transfer(t, key)
            self._audit(
                tx, "bmc.transfer.create", f"stockTransfers/{t.transfer_id}", from_scope,
                to=to.name, quantity=r.quantity, over_quota=over,
            )  # fmt: skip
            return t

    def _over_quota(
        self, store: StockStore, from_code: str, to: Holder, to_scope: str, quantity: int,
        now: datetime,
    ) -> tuple[bool, int]:  # fmt: skip
        """Whether this request takes the receiver's requests of the year above its quota
        (only where the province switched the rule on), and the quota."""
        if from_code[:2] + "0000" not in self.options.bmc_quota_provinces:
            return False, 0
        year = now.year
        births = store.live_births(to_scope, date(year - 1, 1, 1), date(year - 1, 12, 31))
        limit = domain.quota(births, self.options.bmc_quota_percent)
        asked = store.allocated_since(to.name, datetime(year, 1, 1, tzinfo=now.tzinfo))
        return asked + quantity > limit, limit

    @staticmethod
    def _check_available(store: StockStore, t: Transfer) -> None:
        """Nothing moves while a request waits (approval allocates atomically), but a request
        for serials the sender does not hold is refused at once."""
        held = store.available(t.range, t.from_scope, t.edition)
        if held != t.range.quantity:
            raise FailedPrecondition(
                f"only {held} of the {t.range.quantity} serials are in the sender's stock",
                reason="BMC_SERIALS_NOT_AVAILABLE",
                metadata={"available": str(held), "requested": str(t.range.quantity)},
            )

    def _allocate(self, store: StockStore, t: Transfer) -> None:
        moved = store.move(
            t.range, holder_scope=t.from_scope, states=(S.RECEIVED,), new_state=S.ALLOCATED,
            edition=t.edition, set_transfer=t.transfer_id,
        )  # fmt: skip
        if moved != t.range.quantity:
            raise FailedPrecondition(
                f"only {moved} of the {t.range.quantity} serials are in the sender's stock "
                "(this edition, not allocated, void or lost)",
                reason="BMC_SERIALS_NOT_AVAILABLE",
                metadata={"available": str(moved), "requested": str(t.range.quantity)},
            )

    def _load_transfer(self, tx: Connection, name: str, method: str) -> Transfer:
        transfer_id = parse_resource_name(name, "stockTransfers")
        found = StockStore(tx).transfer(transfer_id)
        principal = current_principal()
        scopes = (found.from_scope, found.to_scope) if found else ()
        if found is not None and any(
            self.authz.enforce(principal.subject, s, BMC + method) for s in scopes
        ):
            return found
        self.authz.require_found(
            principal, None, BMC + method, self.cell_path,
            f"stockTransfers/{transfer_id} does not exist",
        )  # fmt: skip
        raise self.authz.denial(principal, BMC + method)

    def approve_transfer(self, name: str, reason: str) -> Transfer:
        principal = current_principal()
        checks = Violations()
        checks.check(parse_resource_name, name, "stockTransfers")
        reason = text_field(reason, "reason", checks, required=True, limit=500)
        checks.raise_if_any()
        with self._unit() as tx:
            t = self._load_transfer(tx, name, "ApproveStockTransfer")
            # Above the sender: its parent region's administrators (a province's own
            # administrators for a province's request, someone other than the requester).
            code = t.from_holder.region_code
            parent = code[:4] + "00" if level_of(code) is RegionLevel.COUNTY else code[:2] + "0000"
            above = region_path(parent)
            self._bmc_require(principal, above, "ApproveStockTransfer")
            if (
                principal.tenant_id
                or principal.subject == t.requested_by
                or (principal.region_code == code and level_of(code) is not RegionLevel.PROVINCE)
            ):
                raise PermissionDenied(
                    "a request above the quota is approved above the sender",
                    reason="BMC_APPROVAL_ABOVE",
                )
            if t.state is not TransferState.AWAITING_APPROVAL:
                raise FailedPrecondition(
                    "the transfer does not wait for approval", reason="BMC_TRANSFER_STATE",
                    metadata={"state": t.state.value},
                )  # fmt: skip
            store = StockStore(tx)
            self._allocate(store, t)
            done = replace(
                t, state=TransferState.PENDING, approved_by=principal.subject,
                update_time=self.clock(),
            )  # fmt: skip
            store.save_transfer(done, TransferState.AWAITING_APPROVAL)
            self._audit(
                tx, "bmc.transfer.approve", f"stockTransfers/{t.transfer_id}", above,
                reason_given=True,
            )  # fmt: skip
            return done

    def confirm_transfer(self, name: str) -> Transfer:
        principal = current_principal()
        parse_resource_name(name, "stockTransfers")
        with self._unit() as tx:
            t = self._load_transfer(tx, name, "ConfirmStockTransfer")
            self._bmc_require(principal, t.to_scope, "ConfirmStockTransfer")
            self._require_holder_side(principal, t.to_holder)
            if t.state is TransferState.CONFIRMED:
                return t  # a retry
            if t.state is not TransferState.PENDING:
                raise FailedPrecondition(
                    "the transfer waits for approval", reason="BMC_TRANSFER_STATE",
                    metadata={"state": t.state.value},
                )  # fmt: skip
            store = StockStore(tx)
            target = S.IN_STOCK if t.to_holder.is_institution else S.RECEIVED
            moved = store.move(
                t.range, holder_scope=t.from_scope, states=(S.ALLOCATED,), new_state=target,
                new_scope=t.to_scope, transfer_id=t.transfer_id, set_transfer=None,
            )  # fmt: skip
            now = self.clock()
            done = replace(
                t, state=TransferState.CONFIRMED, confirmed_by=principal.subject,
                confirmed_quantity=moved, update_time=now,
            )  # fmt: skip
            if not store.save_transfer(done, TransferState.PENDING):
                raise FailedPrecondition("the transfer changed", reason="BMC_TRANSFER_STATE")
            m = Movement(
                new_id(), MovementKind.TRANSFER, t.edition,
                SerialRange(t.range.first, t.range.last, moved), t.from_holder.name,
                t.to_holder.name, target, principal.subject, "", t.note, "", "",
                f"stockTransfers/{t.transfer_id}", now,
            )  # fmt: skip
            store.record(m, t.to_scope, t.from_scope)
            self._audit(
                tx, "bmc.transfer.confirm", f"stockTransfers/{t.transfer_id}", t.to_scope,
                quantity=moved,
            )  # fmt: skip
            return done

    def list_transfers(
        self, parent: str, state: TransferState | None, after: str | None, size: int
    ) -> tuple[list[Transfer], bool]:
        principal = current_principal()
        holder, scope = self._holder(principal, parent, "parent", "ListStockTransfers")
        with self._unit(durable=False) as tx:
            rows = StockStore(tx).transfers(holder.name, [scope], state, after, size + 1)
            self._audit(tx, "bmc.transfer.list", parent, scope, count=min(len(rows), size))
        return rows[:size], len(rows) > size


def holder_named(name: str) -> Holder:
    if name.startswith("tenants/"):
        return Holder("", name.removeprefix("tenants/"))
    return Holder(name.removeprefix("regions/"))


def _code_of(scope: str) -> str:
    """The region code of a tenant scope `86/32/3203/320311/t-…`."""
    return scope.split("/")[-2].ljust(6, "0")


def holder_within(name: str, scope: str) -> bool:
    """Whether a holder named in a flow lies in the reported subtree (a sender above the
    subtree appears in flows of its receivers, and is left out)."""
    if name.startswith("tenants/"):
        return True  # flows are filtered by scope in SQL; a tenant there is inside
    return is_within(region_path(name.removeprefix("regions/")), scope)
