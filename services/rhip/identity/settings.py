"""The identity service's own settings (``RHIP_*`` variables it alone reads): tokens, login
lockout, password hashing and policy, e-health-card QR lifetimes. Loaded from the process
environment the shared settings carry (``Settings.env``); a bad value fails the cell's start
with a ConfigError naming the variable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rhip.kit.config import ConfigError, env_int
from rhip.kit.tenancy import is_region_code

# Character classes a password policy may require (rhip.identity.passwords checks them).
PASSWORD_CLASSES = ("letter", "lower", "upper", "digit", "symbol")
PASSWORD_HISTORY_MAX = 24


@dataclass(frozen=True)
class IdentitySettings:
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 12 * 3600
    login_max_failures: int = 5
    lockout_seconds: int = 900
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    # The password policy: minimum length, the character classes every password must contain,
    # and how many recent passwords (the current one included) a change may not reuse; 0
    # refuses only the current one.
    password_min_length: int = 12
    password_character_classes: tuple[str, ...] = ("letter", "digit")
    password_history: int = 0
    # Dynamic e-health-card QR codes: default TTL and per-region overrides (docs/domain §7.1:
    # no national value exists, so it is configuration).
    card_qr_ttl_seconds: int = 60
    card_qr_ttl_by_region: Mapping[str, int] = field(default_factory=dict)
    # Residents linked across cells (links/worker.py): how often the worker announces queued
    # residents and reads the linked cells' change feeds (a registration wakes it at once).
    links_interval_seconds: float = 5.0

    def card_qr_ttl(self, region_code: str) -> int:
        """The TTL of the most specific region at or above ``region_code`` that has one."""
        for prefix_len in (6, 4, 2):
            code = region_code[:prefix_len].ljust(6, "0")
            if code in self.card_qr_ttl_by_region:
                return self.card_qr_ttl_by_region[code]
        return self.card_qr_ttl_seconds


def load_identity_settings(env: Mapping[str, str]) -> IdentitySettings:
    """Identity's settings from ``env``; raises ConfigError naming the first bad variable."""
    return IdentitySettings(
        access_token_ttl_seconds=env_int(env, "RHIP_ACCESS_TOKEN_TTL_SECONDS", 900, 1),
        refresh_token_ttl_seconds=env_int(env, "RHIP_REFRESH_TOKEN_TTL_SECONDS", 12 * 3600, 1),
        login_max_failures=env_int(env, "RHIP_LOGIN_MAX_FAILURES", 5, 1),
        lockout_seconds=env_int(env, "RHIP_LOCKOUT_SECONDS", 900, 1),
        argon2_time_cost=env_int(env, "RHIP_ARGON2_TIME_COST", 3, 1),
        argon2_memory_kib=env_int(env, "RHIP_ARGON2_MEMORY_KIB", 65536, 8),
        password_min_length=env_int(env, "RHIP_PASSWORD_MIN_LENGTH", 12, 8, 128),
        password_character_classes=_password_classes(env),
        password_history=env_int(env, "RHIP_PASSWORD_HISTORY", 0, 0, PASSWORD_HISTORY_MAX),
        card_qr_ttl_seconds=env_int(env, "RHIP_CARD_QR_TTL_SECONDS", 60, 5),
        card_qr_ttl_by_region=_ttl_by_region(env),
        links_interval_seconds=env_int(env, "RHIP_IDENTITY_LINKS_INTERVAL_MS", 5000, 50, 3_600_000)
        / 1000,
    )


def _ttl_by_region(env: Mapping[str, str]) -> dict[str, int]:
    """``RHIP_CARD_QR_TTL_BY_REGION=320300=30,370000=90``."""
    name = "RHIP_CARD_QR_TTL_BY_REGION"
    result: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in env.get(name, "").split(","))):
        code, _, seconds = item.partition("=")
        if not is_region_code(code.strip()) or not seconds.strip().isdigit():
            raise ConfigError(f"{name} must look like 320300=30,370000=90, got {item!r}")
        if not 5 <= int(seconds) <= 3600:
            raise ConfigError(f"{name}: a TTL must be 5–3600 seconds, got {item!r}")
        result[code.strip()] = int(seconds)
    return result


def _password_classes(env: Mapping[str, str]) -> tuple[str, ...]:
    """``RHIP_PASSWORD_CHARACTER_CLASSES=lower,upper,digit,symbol`` (default ``letter,digit``)."""
    name = "RHIP_PASSWORD_CHARACTER_CLASSES"
    raw = env.get(name) or "letter,digit"
    classes = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    unknown = [c for c in classes if c not in PASSWORD_CLASSES]
    if unknown or not classes:
        raise ConfigError(f"{name} must list classes of {', '.join(PASSWORD_CLASSES)}, got {raw!r}")
    return classes
