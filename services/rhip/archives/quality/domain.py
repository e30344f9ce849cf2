"""Quality as plain Python (docs/domain §2.8): the indicators of a region or institution from
their counts, the ranking of institutions, and spot checks and their findings as read. No
gRPC, no SQL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

MAX_POPULATION = 2_000_000_000  # permanent population of one region


@dataclass(frozen=True)
class Indicator:
    kind: str  # filing_rate, electronic_filing_rate, usage_rate, qualified_rate, …
    numerator: int
    denominator: int

    @property
    def rate(self) -> float:
        return round(self.numerator / self.denominator, 4) if self.denominator else 0.0


RANKABLE = ("usage_rate", "qualified_rate", "follow_up_rate", "timely_follow_up_rate")
_COUNT_KEYS = ("records", "dynamic", "qualified", "plans", "followed", "timely")


def sum_counts(parts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total = dict.fromkeys(_COUNT_KEYS, 0)
    for part in parts:
        for key in _COUNT_KEYS:
            total[key] += part.get(key, 0)
    return total


def indicators(c: Mapping[str, int], population: int) -> list[Indicator]:
    """§2.8. Every record here is electronic, so both filing rates share their numerator; the
    qualified rate takes every record in force as the sample (no spot-check sample yet)."""
    return [
        Indicator("filing_rate", c["records"], population),
        Indicator("electronic_filing_rate", c["records"], population),
        Indicator("usage_rate", c["dynamic"], c["records"]),
        Indicator("qualified_rate", c["qualified"], c["records"]),
        Indicator("follow_up_rate", c["followed"], c["plans"]),
        Indicator("timely_follow_up_rate", c["timely"], c["plans"]),
    ]


def rank(
    per_tenant: Mapping[str, Mapping[str, int]], kind: str, size: int = 3
) -> tuple[list[tuple[str, Indicator]], list[tuple[str, Indicator]]]:
    """Best and bottom ``size`` institutions by ``kind`` (ties by tenant id); institutions
    without a denominator are not ranked."""
    scored = [
        (tenant, indicator)
        for tenant, counts in per_tenant.items()
        for indicator in indicators(counts, 0)
        if indicator.kind == kind and indicator.denominator
    ]
    best = sorted(scored, key=lambda x: (-x[1].rate, x[0]))[:size]
    bottom = sorted(scored, key=lambda x: (x[1].rate, x[0]))[:size]
    return best, bottom


@dataclass(frozen=True)
class SpotCheck:
    spot_check_id: str
    parent: str
    scope_path: str
    create_time: datetime


@dataclass(frozen=True)
class Finding:
    finding_id: str
    spot_check_id: str
    record_id: str
    item: str
    description: str
    state: str  # open, resolved
    resolution: str
    create_time: datetime
    resolve_time: datetime | None

    def resolved(self, resolution: str, now: datetime) -> Finding:
        return replace(self, state="resolved", resolution=resolution, resolve_time=now)
