"""The opinion report's signature: the cell's report keys, derived from the cell's signing
secrets (rhip.kit.signing_keys: the current key signs, retired ones go on verifying the reports
they signed, which are kept 15 to 30 years), their public halves published by
GetReportSigningKey, and the check anyone, another cell included, makes with a published key."""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rhip.kit.signing_keys import Ed25519Keyring, SigningSecrets, b64url, raw_public

SIGNING_LABEL = b"rhip-referral-opinion-report-signing-v1"


def report_kid(public: Ed25519PublicKey) -> str:
    """A report key's id: ``report-`` and the first 9 bytes of the raw key, base64url."""
    return "report-" + base64.urlsafe_b64encode(raw_public(public)[:9]).decode()


class ReportSigner:
    """The cell's opinion-report keys; their public halves are published (GetReportSigningKey)
    so anyone can verify a report, one signed before a rotation too."""

    def __init__(self, secret: bytes | SigningSecrets) -> None:
        self.ring = Ed25519Keyring(secret, SIGNING_LABEL, report_kid)
        self.key_id = self.ring.kid
        self.public_key = b64url(raw_public(self.ring.public))

    def published(self) -> dict[str, str]:
        """Every key that verifies this cell's reports (key id → raw public key, base64url),
        the current one first."""
        return {kid: b64url(raw_public(key)) for kid, key in self.ring.keys.items()}

    def public_key_of(self, key_id: str) -> str:
        """The published key ``key_id`` of this cell ("" when it holds none of that id)."""
        return self.published().get(key_id, "")

    def sign(self, digest: str) -> str:
        return b64url(self.ring.sign(digest.encode()))


def _unpadded(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signature_valid(public_key: str, signature: str, digest: str) -> bool:
    """Whether ``signature`` (base64url) is the Ed25519 signature of ``digest`` by
    ``public_key`` (raw, base64url), as GetReportSigningKey publishes it."""
    try:
        key = Ed25519PublicKey.from_public_bytes(_unpadded(public_key))
        key.verify(_unpadded(signature), digest.encode())
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
