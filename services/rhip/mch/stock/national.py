"""Blank voids and losses reported upward (DOMAIN §4.3–4.4: each void or lost blank is
registered by number and reported through the provincial system; Hubei: within 2 hours).

They travel the path of the certificates' own reports (rhip.mch.certificates.national): the
durable outbox's ``bmc.national`` stream, written in the void's or the loss's transaction, one
event per serial keyed by the serial (a serial's events arrive in order, and a serial is a
certificate number's key too), with an id fixed by serial and kind so a retry never makes a
second event, due within the void-report window (``RHIP_MCH_BMC_VOID_REPORT_HOURS``, 2 h by
default: one rule for every void). A loss of n serials queues n events."""

from __future__ import annotations

from datetime import datetime, timedelta

from rhip.kit import outbox
from rhip.mch.settings import MchSettings
from rhip.mch.stock.domain import Movement
from sqlalchemy import Connection

STREAM = "bmc.national"
BLANK_VOIDED = "bmc.blank_voided"
BLANK_LOST = "bmc.blank_lost"
BLANK_KINDS = frozenset({BLANK_VOIDED, BLANK_LOST})


def serials_of(m: Movement) -> list[str]:
    """Each serial of the movement's range (one letter, nine digits, consecutive)."""
    start = int(m.range.first[1:])
    return [f"{m.range.first[0]}{n:09d}" for n in range(start, start + m.range.quantity)]


def report_blanks(tx: Connection, m: Movement, now: datetime, options: MchSettings) -> None:
    """One event per serial of a VOID_BLANK or LOSS register entry. The payload is the
    register's facts (who held it, why, the references); the operator's account id stays
    here, the witness as written in the register goes with the void."""
    kind = BLANK_VOIDED if m.kind.value == "VOID_BLANK" else BLANK_LOST
    suffix = kind.split(".")[1].replace("_", "-")
    due = now + timedelta(hours=options.bmc_void_report_hours)
    common = {
        "kind": m.kind.value, "edition": m.edition, "holder": m.from_holder,
        "movement": f"stockMovements/{m.movement_id}", "time": m.create_time.isoformat(),
        "first_serial": m.range.first, "last_serial": m.range.last,
        "quantity": m.range.quantity,
    }  # fmt: skip
    if kind == BLANK_VOIDED:
        common.update(reason=m.reason, witness=m.witness)
    else:
        common.update(police_report_ref=m.police_report_ref,
                      newspaper_notice_ref=m.newspaper_notice_ref)  # fmt: skip
    for serial in serials_of(m):
        outbox.enqueue(
            tx, stream=STREAM, key=serial, event_id=f"bmc-{serial}-{suffix}", kind=kind,
            payload={"serial": serial, **common}, due_at=due,
        )  # fmt: skip
