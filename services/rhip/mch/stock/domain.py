"""Blank birth-certificate stock as plain Python (DOMAIN §4.1, §4.4, §9): editions, the serial
format, serial ranges, the per-serial state machine, who may hand stock to whom (level by
level), the annual over-quota rule and the balance of a holder. No gRPC, no SQL.

A holder is a region (`regions/{code}`: province, city or county health administration) or an
issuing institution (`tenants/{id}`); its authorization scope is the region path, or the
tenant scope below it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from rhip.kit.errors import FailedPrecondition, Violations, invalid
from rhip.kit.tenancy import RegionLevel, is_region_code, level_of

SERIAL = re.compile(r"^[A-Z][0-9]{9}$")
MAX_RANGE = 1_000_000  # one receipt or movement; a province's annual stock is a few of these

# Editions and the day each came into use (DOMAIN §4.1). A serial of an edition other than the
# one current on the issue day is never printed; it waits for central destruction.
EDITIONS: dict[int, date] = {
    1: date(1996, 1, 1),
    2: date(2000, 1, 1),
    3: date(2003, 1, 1),
    4: date(2004, 12, 1),
    5: date(2014, 1, 1),
    6: date(2019, 1, 1),
    7: date(2023, 4, 1),
}


def edition_on(day: date) -> int:
    return max(e for e, start in EDITIONS.items() if start <= day)


class SerialState(Enum):
    RECEIVED = "RECEIVED"
    ALLOCATED = "ALLOCATED"
    IN_STOCK = "IN_STOCK"
    ISSUED = "ISSUED"
    VOID_BLANK = "VOID_BLANK"
    VOID_ISSUED = "VOID_ISSUED"
    LOST = "LOST"
    DESTROYED = "DESTROYED"


S = SerialState
# Where each transition may start (§4.4). Terminal: VOID_*, LOST, DESTROYED. Nothing leads
# back to IN_STOCK, so a serial that left it is never issued again.
VOIDABLE = (S.IN_STOCK, S.RECEIVED)
LOSABLE = (S.IN_STOCK, S.ALLOCATED, S.RECEIVED)
AVAILABLE = (S.RECEIVED, S.IN_STOCK)  # blank and on hand


class MovementKind(Enum):
    RECEIPT = "RECEIPT"
    TRANSFER = "TRANSFER"
    VOID_BLANK = "VOID_BLANK"
    LOSS = "LOSS"
    DESTRUCTION = "DESTRUCTION"
    ISSUE = "ISSUE"
    VOID_ISSUED = "VOID_ISSUED"


class TransferState(Enum):
    AWAITING_APPROVAL = "AWAITING_APPROVAL"
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"


@dataclass(frozen=True)
class SerialRange:
    first: str
    last: str
    quantity: int

    def covers(self, serial: str) -> bool:
        return self.first <= serial <= self.last


def parse_serial(text: str, field: str) -> str:
    """A serial exactly as printed: one upper-case letter and nine digits (a lower-case
    letter is a typing error on a controlled form, refused rather than folded)."""
    if not SERIAL.match(text):
        raise invalid(field, "must be one upper-case letter and nine digits", "BMC_NUMBER_FORMAT")
    return text


def serial_range(
    first_text: str, quantity: int, checks: Violations, prefix: str = ""
) -> SerialRange | None:
    """``quantity`` serials from ``first_text`` (same letter, no wrap past 999999999)."""
    first = checks.check(parse_serial, first_text, f"{prefix}first_serial")
    if not 1 <= quantity <= MAX_RANGE:
        checks.add(f"{prefix}quantity", f"must be 1–{MAX_RANGE}", "QUANTITY_OUT_OF_RANGE")
        return None
    if first is None:
        return None
    end = int(first[1:]) + quantity - 1
    if end > 999_999_999:
        checks.add(
            f"{prefix}quantity", "runs past the last serial of the letter", "QUANTITY_OUT_OF_RANGE"
        )
        return None
    return SerialRange(first, f"{first[0]}{end:09d}", quantity)


def check_edition(edition: int, checks: Violations, field: str = "edition") -> None:
    if edition not in EDITIONS:
        checks.add(field, f"unknown edition (known: 1–{max(EDITIONS)})", "BMC_EDITION_UNKNOWN")


@dataclass(frozen=True)
class Holder:
    """A region's health administration or an issuing institution."""

    region_code: str
    tenant_id: str = ""

    @property
    def name(self) -> str:
        return f"tenants/{self.tenant_id}" if self.tenant_id else f"regions/{self.region_code}"

    @property
    def is_institution(self) -> bool:
        return bool(self.tenant_id)


def parse_region(name: str, field: str) -> str:
    code = name.removeprefix("regions/") if name.startswith("regions/") else ""
    if not is_region_code(code):
        raise invalid(field, "must be regions/{6-digit code}", "INVALID_NAME")
    return code


def check_next_level(sender: Holder, receiver: Holder, receiver_region: str) -> None:
    """Stock moves one level down, inside the sender's area (逐级申领发放): province → city of
    the province, city → county of the city, county → institution in the county."""
    if sender.is_institution:
        raise FailedPrecondition(
            "an issuing institution does not hand stock on", reason="BMC_TRANSFER_LEVEL"
        )
    level = level_of(sender.region_code)
    if receiver.is_institution:
        ok = level is RegionLevel.COUNTY and receiver_region == sender.region_code
    elif level is RegionLevel.PROVINCE:
        ok = (
            level_of(receiver_region) is RegionLevel.PREFECTURE
            and receiver_region[:2] == sender.region_code[:2]
        )
    elif level is RegionLevel.PREFECTURE:
        ok = (
            level_of(receiver_region) is RegionLevel.COUNTY
            and receiver_region[:4] == sender.region_code[:4]
        )
    else:
        ok = False
    if not ok:
        raise FailedPrecondition(
            "stock moves one level down inside the sender's area "
            "(province → city → county → issuing institution)",
            reason="BMC_TRANSFER_LEVEL",
        )


def quota(live_births_last_year: int, percent: int) -> int:
    """The most a region may receive in a year: ``percent`` of last year's live births."""
    return live_births_last_year * percent // 100


@dataclass(frozen=True)
class Transfer:
    transfer_id: str
    from_holder: Holder
    to_holder: Holder
    from_scope: str
    to_scope: str
    edition: int
    range: SerialRange
    state: TransferState
    over_quota: bool
    quota: int
    note: str
    requested_by: str
    approved_by: str
    confirmed_by: str
    confirmed_quantity: int
    create_time: datetime
    update_time: datetime


@dataclass(frozen=True)
class Movement:
    movement_id: str
    kind: MovementKind
    edition: int
    range: SerialRange
    from_holder: str
    to_holder: str
    state: SerialState
    operator: str
    witness: str
    reason: str
    police_report_ref: str
    newspaper_notice_ref: str
    reference: str
    create_time: datetime


@dataclass(frozen=True)
class Serial:
    serial: str
    edition: int
    state: SerialState
    holder: str  # holder name
    holder_scope: str
    certificate: str  # certificate number printed on it ("" if none)


@dataclass
class Balance:
    holder: str
    received: int = 0
    transferred_out: int = 0
    in_transit: int = 0
    in_stock: int = 0
    issued: int = 0
    void_blank: int = 0
    void_issued: int = 0
    lost: int = 0
    destroyed: int = 0

    def add_state(self, state: SerialState, count: int) -> None:
        field = {
            S.RECEIVED: "in_stock", S.IN_STOCK: "in_stock", S.ALLOCATED: "in_transit",
            S.ISSUED: "issued", S.VOID_BLANK: "void_blank", S.VOID_ISSUED: "void_issued",
            S.LOST: "lost", S.DESTROYED: "destroyed",
        }[state]  # fmt: skip
        setattr(self, field, getattr(self, field) + count)

    @property
    def held(self) -> int:
        return (
            self.in_transit + self.in_stock + self.issued + self.void_blank + self.void_issued
            + self.lost + self.destroyed
        )  # fmt: skip

    @property
    def balanced(self) -> bool:
        """Every serial that came in is either passed on or still held here in some state."""
        return self.received == self.transferred_out + self.held
