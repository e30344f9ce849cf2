"""The cell's signing keys for what it prints or signs for good (e-health-card codes, birth
certificates' printed codes, teleconsultation opinion reports), and their rotation.

A certificate lives for a lifetime and a report for 30 years, so a rotation must not orphan
what was signed before: the cell signs only with its current signing secret
(``RHIP_SIGNING_KEY``, by default ``RHIP_SECRET_KEY``) and verifies, by key id, with the
current one and every retired one (``RHIP_RETIRED_SIGNING_KEYS``); it publishes all their
public keys. Of a retired secret only the public half is kept in memory.

Only signing keys rotate here. The keys that keep data findable (personal identifiers' keyed
digests and encryption, rhip.kit.pii; card ids; the audit checkpoint seal; identity's token
keys at rest) stay derived from ``RHIP_SECRET_KEY``, which this rotation never changes:
re-deriving them from a new secret would silently stop every stored digest from matching.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from rhip.kit.config import ConfigError, Settings
from rhip.kit.pii import derive_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SigningSecrets:
    """The current signing secret and the retired ones (newest first), 32 bytes each."""

    current: bytes
    retired: tuple[bytes, ...] = ()

    @classmethod
    def of(cls, secret: bytes | SigningSecrets) -> SigningSecrets:
        """A bare secret is a keyring of one (no rotation yet)."""
        return secret if isinstance(secret, SigningSecrets) else cls(secret)


def signing_secrets(settings: Settings, cell_secret: bytes) -> SigningSecrets:
    """The cell's signing secrets: ``RHIP_SIGNING_KEY`` or, without it, the cell secret (so a
    cell that never rotated signs exactly as before), and the retired ones."""
    current = settings.signing_key or cell_secret
    retired = settings.retired_signing_keys
    if current in retired:  # the development secret file, unknown when settings were loaded
        raise ConfigError(
            "RHIP_RETIRED_SIGNING_KEYS lists the current signing secret: a key is current or "
            "retired, not both"
        )
    if settings.signing_key is not None and cell_secret not in (current, *retired):
        log.warning(
            "RHIP_SIGNING_KEY signs in place of RHIP_SECRET_KEY, which is not among "
            "RHIP_RETIRED_SIGNING_KEYS: what was signed before the first rotation no longer "
            "verifies (list it there unless its keys were compromised)"
        )
    return SigningSecrets(current, retired)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def jwk_kid(public: Ed25519PublicKey) -> str:
    """The key id of a published JSON Web Key: the first 16 characters of the base64url
    SHA-256 of the raw public key (the e-health card's and the printed codes')."""
    return b64url(hashlib.sha256(raw_public(public)).digest())[:16]


class Ed25519Keyring:
    """One kind of document's keys, derived from each signing secret under ``label`` (HKDF):
    the current key signs; every key, current or retired, verifies by its id (``kid_of``)."""

    def __init__(
        self,
        secrets: bytes | SigningSecrets,
        label: bytes,
        kid_of: Callable[[Ed25519PublicKey], str] = jwk_kid,
    ) -> None:
        secrets = SigningSecrets.of(secrets)
        self._private = Ed25519PrivateKey.from_private_bytes(derive_key(secrets.current, label))
        self.public = self._private.public_key()
        self.kid = kid_of(self.public)
        keys = {self.kid: self.public}
        for secret in secrets.retired:
            public = Ed25519PrivateKey.from_private_bytes(derive_key(secret, label)).public_key()
            keys.setdefault(kid_of(public), public)
        self.keys: dict[str, Ed25519PublicKey] = keys  # current first, then retired ones

    @property
    def retired_kids(self) -> Sequence[str]:
        return [kid for kid in self.keys if kid != self.kid]

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data)

    def public_jwks(self) -> list[dict[str, str]]:
        """Every verifying key as a JSON Web Key, the current one first."""
        return [
            {
                "kid": kid,
                "kty": "OKP",
                "crv": "Ed25519",
                "x": b64url(raw_public(public)),
                "alg": "EdDSA",
                "use": "sig",
            }
            for kid, public in self.keys.items()
        ]
