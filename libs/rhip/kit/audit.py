"""Append-only, hash-chained audit log (GB/T 22239 level 3: who, when, what, outcome).

Each row's hash covers its fields and the previous row's hash; a one-row head table holds the
last sequence number and hash, so changing, deleting or truncating rows is detected by
``verify``. Rows are appended in the same transaction as the change they record. Never put a
national ID number, a name or a phone number into ``detail``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rhip.kit.authn import optional_principal
from rhip.kit.schema import audit_event, audit_head
from rhip.kit.telemetry import current_request_id, current_trace_id
from sqlalchemy import Connection, insert, select, update

GENESIS = "0" * 64
_HASHED_FIELDS = (
    "seq",
    "event_time",
    "actor",
    "actor_tenant",
    "action",
    "target",
    "scope_path",
    "outcome",
    "trace_id",
    "request_id",
    "detail",
    "prev_hash",
)


@dataclass(frozen=True)
class AuditEvent:
    """What happened: ``action`` (``tenant.create``), ``target`` (a resource name) and the
    authorization path of the data touched. The actor defaults to the current principal."""

    action: str
    target: str
    scope_path: str
    outcome: str = "OK"
    detail: Mapping[str, object] = field(default_factory=dict)
    actor: str | None = None
    actor_tenant: str | None = None


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    rows_checked: int
    first_broken_seq: int = 0
    problem: str = ""


def row_hash(row: Mapping[str, object]) -> str:
    canonical = json.dumps(
        [row[k] for k in _HASHED_FIELDS], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def append(tx: Connection, event: AuditEvent) -> int:
    """Append ``event`` in the caller's transaction; returns its sequence number."""
    principal = optional_principal()
    head = tx.execute(
        select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1).with_for_update()
    ).one()
    row: dict[str, object] = {
        "seq": head.seq + 1,
        "event_time": datetime.now(UTC).isoformat(timespec="microseconds"),
        "actor": event.actor or (principal.subject if principal else "anonymous"),
        "actor_tenant": event.actor_tenant
        if event.actor_tenant is not None
        else (principal.tenant_id if principal else ""),
        "action": event.action,
        "target": event.target,
        "scope_path": event.scope_path,
        "outcome": event.outcome,
        "trace_id": current_trace_id(),
        "request_id": current_request_id(),
        "detail": json.dumps(dict(event.detail), ensure_ascii=False, sort_keys=True),
        "prev_hash": head.hash,
    }
    row["hash"] = row_hash(row)
    tx.execute(insert(audit_event).values(**row))
    tx.execute(
        update(audit_head).where(audit_head.c.id == 1).values(seq=row["seq"], hash=row["hash"])
    )
    return int(row["seq"])  # type: ignore[call-overload]


def verify(conn: Connection, batch: int = 5000) -> ChainReport:
    """Walk the chain from the first row and check every hash, link and the head.

    The head is read first and rows after it are ignored: they were appended while this ran
    (a row and the head move in one transaction), so no snapshot is needed.
    """
    head = conn.execute(
        select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
    ).one()
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    last_seq = 0
    while last_seq < head.seq:
        rows = (
            conn.execute(
                select(audit_event)
                .where(audit_event.c.seq > last_seq, audit_event.c.seq <= head.seq)
                .order_by(audit_event.c.seq)
                .limit(batch)
            )
            .mappings()
            .all()
        )
        if not rows:
            break
        for row in rows:
            checked += 1
            if row["seq"] != expected_seq:
                return ChainReport(False, checked, expected_seq, "ROW_MISSING")
            if row["prev_hash"] != expected_prev or row_hash(dict(row)) != row["hash"]:
                return ChainReport(False, checked, row["seq"], "ROW_CHANGED")
            expected_prev, expected_seq = row["hash"], expected_seq + 1
            last_seq = row["seq"]
    if head.seq != last_seq or head.hash != expected_prev:
        return ChainReport(False, checked, last_seq + 1, "HEAD_MISMATCH")
    return ChainReport(True, checked)
