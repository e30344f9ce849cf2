"""The resident locator's own settings (``RHIP_LOCATOR_*``), read by the gateway process that
serves it, from the environment the shared settings carry (``Settings.env``).

``RHIP_LOCATOR_KEYS``: the platform keys of the keyed digests, ``id=base64-secret`` pairs
separated by commas, the current key first. Rotation (docs/architecture.md, "Resident
locator"): add the new key in front (lookups then match digests under every listed key, new
claims are written under the new one), run ``rhip admin locator-backfill`` in every cell (it
re-claims each open record under the current key from the cells' clear documents), then
``rhip admin locator-purge-key <old id>`` and drop the old key from the list.
In development without it, one key (id ``dev``) is derived from ``RHIP_SECRET_KEY`` (or, with
no secret either, from a fixed development-only constant).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from rhip.kit.config import ConfigError, Settings

KEYS = "RHIP_LOCATOR_KEYS"
MIN_KEY_BYTES = 32


@dataclass(frozen=True)
class LocatorSettings:
    database_url: str
    keys: tuple[tuple[str, bytes], ...]  # (key id, secret), the current key first

    def __repr__(self) -> str:  # never print the keys
        return f"LocatorSettings(keys={[k for k, _ in self.keys]})"


def load_locator_settings(settings: Settings) -> LocatorSettings:
    env = settings.env
    url = env.get("RHIP_LOCATOR_DATABASE_URL") or settings.database_urls.get("locator", "")
    url = url or f"sqlite:///{settings.data_dir / 'platform' / 'locator'}.db"
    raw = env.get(KEYS, "")
    if raw:
        return LocatorSettings(url, _parse_keys(raw))
    if not settings.development:
        raise ConfigError(f"{KEYS} is required outside development mode")
    # Development only: stable across restarts so that the demo's claims stay found.
    base = settings.secret_key or b"rhip-development-only-locator-key"
    derived = hmac.new(base, b"rhip-locator-key", hashlib.sha256).digest()
    return LocatorSettings(url, (("dev", derived),))


def _parse_keys(raw: str) -> tuple[tuple[str, bytes], ...]:
    keys: list[tuple[str, bytes]] = []
    for part in raw.split(","):
        key_id, _, encoded = part.strip().partition("=")
        if not key_id.isalnum() or len(key_id) > 20:
            raise ConfigError(f"{KEYS}: each key is id=base64, the id 1-20 letters or digits")
        try:
            secret = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise ConfigError(f"{KEYS}: the key {key_id!r} is not base64") from None
        if len(secret) < MIN_KEY_BYTES:
            raise ConfigError(f"{KEYS}: the key {key_id!r} must have at least 32 bytes")
        if key_id in {k for k, _ in keys}:
            raise ConfigError(f"{KEYS}: the key id {key_id!r} appears twice")
        keys.append((key_id, secret))
    return tuple(keys)
