"""The referral service's own settings (``RHIP_REFERRAL_*``), loaded from the environment the
shared settings carry; a bad value fails the cell's start with a ConfigError naming it.

National time limits for accepting a referral are unknown (docs/domain §5.1), so they are
configuration, per region: ``RHIP_REFERRAL_ACCEPT_HOURS`` and ``RHIP_REFERRAL_ARRIVE_DAYS``
for everyone, ``RHIP_REFERRAL_TIME_LIMITS=320311=24h/3d,370000=72h/10d`` for regions (the
most specific region containing the sending institution wins)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from rhip.kit.config import ConfigError, env_int
from rhip.kit.tenancy import is_region_code
from rhip.referral.referrals.domain import TimeLimit, TimeLimits
from rhip.referral.teleconsults.domain import MIN_PRACTICE_YEARS, MIN_RECORDING_DAYS

_LIMIT = re.compile(r"^(\d{6})=(\d{1,4})h/(\d{1,3})d$")


def load_suggestions_interval(env: Mapping[str, str]) -> float:
    """``RHIP_REFERRAL_SUGGESTIONS_INTERVAL_MS``: how often archives' referral suggestions are
    read (50 ms to 1 hour, default 10 s)."""
    name = "RHIP_REFERRAL_SUGGESTIONS_INTERVAL_MS"
    millis = env_int(env, name, 10_000, 50, 3_600_000)
    return millis / 1000


def load_recording_days(env: Mapping[str, str]) -> int:
    """``RHIP_REFERRAL_RECORDING_RETENTION_DAYS``: how long teleconsultation recordings are
    kept; at least 3 years (docs/domain §5.2), so it can be raised, never lowered."""
    return env_int(
        env, "RHIP_REFERRAL_RECORDING_RETENTION_DAYS", MIN_RECORDING_DAYS, MIN_RECORDING_DAYS
    )


def load_practice_years(env: Mapping[str, str]) -> int:
    """``RHIP_REFERRAL_CONSULTANT_PRACTICE_YEARS``: the years of independent practice a
    teleconsultation's consulting physician needs; at least 3 (docs/domain §5.2), at most 40."""
    return env_int(env, "RHIP_REFERRAL_CONSULTANT_PRACTICE_YEARS", MIN_PRACTICE_YEARS, MIN_PRACTICE_YEARS, 40)  # fmt: skip


def load_referral_settings(env: Mapping[str, str]) -> TimeLimits:
    default = TimeLimit(
        env_int(env, "RHIP_REFERRAL_ACCEPT_HOURS", 48, 1, 24 * 30),
        env_int(env, "RHIP_REFERRAL_ARRIVE_DAYS", 7, 1, 90),
    )
    name = "RHIP_REFERRAL_TIME_LIMITS"
    by_region: dict[str, TimeLimit] = {}
    for item in filter(None, (p.strip() for p in (env.get(name) or "").split(","))):
        match = _LIMIT.match(item)
        if not match or not is_region_code(match.group(1)):
            raise ConfigError(f"{name}: {item!r} should look like 320311=24h/3d")
        hours, days = int(match.group(2)), int(match.group(3))
        if not (1 <= hours <= 24 * 30 and 1 <= days <= 90):
            raise ConfigError(f"{name}: {item!r}: 1–720 hours, 1–90 days")
        by_region[match.group(1)] = TimeLimit(hours, days)
    return TimeLimits(default, by_region)
