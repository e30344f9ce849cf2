"""What an antenatal or postpartum check measures (weight, blood pressure, fundal height, fetal
heart rate), each within a plausible range; 0 means not measured. No gRPC, no SQL."""

from __future__ import annotations

from rhip.kit.errors import Violations

MEASURE_RANGES = {
    "weight_kg": (30.0, 200.0),
    "systolic": (60.0, 260.0),
    "diastolic": (30.0, 160.0),
    "fundal_height_cm": (1.0, 50.0),
    "fetal_heart_rate": (60.0, 220.0),
}


def check_measures(measures: dict[str, float], checks: Violations) -> dict[str, float]:
    """Optional measures (0 = not measured), each within its plausible range."""
    kept = {}
    for name, value in measures.items():
        if value == 0:
            continue
        low, high = MEASURE_RANGES[name]
        if not (low <= value <= high):  # NaN fails too
            checks.add(f"visit.{name}", f"must be {low:g}–{high:g}", "MEASURE_OUT_OF_RANGE")
            continue
        kept[name] = float(value)
    if ("systolic" in kept) != ("diastolic" in kept):
        checks.add("visit.diastolic", "blood pressure needs both values", "BP_INCOMPLETE")
    elif "systolic" in kept and kept["systolic"] <= kept["diastolic"]:
        checks.add("visit.systolic", "must exceed the diastolic value", "BP_ORDER")
    return kept
