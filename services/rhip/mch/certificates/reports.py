"""The monthly birth-certificate report of a region subtree or an institution (DOMAIN §4.2:
statistics at each level): certificates issued by type, issued certificates voided (voids,
replacements and reissues), blanks voided, lost and destroyed in the month, and the blanks on
hand now. Read from the counts every register row and serial change keeps per holder and month
(stock/month_counts.py: a few rows per holder, whatever the province's size), which always
equal the recount from the register and the serials (``month_counts.exact_month``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone

from rhip.kit.authn import current_principal
from rhip.kit.errors import invalid
from rhip.mch.stock import month_counts
from rhip.mch.stock.serials import SerialUseCases

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
        start, _ = parse_month(month, self.clock())
        holder, scope = self._holder(principal, parent, "parent", "GetBirthCertificateReport")
        with self._unit(durable=False) as tx:
            kept = month_counts.month(tx, scope, start.date())
            self._audit(tx, "bmc.report.monthly", parent, scope, month=month)
        rows = {name: to_month(name, figures) for name, figures in kept.items()}
        total = Month(holder.name)
        for row in rows.values():
            total.add(row)
        return total, [rows[k] for k in sorted(rows)]


def to_month(holder: str, figures: dict[str, int]) -> Month:
    """A holder's row from the counts (month_counts.METRICS; ``on_hand`` is ``in_stock``)."""
    return Month(holder, **{k: v for k, v in figures.items() if k != "on_hand"},
                 in_stock=figures["on_hand"])  # fmt: skip
