"""Blood routine and hearing screening at a child visit (DOMAIN §3.3) as plain Python: the
haemoglobin value with its anaemia flag, and the hearing screen per ear. Both are recorded at
the visits marked for them (blood routine at 6–8, 18 and 30 months; hearing at 6, 12, 24 and 36
months) or at a catch-up visit outside every window, as the eye items are. No gRPC, no SQL."""

from __future__ import annotations

from enum import Enum

from rhip.kit.errors import Violations

# Anaemia cut-offs by age (WHO 2011 haemoglobin thresholds, adopted by WS/T 441-2013 人群贫血筛查
# 方法): below 110 g/L at 6–59 months, below 115 g/L at 5–11 years. Neither defines one before
# 6 months, so the value is not taken earlier.
BLOOD_FROM_MONTHS = 6
ANAEMIA_CUTOFFS: tuple[tuple[int, float], ...] = ((6, 110.0), (60, 115.0))  # (from month, g/L)
HAEMOGLOBIN_RANGE = (30.0, 250.0)  # g/L a living child can have; outside it is a typing error


def anaemia_cutoff(age_months: int) -> float:
    cutoff = 0.0
    for months, value in ANAEMIA_CUTOFFS:
        if age_months >= months:
            cutoff = value
    return cutoff


class Hearing(Enum):
    PASS = "PASS"  # 通过
    REFER = "REFER"  # 未通过: refer for diagnosis


def check_screening(
    blood_due: bool, hearing_due: bool, age_months: int, haemoglobin: float,
    left: Hearing | None, right: Hearing | None, checks: Violations,
) -> bool:  # fmt: skip
    """Checks the values (0 / None: not screened); answers whether the child is anaemic.
    ``blood_due``, ``hearing_due``: the visit's slot is marked for it (or the visit is outside
    every window)."""
    anaemic = False
    if haemoglobin:
        low, high = HAEMOGLOBIN_RANGE
        if not low <= haemoglobin <= high:  # NaN and negatives fail too
            checks.add(
                "visit.haemoglobin_g_l", f"must be {low:g}–{high:g} g/L", "MEASURE_OUT_OF_RANGE"
            )
        elif age_months < BLOOD_FROM_MONTHS:
            checks.add(
                "visit.haemoglobin_g_l", "haemoglobin is screened from 6 months",
                "BLOOD_ROUTINE_TOO_YOUNG",
            )  # fmt: skip
        elif not blood_due:
            checks.add(
                "visit.haemoglobin_g_l", "blood routine is not due at this visit",
                "BLOOD_ROUTINE_NOT_DUE",
            )  # fmt: skip
        else:
            anaemic = haemoglobin < anaemia_cutoff(age_months)
    if left is not None or right is not None:
        if left is None or right is None:
            field = "visit.hearing_left" if left is None else "visit.hearing_right"
            checks.add(field, "screen both ears (pass or refer)", "HEARING_BOTH_EARS")
        if not hearing_due:
            checks.add(
                "visit.hearing_left", "hearing screening is not due at this visit",
                "HEARING_NOT_DUE",
            )  # fmt: skip
    return anaemic
