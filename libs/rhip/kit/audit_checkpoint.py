"""Signed checkpoints of the audit chain: what a purge deleted, and where the chain goes on.

Before the oldest events of a log are deleted (``rhip.kit.audit_purge``), a checkpoint records
the sequence and hash of the last one (the chain's new anchor), how many were deleted, their
time range and a digest of their hashes, and is signed. Verification (``audit.verify``) then
checks the checkpoints and walks the remaining events from the newest anchor. Each checkpoint
also names the digest of the one before it, so the checkpoints form a chain of their own.

The key: an Ed25519 key derived from the cell secret (HKDF, as the e-health-card key is),
not identity's token keys. Those live in identity's database, next to the log they would
vouch for (whoever can rewrite the log could then re-sign it), rotate every few weeks and
retire, while a checkpoint must verify for years; and archives, run apart, does not hold them.
The cell secret lives outside every database, is held by each service of the cell, and
changing it already means re-sealing every personal identifier, so it is stable. The signed
text names the cell and the log (``identity``, ``archives``): a checkpoint moved to another
log does not verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from rhip.kit.pii import derive_key
from rhip.kit.schema import audit_checkpoint
from sqlalchemy import Connection, func, select

SIGNING_LABEL = b"rhip/audit/checkpoint/ed25519/v1"
FORMAT = "rhip-audit-checkpoint/1"
GENESIS = "0" * 64


@dataclass(frozen=True)
class Checkpoint:
    """One purge's record (a row of ``audit_checkpoint``). Times are the log's own text
    format (ISO 8601, UTC, microseconds); ``cutoff`` is the retention boundary used."""

    number: int
    first_seq: int
    last_seq: int
    anchor_hash: str
    event_count: int
    first_time: str
    last_time: str
    cutoff: str
    digest: str
    prev_digest: str
    create_time: str
    key_id: str
    signature: str = ""

    def body(self, cell: str, log: str) -> bytes:
        """The signed text: every field but the signature, with the cell and the log."""
        fields = {k: v for k, v in asdict(self).items() if k != "signature"}
        return json.dumps(
            {"format": FORMAT, "cell": cell, "log": log, **fields},
            sort_keys=True,
            separators=(",", ":"),
        ).encode()

    def chain_digest(self) -> str:
        """What the next checkpoint names as ``prev_digest``: this one, signature included."""
        fields = json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(fields.encode()).hexdigest()


class AuditSeal:
    """Signs and checks the checkpoints of one log (``log``: the service) of one cell."""

    def __init__(self, secret: bytes, cell: str, log: str) -> None:
        self._private = Ed25519PrivateKey.from_private_bytes(derive_key(secret, SIGNING_LABEL))
        self._public = self._private.public_key()
        raw = self._public.public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = _b64(hashlib.sha256(raw).digest())[:16]
        self.cell = cell
        self.log = log

    def sign(self, checkpoint: Checkpoint) -> str:
        return _b64(self._private.sign(checkpoint.body(self.cell, self.log)))

    def verifies(self, checkpoint: Checkpoint) -> bool:
        if checkpoint.key_id != self.key_id:
            return False
        try:
            signature = base64.urlsafe_b64decode(checkpoint.signature + "==")
            self._public.verify(signature, checkpoint.body(self.cell, self.log))
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _checkpoint(row: Any) -> Checkpoint:
    return Checkpoint(**{k: row[k] for k in Checkpoint.__dataclass_fields__})


def latest(conn: Connection) -> Checkpoint | None:
    row = (
        conn.execute(select(audit_checkpoint).order_by(audit_checkpoint.c.number.desc()).limit(1))
        .mappings()
        .first()
    )
    return _checkpoint(row) if row else None


def latest_number(conn: Connection) -> int:
    return conn.execute(select(func.max(audit_checkpoint.c.number))).scalar() or 0


def insert(conn: Connection, checkpoint: Checkpoint) -> None:
    conn.execute(audit_checkpoint.insert().values(**asdict(checkpoint)))


@dataclass(frozen=True)
class Anchor:
    """Where the remaining chain starts: after ``seq``, linking to ``hash``; or the problem
    (``CHECKPOINT_*``) and the number of the first checkpoint that failed."""

    seq: int = 0
    hash: str = GENESIS
    checkpoints: int = 0
    problem: str = ""
    bad_checkpoint: int = 0


def verified_anchor(conn: Connection, seal: AuditSeal | None, batch: int = 1000) -> Anchor:
    """Check every checkpoint, oldest first: numbered without a gap, signed by ``seal``'s key
    for this cell and log, each starting where the one before ended and naming its digest.
    The newest one is the anchor. No checkpoints: the chain starts at its genesis."""
    anchor = Anchor()
    previous: Checkpoint | None = None
    while True:
        rows = (
            conn.execute(
                select(audit_checkpoint)
                .where(audit_checkpoint.c.number > (previous.number if previous else 0))
                .order_by(audit_checkpoint.c.number)
                .limit(batch)
            )
            .mappings()
            .all()
        )
        if not rows:
            return anchor
        for row in rows:
            cp = _checkpoint(row)
            expected_number = previous.number + 1 if previous else 1
            if seal is None:
                return Anchor(problem="CHECKPOINT_UNVERIFIED", bad_checkpoint=cp.number)
            if cp.number != expected_number:
                return Anchor(problem="CHECKPOINT_MISSING", bad_checkpoint=expected_number)
            if not seal.verifies(cp):
                return Anchor(problem="CHECKPOINT_FORGED", bad_checkpoint=cp.number)
            links = (
                cp.first_seq == (previous.last_seq + 1 if previous else 1)
                and cp.prev_digest == (previous.chain_digest() if previous else GENESIS)
                and cp.event_count == cp.last_seq - cp.first_seq + 1
            )
            if not links:
                return Anchor(problem="CHECKPOINT_CHAIN", bad_checkpoint=cp.number)
            previous = cp
            anchor = Anchor(cp.last_seq, cp.anchor_hash, cp.number)
