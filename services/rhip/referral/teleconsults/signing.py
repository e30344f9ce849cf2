"""The opinion report's signature: the cell's report key, derived from the cell secret (its
public half published by GetReportSigningKey), and the check anyone, another cell included,
makes with a published key."""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from rhip.kit.pii import derive_key

SIGNING_LABEL = b"rhip-referral-opinion-report-signing-v1"


class ReportSigner:
    """The cell's opinion-report key, derived from the cell secret; its public half is
    published (GetReportSigningKey) so anyone can verify a report."""

    def __init__(self, secret: bytes) -> None:
        self._private = Ed25519PrivateKey.from_private_bytes(derive_key(secret, SIGNING_LABEL))
        raw = self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_key = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        self.key_id = "report-" + base64.urlsafe_b64encode(raw[:9]).decode()

    def sign(self, digest: str) -> str:
        return base64.urlsafe_b64encode(self._private.sign(digest.encode())).decode().rstrip("=")


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
