"""Regions (GB/T 2260 codes) as authorization paths, and subtree checks on whole segments.

A region code becomes a path from the country root: ``320311`` → ``86/32/3203/320311``;
a tenant's scope extends its region path with ``t-{tenant_id}``. Subtree checks compare whole
segments, so a grant on ``…/320311/t-1`` never reaches ``…/320311/t-10``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from enum import Enum
from functools import cache
from importlib import resources

from rhip.kit.errors import invalid

COUNTRY = "86"
_CODE = re.compile(r"^[1-9]\d{5}$")


class RegionLevel(Enum):
    PROVINCE = 1
    PREFECTURE = 2
    COUNTY = 3


def level_of(code: str) -> RegionLevel:
    if code.endswith("0000"):
        return RegionLevel.PROVINCE
    if code.endswith("00"):
        return RegionLevel.PREFECTURE
    return RegionLevel.COUNTY


def is_region_code(code: str) -> bool:
    return bool(_CODE.match(code))


def region_path(code: str) -> str:
    """``86/32/3203/320311`` for a county, ``86/32/3203`` for a city, ``86/32`` for a province."""
    if not is_region_code(code):
        raise ValueError("region code must be 6 digits")
    level = level_of(code)
    parts = [COUNTRY, code[:2]]
    if level is not RegionLevel.PROVINCE:
        parts.append(code[:4])
    if level is RegionLevel.COUNTY:
        parts.append(code)
    return "/".join(parts)


def parent_code(code: str) -> str:
    """Code of the enclosing division; empty for a province."""
    level = level_of(code)
    if level is RegionLevel.PROVINCE:
        return ""
    if level is RegionLevel.PREFECTURE:
        return code[:2] + "0000"
    return code[:4] + "00"


def tenant_scope(region_code: str, tenant_id: str) -> str:
    """The authorization path of one tenant: its region path plus ``t-{tenant_id}``."""
    return f"{region_path(region_code)}/t-{tenant_id}"


def is_within(path: str, root: str) -> bool:
    """True when ``path`` is ``root`` or lies below it, comparing whole segments."""
    return path == root or path.startswith(root + "/")


def ancestors(path: str) -> list[str]:
    """``path`` itself, then each enclosing path up to the country root (at most six)."""
    result = [path]
    while "/" in path:
        path = path.rsplit("/", 1)[0]
        result.append(path)
    return result


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    english_name: str

    @property
    def level(self) -> RegionLevel:
        return level_of(self.code)

    @property
    def parent_code(self) -> str:
        return parent_code(self.code)

    @property
    def path(self) -> str:
        return region_path(self.code)


class RegionCatalog:
    """The GB/T 2260 divisions the platform knows (``rhip/kit/data/regions.csv``)."""

    def __init__(self, regions: list[Region]) -> None:
        self._by_code = {r.code: r for r in sorted(regions, key=lambda r: r.code)}
        self._children: dict[str, list[Region]] = {}
        for region in self._by_code.values():
            self._children.setdefault(region.parent_code, []).append(region)

    def get(self, code: str) -> Region | None:
        return self._by_code.get(code)

    def require(self, code: str, field: str) -> Region:
        """The region for ``code``, or INVALID_ARGUMENT naming ``field``."""
        if not is_region_code(code):
            raise invalid(field, "must be a 6-digit GB/T 2260 region code", "REGION_CODE_FORMAT")
        region = self._by_code.get(code)
        if region is None:
            raise invalid(field, f"unknown region code {code}", "UNKNOWN_REGION")
        return region

    def children(self, code: str) -> list[Region]:
        """Direct children of ``code``; the provinces for an empty code."""
        return list(self._children.get(code, []))

    def __len__(self) -> int:
        return len(self._by_code)


@cache
def catalog() -> RegionCatalog:
    text = resources.files("rhip.kit").joinpath("data/regions.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return RegionCatalog([Region(r["code"], r["name"], r["name_en"]) for r in rows])
