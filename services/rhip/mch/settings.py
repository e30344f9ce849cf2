"""The mch service's own settings (``RHIP_MCH_*``), loaded from the process environment the
shared settings carry (``Settings.env``); a bad value fails the cell's start with a
ConfigError naming the variable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rhip.kit.config import env_int


@dataclass(frozen=True)
class MchSettings:
    # Local handbooks often want registration earlier than the national 13 weeks (DOMAIN §3.1:
    # "no later than week 12" in some districts). The national early-registration flag stays
    # < 13w0d; this one marks registrations within the local deadline (weeks, 6–13).
    local_registration_weeks: int = 13
    # Most babies one delivery may record (DOMAIN gives none; sextuplets are the practical top).
    max_newborns: int = 6
    # The 42-day postpartum check is due on postpartum day 42 (DOMAIN §3.1); it counts as on
    # time up to this many days later (a programme choice, so configuration).
    check_42d_grace_days: int = 14


def load_mch_settings(env: Mapping[str, str]) -> MchSettings:
    """mch's settings from ``env``; raises ConfigError naming the first bad variable."""
    return MchSettings(
        local_registration_weeks=env_int(env, "RHIP_MCH_LOCAL_REGISTRATION_WEEKS", 13, 6, 13),
        max_newborns=env_int(env, "RHIP_MCH_MAX_NEWBORNS", 6, 1, 9),
        check_42d_grace_days=env_int(env, "RHIP_MCH_CHECK_42D_GRACE_DAYS", 14, 0, 28),
    )
