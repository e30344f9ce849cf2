"""Where a person's open health record is: one claim per open record, found by keyed digests
of the person's identity document. No document number, name or phone is kept: the digest
is HMAC-SHA256 under a platform key (its id stored beside it, so that keys rotate)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from rhip.kit.errors import FailedPrecondition


@dataclass(frozen=True)
class Claim:
    key_id: str
    digest: str  # hex HMAC-SHA256 of the document under the key ``key_id``
    cell: str
    resident_id: str
    record_id: str
    institution: str  # the managing institution's display name
    region_code: str


class Keyring:
    """The platform keys, the current one first; lookups match under every key."""

    def __init__(self, keys: tuple[tuple[str, bytes], ...]) -> None:
        if not keys:
            raise ValueError("the locator needs at least one key")
        self._keys = keys

    @property
    def current(self) -> str:
        return self._keys[0][0]

    def digests(self, document_type: str, number: str, country: str = "") -> list[tuple[str, str]]:
        """(key id, digest) of the document under each key, the current key first."""
        text = f"{document_type}:{country.strip().upper()}:{number.strip().upper()}".encode()
        return [
            (key_id, hmac.new(secret, text, hashlib.sha256).hexdigest())
            for key_id, secret in self._keys
        ]


def record_elsewhere(other: Claim) -> FailedPrecondition:
    """The refusal when another cell holds the person's open record: who manages it and
    where (no personal data), and that a cross-cell transfer can be requested."""
    return FailedPrecondition(
        "the person has an open health record in another cell; request a cross-cell "
        "transfer of it instead",
        reason="RECORD_EXISTS",
        metadata={
            "cell": other.cell,
            "managing_institution": other.institution,
            "region_code": other.region_code,
            "transfer": "RequestRecordTransfer",
        },
    )


def other_cells(claims: list[Claim], cell: str) -> list[Claim]:
    return [c for c in claims if c.cell != cell]
