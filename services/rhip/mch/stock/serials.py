"""Blank serials after they arrived (DOMAIN §4.4): a serial's state, holder and register
history; voids of misprinted or damaged blanks (reason, operator, witness) and losses (police
report and newspaper notice), each reported upward through the national outbox
(stock/national.py); central destruction under a provincial record; and the stock
report whose balances add up at every holder. Each change is a conditional UPDATE of the
serial rows plus one register row, refused as a whole when a serial is not where it should be.
"""

from __future__ import annotations

from dataclasses import replace

from rhip.kit.authn import current_principal
from rhip.kit.errors import FailedPrecondition, Violations
from rhip.kit.idempotency import claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.requests import parse_resource_name
from rhip.kit.tenancy import RegionLevel, level_of, region_path
from rhip.kit.timestamps import clinical_day
from rhip.mch.roles import BMC
from rhip.mch.stock import domain
from rhip.mch.stock.domain import Balance, Holder, Movement, MovementKind, Serial, SerialRange
from rhip.mch.stock.national import report_blanks
from rhip.mch.stock.store import StockStore, holder_of
from rhip.mch.stock.usecases import (
    S,
    StockUseCases,
    holder_named,
    holder_within,
    not_available,
    text_field,
)
from sqlalchemy import Connection


class SerialUseCases(StockUseCases):
    # -- serials ----------------------------------------------------------------------------
    def _load_serial(self, tx: Connection, name: str, method: str) -> Serial:
        serial = domain.parse_serial(parse_resource_name(name, "blankSerials"), "name")
        found = StockStore(tx).get(serial)
        self.authz.require_found(
            current_principal(), found.holder_scope if found else None, BMC + method,
            self.cell_path, f"blankSerials/{serial} does not exist",
        )  # fmt: skip
        assert found is not None
        return found

    def get_serial(self, name: str) -> tuple[Serial, list[Movement]]:
        with self._unit(durable=False) as tx:
            s = self._load_serial(tx, name, "GetBlankSerial")
            history = StockStore(tx).history(s.serial)
            self._audit(tx, "bmc.serial.read", f"blankSerials/{s.serial}", s.holder_scope)
            return s, history

    def void_blank(self, name: str, reason: str, witness: str, request_id: str) -> Serial:
        principal = current_principal()
        checks = Violations()
        checks.check(parse_resource_name, name, "blankSerials")
        reason = text_field(reason, "reason", checks, required=True, limit=500)
        witness = text_field(witness, "witness", checks, required=True)
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        with self._unit() as tx:
            s = self._load_serial(tx, name, "VoidBlankSerial")
            store = StockStore(tx)
            if claim(tx, key) and store.movement_by_request(key) is not None:
                return s
            self._require_holder_side(principal, holder_named(s.holder))
            one = SerialRange(s.serial, s.serial, 1)
            if not store.move(one, holder_scope=s.holder_scope, states=domain.VOIDABLE,
                              new_state=S.VOID_BLANK):  # fmt: skip
                raise not_available(s.serial, s.state.value)
            m = Movement(
                new_id(), MovementKind.VOID_BLANK, s.edition, one, s.holder, s.holder,
                S.VOID_BLANK, principal.subject, witness, reason, "", "", "", self.clock(),
            )  # fmt: skip
            store.record(m, s.holder_scope, s.holder_scope, key)
            report_blanks(tx, m, m.create_time, self.options)
            self._audit(tx, "bmc.serial.void", f"blankSerials/{s.serial}", s.holder_scope)
            return replace(s, state=S.VOID_BLANK)

    def report_lost(
        self, holder_name: str, first: str, quantity: int, police: str, newspaper: str,
        request_id: str,
    ) -> Movement:  # fmt: skip
        principal = current_principal()
        checks = Violations()
        if not holder_name.startswith("tenants/"):
            checks.check(domain.parse_region, holder_name, "holder")
        r = domain.serial_range(first, quantity, checks)
        police = text_field(police, "police_report_ref", checks, required=True)
        newspaper = text_field(newspaper, "newspaper_notice_ref", checks, required=True)
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        assert r
        holder, scope = self._holder(principal, holder_name, "holder", "ReportBlankSerialsLost")
        self._require_holder_side(principal, holder)
        with self._unit() as tx:
            store = StockStore(tx)
            if claim(tx, key) and (earlier := store.movement_by_request(key)) is not None:
                return earlier
            editions = store.editions_in(r)
            lost = store.move(r, holder_scope=scope, states=domain.LOSABLE, new_state=S.LOST)
            if lost != r.quantity or len(editions) != 1:
                raise FailedPrecondition(
                    f"only {lost} of the {r.quantity} serials are held here and not yet "
                    "issued, void or lost",
                    reason="BMC_SERIALS_NOT_AVAILABLE",
                    metadata={"available": str(lost), "requested": str(r.quantity)},
                )  # fmt: skip
            m = Movement(
                new_id(), MovementKind.LOSS, editions[0], r, holder.name, holder.name, S.LOST,
                principal.subject, "", "", police, newspaper, "", self.clock(),
            )  # fmt: skip
            store.record(m, scope, scope, key)
            report_blanks(tx, m, m.create_time, self.options)
            self._audit(tx, "bmc.stock.lost", holder.name, scope, quantity=r.quantity)
            return m

    def destroy(
        self, region: str, first: str, quantity: int, record_number: str, witness: str,
        request_id: str,
    ) -> Movement:  # fmt: skip
        principal = current_principal()
        checks = Violations()
        code = checks.check(domain.parse_region, region, "region")
        if code and level_of(code) is not RegionLevel.PROVINCE:
            checks.add("region", "destruction is provincial", "BMC_PROVINCE_REQUIRED")
        r = domain.serial_range(first, quantity, checks)
        record_number = text_field(record_number, "record_number", checks, required=True)
        witness = text_field(witness, "witness", checks, required=True)
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        assert code and r
        scope = region_path(code)
        self._bmc_require(principal, scope, "RecordBlankDestruction")
        self._require_holder_side(principal, Holder(code))
        current = domain.edition_on(clinical_day(self.clock()))
        with self._unit() as tx:
            store = StockStore(tx)
            if claim(tx, key) and (earlier := store.movement_by_request(key)) is not None:
                return earlier
            editions = store.editions_in(r)
            destroyed = store.destroy(r, [scope], current)
            if destroyed != r.quantity:
                raise FailedPrecondition(
                    f"only {destroyed} of the {r.quantity} serials are void blanks or blanks "
                    "of a superseded edition",
                    reason="BMC_NOT_DESTROYABLE",
                    metadata={"destroyable": str(destroyed), "requested": str(r.quantity)},
                )  # fmt: skip
            m = Movement(
                new_id(), MovementKind.DESTRUCTION, min(editions), r, f"regions/{code}",
                f"regions/{code}", S.DESTROYED, principal.subject, witness, "", "", "",
                record_number, self.clock(),
            )  # fmt: skip
            store.record(m, scope, scope, key)
            self._audit(tx, "bmc.stock.destroy", f"regions/{code}", scope, quantity=r.quantity)
            return m

    def stock_report(self, parent: str) -> list[Balance]:
        principal = current_principal()
        holder, scope = self._holder(principal, parent, "parent", "GetStockReport")
        with self._unit(durable=False) as tx:
            store = StockStore(tx)
            balances: dict[str, Balance] = {}

            def of(name: str) -> Balance:
                return balances.setdefault(name, Balance(name))

            of(holder.name)
            for holder_scope, state, count in store.counts([scope]):
                of(holder_of(holder_scope)).add_state(S(state), count)
            for kind, source, target, quantity in store.flows([scope]):
                if kind in ("RECEIPT", "TRANSFER"):
                    of(target).received += quantity
                if kind == "TRANSFER":
                    of(source).transferred_out += quantity
            self._audit(tx, "bmc.stock.report", parent, scope)
        rows = [balances.pop(holder.name)]
        rows += [balances[k] for k in sorted(balances) if holder_within(k, scope)]
        return rows
