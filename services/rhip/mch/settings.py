"""The mch service's own settings (``RHIP_MCH_*``), loaded from the process environment the
shared settings carry (``Settings.env``); a bad value fails the cell's start with a
ConfigError naming the variable.

Risk grading's criteria are rule packs (risk/packs/*.json), loaded and validated at start; a
region selects its pack with ``RHIP_MCH_RISK_PACKS=320300=six-colour,370400=national-five-colour``
(the most specific region containing the grading institution wins; the national five-colour
pack elsewhere). Changing the selection applies to new assessments; earlier ones keep the pack
and version they were graded with. ``RHIP_MCH_EYE_COVERAGE_TARGETS=320300=95`` sets a region's
0–6 eye-check coverage target in percent (``RHIP_MCH_EYE_COVERAGE_TARGET``, 90, elsewhere)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache

from rhip.kit.config import ConfigError, env_int
from rhip.kit.tenancy import is_region_code
from rhip.mch.risk.domain import RulePackError, RulePacks, load_packs

_ITEM = re.compile(r"^(\d{6})=([a-z0-9-]{3,40})$")
_TARGET = re.compile(r"^(\d{6})=(\d{1,3})$")


@cache
def shipped_packs() -> RulePacks:
    """The packs shipped in risk/packs (read once per process)."""
    return load_packs()


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
    # The rule packs and the region → pack selection.
    risk_packs: RulePacks = field(default_factory=shipped_packs)
    # 0–6 eye-check coverage target in percent (DOMAIN §3.4: ≥ 90 %), per region.
    eye_coverage_target: int = 90
    eye_coverage_targets: Mapping[str, int] = field(default_factory=dict)
    # Birth-certificate blank stock (DOMAIN §4.4): provinces that switched the annual quota
    # rule on, and the quota as a share of last year's live births (Jiangxi: 120 %). A request
    # above it waits for approval from above.
    bmc_quota_provinces: frozenset[str] = frozenset()
    bmc_quota_percent: int = 120
    # Certificate verification: a caller's NOT_FOUND answers (unknown number or wrong name)
    # allowed per window before every verification of that caller is refused for a while.
    # National reporting (DOMAIN §4.6): the due time of an issue's event, and of a void's
    # (Hubei: report a void within 2 hours); later events are listed as overdue.
    bmc_issue_report_hours: int = 24
    bmc_void_report_hours: int = 2
    bmc_verify_misses: int = 20
    bmc_verify_window_seconds: int = 3600
    # How long identity's answer about an issuing institution (its entry, its qualifications)
    # is reused before it is asked again: a revoked qualification or a suspension stops its
    # certificates at most this long later (certificates/issuers.py). 0: asked every time.
    bmc_issuer_cache_seconds: int = 10
    # Late first applications (DOMAIN §4.3, Zhejiang): more than this many days after the birth
    # an explanation is required, more than the second ("1 year") a parentage test too.
    bmc_late_explanation_days: int = 30
    bmc_late_parentage_days: int = 365

    def eye_target(self, code: str) -> int:
        """The target of the most specific configured region containing ``code``."""
        for candidate in (code, code[:4] + "00", code[:2] + "0000"):
            if candidate in self.eye_coverage_targets:
                return self.eye_coverage_targets[candidate]
        return self.eye_coverage_target


def load_risk_packs(env: Mapping[str, str], packs: RulePacks | None = None) -> RulePacks:
    """The packs with ``RHIP_MCH_RISK_PACKS`` applied; ConfigError on a bad pack file, a
    malformed item, an unknown region or an unknown pack id."""
    name = "RHIP_MCH_RISK_PACKS"
    if packs is None:
        try:
            packs = shipped_packs()
        except RulePackError as e:
            raise ConfigError(str(e)) from None
    by_region: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in (env.get(name) or "").split(","))):
        match = _ITEM.match(item)
        if not match or not is_region_code(match.group(1)):
            raise ConfigError(f"{name}: {item!r} should look like 320300=six-colour")
        if match.group(2) not in packs.current:
            known = ", ".join(sorted(packs.current))
            raise ConfigError(f"{name}: {item!r}: no rule pack {match.group(2)} (known: {known})")
        by_region[match.group(1)] = match.group(2)
    return replace(packs, by_region=by_region)


def _eye_targets(env: Mapping[str, str]) -> dict[str, int]:
    name = "RHIP_MCH_EYE_COVERAGE_TARGETS"
    targets: dict[str, int] = {}
    for item in filter(None, (p.strip() for p in (env.get(name) or "").split(","))):
        match = _TARGET.match(item)
        if not match or not is_region_code(match.group(1)) or not 1 <= int(match.group(2)) <= 100:
            raise ConfigError(f"{name}: {item!r} should look like 320300=95 (1–100 percent)")
        targets[match.group(1)] = int(match.group(2))
    return targets


def _provinces(env: Mapping[str, str]) -> frozenset[str]:
    name = "RHIP_MCH_BMC_QUOTA_PROVINCES"
    codes = frozenset(filter(None, (p.strip() for p in (env.get(name) or "").split(","))))
    for code in codes:
        if not is_region_code(code) or not code.endswith("0000"):
            raise ConfigError(f"{name}: {code!r} is not a province code (e.g. 320000)")
    return codes


def _late_days(env: Mapping[str, str]) -> tuple[int, int]:
    """The two late-application thresholds; the parentage test's must come after the
    explanation's (an application needing a test without an explanation makes no sense)."""
    explanation = env_int(env, "RHIP_MCH_BMC_LATE_EXPLANATION_DAYS", 30, 1, 3660)
    parentage = env_int(env, "RHIP_MCH_BMC_LATE_PARENTAGE_DAYS", 365, 1, 36600)
    if parentage <= explanation:
        raise ConfigError(
            f"RHIP_MCH_BMC_LATE_PARENTAGE_DAYS ({parentage}) must be more than "
            f"RHIP_MCH_BMC_LATE_EXPLANATION_DAYS ({explanation})"
        )
    return explanation, parentage


def load_mch_settings(env: Mapping[str, str]) -> MchSettings:
    """mch's settings from ``env``; raises ConfigError naming the first bad variable."""
    late_explanation, late_parentage = _late_days(env)
    return MchSettings(
        local_registration_weeks=env_int(env, "RHIP_MCH_LOCAL_REGISTRATION_WEEKS", 13, 6, 13),
        max_newborns=env_int(env, "RHIP_MCH_MAX_NEWBORNS", 6, 1, 9),
        check_42d_grace_days=env_int(env, "RHIP_MCH_CHECK_42D_GRACE_DAYS", 14, 0, 28),
        risk_packs=load_risk_packs(env),
        eye_coverage_target=env_int(env, "RHIP_MCH_EYE_COVERAGE_TARGET", 90, 1, 100),
        eye_coverage_targets=_eye_targets(env),
        bmc_quota_provinces=_provinces(env),
        bmc_quota_percent=env_int(env, "RHIP_MCH_BMC_QUOTA_PERCENT", 120, 1, 1000),
        bmc_issue_report_hours=env_int(env, "RHIP_MCH_BMC_ISSUE_REPORT_HOURS", 24, 1, 720),
        bmc_void_report_hours=env_int(env, "RHIP_MCH_BMC_VOID_REPORT_HOURS", 2, 0, 720),
        bmc_verify_misses=env_int(env, "RHIP_MCH_BMC_VERIFY_MISSES", 20, 1, 100000),
        bmc_verify_window_seconds=env_int(env, "RHIP_MCH_BMC_VERIFY_WINDOW_SECONDS", 3600, 1),
        bmc_issuer_cache_seconds=env_int(env, "RHIP_MCH_BMC_ISSUER_CACHE_SECONDS", 10, 0, 300),
        bmc_late_explanation_days=late_explanation,
        bmc_late_parentage_days=late_parentage,
    )
