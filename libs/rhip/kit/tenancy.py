"""Regions (GB/T 2260 codes) as authorization paths, and subtree checks on whole segments.

A region code becomes a path from the country root: ``320311`` → ``86/32/3203/320311``;
a tenant's scope extends its region path with ``t-{tenant_id}``. Subtree checks compare whole
segments, so a grant on ``…/320311/t-1`` never reaches ``…/320311/t-10``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
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
    # False for a code no longer in force (a county merged away or renumbered): it still
    # appears in ID numbers, but nothing new is created there.
    current: bool = True

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
    """The GB/T 2260 divisions: the current tree (provinces, prefectures, counties) and the
    codes no longer in force, which identity documents may still carry."""

    def __init__(self, regions: list[Region], version: str = "") -> None:
        self.version = version
        ordered = sorted(regions, key=lambda r: r.code)
        self._by_code = {r.code: r for r in ordered if r.current}
        self._former = {r.code: r for r in ordered if not r.current}
        self._children: dict[str, list[Region]] = {}
        for region in self._by_code.values():
            self._children.setdefault(region.parent_code, []).append(region)

    def get(self, code: str) -> Region | None:
        """A current division, or None."""
        return self._by_code.get(code)

    def former(self, code: str) -> Region | None:
        """A code no longer in force (with its last name), or None."""
        return self._former.get(code)

    def ever_existed(self, code: str) -> bool:
        """True for a current or a historical code: what an ID number's address code may be."""
        return code in self._by_code or code in self._former

    def require(self, code: str, field: str) -> Region:
        """The current region for ``code``, or INVALID_ARGUMENT naming ``field``."""
        if not is_region_code(code):
            raise invalid(field, "must be a 6-digit GB/T 2260 region code", "REGION_CODE_FORMAT")
        region = self._by_code.get(code)
        if region is None:
            if code in self._former:
                raise invalid(field, f"region code {code} is no longer in force", "UNKNOWN_REGION")
            raise invalid(field, f"unknown region code {code}", "UNKNOWN_REGION")
        return region

    def require_known(self, code: str, field: str) -> Region:
        """Like ``require``, but a code no longer in force is found too: what was created there
        (a tenant keeps its code when divisions change) stays reachable."""
        if is_region_code(code) and code in self._former:
            return self._former[code]
        return self.require(code, field)

    def children(self, code: str) -> list[Region]:
        """Direct children of ``code``; the provinces for an empty code."""
        return list(self._children.get(code, []))

    def __iter__(self) -> Iterator[Region]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)


# ---- loading the tree from python-stdnum's GB/T 2260 data ------------------------------------
# ``stdnum/cn/loc.dat`` (the data ``stdnum.cn.ric`` checks ID numbers with) lists every code
# since the 1980s: ``32 province="江苏省"`` then ``  0311 county="[1983-1992]郊区,[1993-]泉山区"``.
# A code is in force when its last name has no end year; its name is that last name. Region
# changes arrive by upgrading python-stdnum (a data update, not a code change).
_NAME_SPAN = re.compile(r"^\[(\d*)-(\d*)\](.+)$")
# County-level 市辖区 (``xx01``) is a statistical grouping, not a division: no tenant is created
# there, but older ID numbers carry it, so it is kept as a code no longer in force.
_DISTRICTS_GROUPING = "市辖区"


def _last_name(value: str) -> tuple[str, bool]:
    """(the last name, whether it is still in force) of a ``county="…"`` value."""
    last = value.split(",")[-1].strip()
    span = _NAME_SPAN.match(last)
    if span is None:
        return last, True
    return span.group(3), not span.group(2)


def _stdnum_regions() -> tuple[list[Region], str]:
    import stdnum
    from stdnum import numdb

    english = _english_names()
    regions: list[Region] = []
    for _, low, high, _props, children in numdb.get("cn/loc").prefixes:
        if low != high:  # pragma: no cover - the file lists one province per line
            continue
        for _, suffix, suffix_high, county, _ in children:
            if suffix != suffix_high or "county" not in county:
                continue  # pragma: no cover
            code = low + suffix
            if not is_region_code(code):
                continue  # pragma: no cover
            name, current = _last_name(county["county"])
            if name == _DISTRICTS_GROUPING and level_of(code) is RegionLevel.COUNTY:
                current = False
            regions.append(Region(code, name, english.get(code, ""), current))
    return regions, f"python-stdnum {stdnum.__version__}"


def _english_names() -> dict[str, str]:
    """English names of the divisions the platform has them for (not part of GB/T 2260)."""
    text = resources.files("rhip.kit").joinpath("data/regions_en.csv").read_text(encoding="utf-8")
    return {r["code"]: r["name_en"] for r in csv.DictReader(text.splitlines())}


@cache
def catalog() -> RegionCatalog:
    """The region tree, loaded once per process on first use (about 0.1 s)."""
    regions, version = _stdnum_regions()
    return RegionCatalog(regions, version)


def data_version() -> str:
    """Where the region tree comes from, e.g. ``python-stdnum 2.2``."""
    return catalog().version
