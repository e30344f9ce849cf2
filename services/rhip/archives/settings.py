"""The archives service's own settings (``RHIP_ARCHIVES_*``), loaded from the process
environment the shared settings carry (``Settings.env``); a bad value fails the cell's start
with a ConfigError naming the variable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rhip.kit.config import ConfigError, env_int


@dataclass(frozen=True)
class ArchivesSettings:
    # Hypertension follow-up: the BP target from this age (docs/domain §2.6 marks 150/90 for
    # people aged 65 and over as uncertain, so it is configuration).
    elderly_age: int = 65
    elderly_bp_target: tuple[int, int] = (150, 90)
    # How often archives reads identity's resident change feed (deaths, merges).
    resident_events_interval_seconds: float = 5.0
    # Record transfers: the days a managing institution has to answer a transfer request
    # before either institution may escalate it to the county administrators of both sides
    # (a platform rule, not a national one, so it is configuration).
    transfer_escalation_days: int = 14


def load_archives_settings(env: Mapping[str, str]) -> ArchivesSettings:
    """Archives' settings from ``env``; raises ConfigError naming the first bad variable."""
    return ArchivesSettings(
        elderly_age=env_int(env, "RHIP_ARCHIVES_ELDERLY_AGE", 65, 18),
        elderly_bp_target=_bp_target(env),
        resident_events_interval_seconds=_resident_events_interval(env),
        transfer_escalation_days=env_int(env, "RHIP_ARCHIVES_TRANSFER_ESCALATION_DAYS", 14, 1, 365),
    )


def _bp_target(env: Mapping[str, str]) -> tuple[int, int]:
    """``RHIP_ARCHIVES_ELDERLY_BP_TARGET=150/90``."""
    name = "RHIP_ARCHIVES_ELDERLY_BP_TARGET"
    raw = env.get(name) or "150/90"
    systolic, _, diastolic = raw.partition("/")
    if not (systolic.isdigit() and diastolic.isdigit()) or not (
        90 <= int(systolic) <= 200 and 50 <= int(diastolic) <= 120
    ):
        raise ConfigError(f"{name} must look like 150/90, got {raw!r}")
    return int(systolic), int(diastolic)


def _resident_events_interval(env: Mapping[str, str]) -> float:
    """``RHIP_ARCHIVES_RESIDENT_EVENTS_INTERVAL_MS``: 50 ms to 1 hour, default 5 s."""
    name = "RHIP_ARCHIVES_RESIDENT_EVENTS_INTERVAL_MS"
    millis = env_int(env, name, 5000, 50)
    if millis > 3_600_000:
        raise ConfigError(f"{name} must be at most 3600000 (one hour)")
    return millis / 1000
