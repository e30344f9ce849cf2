"""Electronic health card QR payloads (docs/domain §7.1): format, signing and offline checks.

Text of a payload, fields joined by ``:``::

    <card id, 64 hex>:<qr type>:<valid until>:<region>:<generation>:<nonce>:<kid>:<signature>

The first three fields follow the public e-health-card format (``<EHC-ID>:<qr-type>`` static,
``<EHC-ID>:<qr-type>:<valid-time>`` dynamic; type 0 dynamic, 1 static). ``valid until`` is Unix
seconds (0 for static codes); ``region`` is the issuing cell; ``generation`` changes when a
card is revoked and re-issued; ``nonce`` makes each dynamic code single-use. The signature is
Ed25519 over everything before it, so any service or scanner holding the cell's published keys
checks a payload offline; ``kid`` names the key, so payloads signed before a signing-key
rotation still verify with the retired key the cell goes on publishing (rhip.kit.signing_keys).
Revocation and single use need the issuing cell (its verify method).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rhip.kit.pii import derive_key
from rhip.kit.signing_keys import Ed25519Keyring, SigningSecrets

SIGNING_LABEL = b"rhip/healthcard/ed25519/v1"
CARD_ID_LABEL = b"rhip/healthcard/card-id/v1"

_CARD_ID = re.compile(r"^[0-9A-F]{64}$")
_NONCE = re.compile(r"^[0-9a-f]{16}$")


class QrType(Enum):
    DYNAMIC = "0"
    STATIC = "1"


class QrOutcome(Enum):
    VALID = "valid"
    MALFORMED = "malformed"  # not a payload of this format
    FORGED = "forged"  # signature does not verify, or unknown key
    EXPIRED = "expired"  # a dynamic code past its time
    REUSED = "reused"  # a dynamic code scanned before
    REVOKED = "revoked"  # the card or this generation of it was revoked
    WRONG_REGION = "wrong_region"  # issued by another cell


class QrRejected(Exception):
    def __init__(self, outcome: QrOutcome) -> None:
        super().__init__(outcome.value)
        self.outcome = outcome


@dataclass(frozen=True)
class QrClaims:
    card_id: str
    qr_type: QrType
    valid_until: int
    region: str
    generation: int
    nonce: str
    kid: str


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CardSigner:
    """The cell's card keys: the card-id key, derived from the cell secret, and the signing
    keyring (rhip.kit.signing_keys), derived from the signing secrets (HKDF labels above).

    Card ids are HMAC-SHA-256 of the resident id: stable for the resident's life, and
    meaningless without the secret; so their key never follows a signing-key rotation.
    Payloads are signed with the current signing key and verify with any key of the ring."""

    def __init__(self, secret: bytes, signing: SigningSecrets | None = None) -> None:
        self.ring = Ed25519Keyring(signing or SigningSecrets(secret), SIGNING_LABEL)
        self.public = self.ring.public
        self.kid = self.ring.kid
        self._card_id_key = derive_key(secret, CARD_ID_LABEL)

    @property
    def keys(self) -> Mapping[str, Ed25519PublicKey]:
        """Every key a payload of this cell may name (current and retired), by id."""
        return self.ring.keys

    def card_id(self, resident_id: str) -> str:
        return hmac.new(self._card_id_key, resident_id.encode(), hashlib.sha256).hexdigest().upper()

    def sign(self, claims: QrClaims) -> str:
        body = ":".join(
            (
                claims.card_id,
                claims.qr_type.value,
                str(claims.valid_until),
                claims.region,
                str(claims.generation),
                claims.nonce,
                self.kid,
            )
        )
        return f"{body}:{_b64url(self.ring.sign(body.encode()))}"

    def public_jwk(self) -> dict[str, str]:
        """The current key as a JSON Web Key."""
        return self.ring.public_jwks()[0]

    def public_jwks(self) -> list[dict[str, str]]:
        """Every key that verifies this cell's payloads, the current one first."""
        return self.ring.public_jwks()


def parse(payload: str) -> tuple[QrClaims, bytes, bytes]:
    """Split a payload into claims, signed bytes and signature; MALFORMED on any surprise."""
    parts = payload.strip().split(":")
    if len(parts) != 8:
        raise QrRejected(QrOutcome.MALFORMED)
    card_id, qr_type, valid_until, region, generation, nonce, kid, signature = parts
    try:
        claims = QrClaims(
            card_id=card_id,
            qr_type=QrType(qr_type),
            valid_until=int(valid_until),
            region=region,
            generation=int(generation),
            nonce=nonce,
            kid=kid,
        )
        raw_signature = _unb64url(signature)
    except (ValueError, binascii.Error):
        raise QrRejected(QrOutcome.MALFORMED) from None
    if not _CARD_ID.match(card_id) or not (len(region) == 6 and region.isdigit()):
        raise QrRejected(QrOutcome.MALFORMED)
    if claims.qr_type is QrType.DYNAMIC and not _NONCE.match(nonce):
        raise QrRejected(QrOutcome.MALFORMED)
    return claims, payload.strip().rsplit(":", 1)[0].encode(), raw_signature


def verify_offline(payload: str, keys: Mapping[str, Ed25519PublicKey], now: float) -> QrClaims:
    """What a scanner can check with the public keys alone: format, signature, expiry."""
    claims, signed, signature = parse(payload)
    key = keys.get(claims.kid)
    if key is None:
        raise QrRejected(QrOutcome.FORGED)
    try:
        key.verify(signature, signed)
    except InvalidSignature:
        raise QrRejected(QrOutcome.FORGED) from None
    if claims.qr_type is QrType.DYNAMIC and claims.valid_until <= now:
        raise QrRejected(QrOutcome.EXPIRED)
    return claims
