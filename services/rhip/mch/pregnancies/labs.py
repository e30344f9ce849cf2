"""Laboratory results of antenatal checks: the first check's health assessment takes blood
routine, urine routine, blood type, liver and kidney function and hepatitis B (DOMAIN §3.1,
孕产妇健康管理服务规范). Results often come back days after the check, so a pregnancy shows
which of these items no check of hers has a result for yet, and results are added to the check
they belong to. No gRPC, no SQL.

Stored as a small dict per visit: numbers under their unit's name, the coded results as the
enum's short name (``NEGATIVE``, ``PLUS_2``, ``A``…)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rhip.kit.errors import Violations

# Plausible ranges, not reference ranges: a value outside is a typing or unit error.
LAB_RANGES = {
    "haemoglobin_g_per_l": (30.0, 250.0),
    "platelets_10e9_per_l": (1.0, 1500.0),
    "alt_u_per_l": (1.0, 5000.0),
    "creatinine_umol_per_l": (10.0, 2000.0),
}
URINE = ("NEGATIVE", "TRACE", "PLUS_1", "PLUS_2", "PLUS_3", "PLUS_4")
LAB_CODES = {
    "urine_protein": URINE,
    "urine_glucose": URINE,
    "abo_group": ("A", "B", "AB", "O"),
    "rh_d": ("NEGATIVE", "POSITIVE"),
    "hbsag": ("NEGATIVE", "POSITIVE"),
}
# Each item of the first check and the results that make it done.
FIRST_CHECK_ITEMS = {
    "BLOOD_ROUTINE": ("haemoglobin_g_per_l",),
    "URINE_ROUTINE": ("urine_protein",),
    "BLOOD_TYPE": ("abo_group", "rh_d"),
    "LIVER_FUNCTION": ("alt_u_per_l",),
    "KIDNEY_FUNCTION": ("creatinine_umol_per_l",),
    "HEPATITIS_B": ("hbsag",),
}
# Anaemia in pregnancy: haemoglobin below 110 g/L (WHO; the Chinese Society of Perinatal
# Medicine's 2014 guideline on iron deficiency and anaemia in pregnancy).
ANAEMIA_BELOW_G_PER_L = 110.0


def check_labs(labs: Mapping[str, object], field: str, checks: Violations) -> dict[str, object]:
    """The results given (0 or "" = not given), each within its range or among its codes; every
    bad item is reported at once under ``{field}.{item}``."""
    kept: dict[str, object] = {}
    for name, value in labs.items():
        if name in LAB_RANGES:
            number = float(value)  # type: ignore[arg-type]
            if number == 0:
                continue
            low, high = LAB_RANGES[name]
            if not (low <= number <= high):  # NaN fails too
                checks.add(f"{field}.{name}", f"must be {low:g}–{high:g}", "LAB_OUT_OF_RANGE")
                continue
            kept[name] = number
        elif value:
            if value not in LAB_CODES[name]:
                checks.add(f"{field}.{name}", "is not a known value", "LAB_VALUE")
                continue
            kept[name] = value
    return kept


def already_recorded(existing: Mapping[str, object], added: Mapping[str, object]) -> list[str]:
    """The items of ``added`` the check has a result for already (a result is never overwritten:
    a correction is a clinical act of its own, not an edit)."""
    return sorted(name for name in added if name in existing)


def first_check_pending(all_labs: Iterable[Mapping[str, object]]) -> list[str]:
    """The first-check items no check has every result for yet, in the order of §3.1."""
    known: set[str] = set()
    for labs in all_labs:
        known.update(labs)
    return [
        item
        for item, needs in FIRST_CHECK_ITEMS.items()
        if not all(name in known for name in needs)
    ]


def anaemia(labs: Mapping[str, object]) -> bool:
    value = labs.get("haemoglobin_g_per_l")
    return isinstance(value, float) and value < ANAEMIA_BELOW_G_PER_L
