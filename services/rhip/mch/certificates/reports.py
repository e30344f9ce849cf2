"""The monthly birth-certificate report of a region subtree or an institution (DOMAIN §4.2:
statistics at each level): certificates issued by type, issued certificates voided (voids,
replacements and reissues), blanks voided, lost and destroyed in the month, from the register;
and the blanks on hand now, from the serials."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone

from rhip.kit.authn import current_principal
from rhip.kit.errors import invalid
from rhip.mch.stock.domain import SerialState
from rhip.mch.stock.serials import SerialUseCases
from rhip.mch.stock.store import StockStore, holder_of

CST = timezone(timedelta(hours=8), "CST")  # months are China Standard Time months
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass
class Month:
    holder: str
    first_issued: int = 0
    replacements: int = 0
    reissues: int = 0
    voided_issued: int = 0
    voided_blank: int = 0
    lost: int = 0
    destroyed: int = 0
    in_stock: int = 0

    def add(self, other: Month) -> None:
        for f in fields(self)[1:]:
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


_ISSUES = {"FIRST": "first_issued", "REPLACEMENT": "replacements", "REISSUE": "reissues"}
_KINDS = {"VOID_ISSUED": "voided_issued", "VOID_BLANK": "voided_blank", "LOSS": "lost",
          "DESTRUCTION": "destroyed"}  # fmt: skip


def parse_month(text: str, today: datetime) -> tuple[datetime, datetime]:
    """The month's bounds; an empty ``text`` is the current month."""
    text = text or today.astimezone(CST).strftime("%Y-%m")
    match = _MONTH.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1996:
        raise invalid("month", "must be YYYY-MM", "MONTH_FORMAT")
    year, month = int(match.group(1)), int(match.group(2))
    start = datetime(year, month, 1, tzinfo=CST)
    if start > today:
        raise invalid("month", "is in the future", "DATE_IN_FUTURE")
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=CST)
    return start, end


class ReportUseCases(SerialUseCases):
    def monthly_report(self, parent: str, month: str) -> tuple[Month, list[Month]]:
        principal = current_principal()
        start, end = parse_month(month, self.clock())
        holder, scope = self._holder(principal, parent, "parent", "GetBirthCertificateReport")
        rows: dict[str, Month] = {}

        def of(name: str) -> Month:
            return rows.setdefault(name, Month(name))

        with self._unit(durable=False) as tx:
            store = StockStore(tx)
            for name, kind, reason, quantity in store.activity([scope], start, end):
                field = _ISSUES.get(reason) if kind == "ISSUE" else _KINDS.get(kind)
                if field:
                    row = of(name)
                    setattr(row, field, getattr(row, field) + quantity)
            for holder_scope, state, count in store.counts([scope]):
                if state in (SerialState.RECEIVED.value, SerialState.IN_STOCK.value):
                    of(holder_of(holder_scope)).in_stock += count
            self._audit(tx, "bmc.report.monthly", parent, scope, month=month)
        total = Month(holder.name)
        for row in rows.values():
            total.add(row)
        return total, [rows[k] for k in sorted(rows)]
