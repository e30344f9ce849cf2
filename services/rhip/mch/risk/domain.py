"""Five-colour pregnancy risk grading (DOMAIN §3.2) as plain Python: the versioned rule packs
(criteria ids → colour, data files in packs/, validated at load), an assessment of the time series, the current grade (most severe
non-purple colour of the latest assessment that has one, plus a purple flag that stays once
set) and its management consequences. No gRPC, no SQL."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import NoReturn

from rhip.kit.errors import FailedPrecondition, Violations


class RiskColor(Enum):
    GREEN = 1
    YELLOW = 2
    ORANGE = 3
    RED = 4
    PURPLE = 5
    PINK = 6  # the six-colour pack's extra colour


# How severe each non-purple colour is, the same for every pack so grades of different packs
# compare (the pregnancy keeps the severity of its grade; pink sits between green and yellow:
# low risk with a condition to watch). Purple is a flag, not a severity.
SEVERITY = {
    RiskColor.GREEN: 10,
    RiskColor.PINK: 15,
    RiskColor.YELLOW: 20,
    RiskColor.ORANGE: 30,
    RiskColor.RED: 40,
}
BY_SEVERITY = {v: k for k, v in SEVERITY.items()}
MAX_CRITERIA = 30
_CRITERION = re.compile(r"[A-Z]-[A-Z0-9-]{1,40}")
_PACK_ID = re.compile(r"[a-z][a-z0-9-]{1,38}[a-z0-9]")
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.-]{0,19}")
PACKS_DIR = Path(__file__).resolve().parent / "packs"
NATIONAL_PACK = "national-five-colour"


class RulePackError(ValueError):
    """A rule-pack file that cannot be used (the cell does not start)."""


@dataclass(frozen=True)
class RulePack:
    """A versioned table of criteria ids → colour (data: ``risk/packs/*.json``)."""

    pack_id: str
    version: str
    title: str
    colours: tuple[RiskColor, ...]
    criteria: Mapping[str, RiskColor]
    labels: Mapping[str, str] = field(default_factory=dict)  # criterion id → its label

    @property
    def key(self) -> str:
        return f"{self.pack_id}@{self.version}"


def parse_pack(data: object, source: str) -> RulePack:
    """A pack from its JSON value; RulePackError naming ``source`` and the fault otherwise."""

    def fail(why: str) -> NoReturn:
        raise RulePackError(f"rule pack {source}: {why}")

    if not isinstance(data, dict):
        fail("must be a JSON object")
    unknown = set(data) - {"id", "version", "title", "colours", "criteria"}
    if unknown:
        fail(f"unknown keys {sorted(unknown)}")
    pack_id, version, title = data.get("id"), data.get("version"), data.get("title", "")
    if not isinstance(pack_id, str) or not _PACK_ID.fullmatch(pack_id):
        fail("id must be 3–40 lower-case letters, digits and hyphens")
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        fail("version must be 1–20 letters, digits, dots and hyphens")
    if not isinstance(title, str):
        fail("title must be a string")
    names = data.get("colours")
    if not isinstance(names, list) or not names:
        fail("colours must be a non-empty list")
    colours: list[RiskColor] = []
    for name in names:
        if not isinstance(name, str) or name not in RiskColor.__members__:
            fail(f"colours: {name!r} is unknown")
        if RiskColor[name] in colours:
            fail(f"colours: {name!r} is unknown or repeated")
        colours.append(RiskColor[name])
    if RiskColor.GREEN not in colours:
        fail("colours must include GREEN (the grade when no criterion applies)")
    items = data.get("criteria")
    if not isinstance(items, list) or not items:
        fail("criteria must be a non-empty list")
    criteria: dict[str, RiskColor] = {}
    labels: dict[str, str] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict) or set(item) - {"id", "colour", "label"}:
            fail(f"criteria[{i}] must be an object with id, colour and label")
        cid, colour = item.get("id"), item.get("colour")
        if not isinstance(cid, str) or not _CRITERION.fullmatch(cid):
            fail(f"criteria[{i}].id {cid!r} must look like Y-AGE-35")
        if cid in criteria:
            fail(f"criteria[{i}].id {cid} is repeated")
        if not isinstance(colour, str) or colour not in RiskColor.__members__:
            fail(f"criteria[{i}].colour {colour!r} is not a colour")
        if RiskColor[colour] not in colours:
            fail(f"criteria[{i}].colour {colour!r} is not a colour of the pack")
        if colour == "GREEN":
            fail(f"criteria[{i}]: green is the absence of criteria, not a criterion")
        label = item.get("label", "")
        if not isinstance(label, str) or len(label) > 200:
            fail(f"criteria[{i}].label must be a string of at most 200 characters")
        criteria[cid] = RiskColor[colour]
        labels[cid] = label
    return RulePack(pack_id, version, title, tuple(colours), criteria, labels)


@dataclass(frozen=True)
class RulePacks:
    """Every pack the cell knows (all versions of each, so old assessments keep theirs), the
    current (highest) version of each pack id, and the region → pack selection: the most
    specific configured region containing the institution wins, the national pack
    otherwise."""

    packs: Mapping[str, RulePack]  # "id@version" → pack
    current: Mapping[str, str]  # pack id → "id@version" used for new assessments
    by_region: Mapping[str, str] = field(default_factory=dict)  # region code → pack id
    default: str = NATIONAL_PACK

    def for_region(self, code: str) -> RulePack:
        for candidate in (code, code[:4] + "00", code[:2] + "0000"):
            if candidate in self.by_region:
                return self.packs[self.current[self.by_region[candidate]]]
        return self.packs[self.current[self.default]]

    def get(self, pack_id: str, version: str) -> RulePack | None:
        return self.packs.get(f"{pack_id}@{version}")


def _version_key(version: str) -> tuple[tuple[int, object], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.-]", version))


def load_packs(directory: Path = PACKS_DIR) -> RulePacks:
    """Every ``*.json`` pack of ``directory``, validated; the highest version of each id is
    its current one. RulePackError on a bad file, a repeated id@version or no national pack."""
    packs: dict[str, RulePack] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise RulePackError(f"rule pack {path.name}: not readable JSON ({e})") from None
        pack = parse_pack(data, path.name)
        if pack.key in packs:
            raise RulePackError(f"rule pack {path.name}: {pack.key} is defined twice")
        packs[pack.key] = pack
    current: dict[str, str] = {}
    for pack in packs.values():
        known = current.get(pack.pack_id)
        if known is None or _version_key(pack.version) > _version_key(packs[known].version):
            current[pack.pack_id] = pack.key
    if NATIONAL_PACK not in current:
        raise RulePackError(f"no {NATIONAL_PACK} rule pack in {directory}")
    return RulePacks(packs, current)


def colours_of(criteria: Sequence[str], checks: Violations, pack: RulePack | None) -> list[str]:
    """The criteria, upper-cased and de-duplicated, each a well-formed id and (given ``pack``)
    a criterion of the pack."""
    if len(criteria) > MAX_CRITERIA:
        checks.add("criteria", f"at most {MAX_CRITERIA}", "TOO_MANY_ITEMS")
        return []
    kept: list[str] = []
    for i, raw in enumerate(criteria):
        text = raw.strip().upper()
        if not _CRITERION.fullmatch(text) or (pack is not None and text not in pack.criteria):
            what = f"rule pack {pack.key}" if pack is not None else "any rule pack"
            checks.add(f"criteria[{i}]", f"unknown criterion of {what}", "CRITERION_UNKNOWN")
        elif text not in kept:
            kept.append(text)
    return kept


def assessed_colours(criteria: Sequence[str], pack: RulePack) -> list[RiskColor]:
    """The colours the criteria give (mildest first, purple last); GREEN when none."""
    found = {pack.criteria[c] for c in criteria}
    ordered = sorted(found, key=lambda c: SEVERITY.get(c, 100))
    return ordered or [RiskColor.GREEN]


@dataclass(frozen=True)
class RiskAssessment:
    assessment_id: str
    pregnancy_id: str
    assessment_date: date
    colours: tuple[RiskColor, ...]
    criteria: tuple[str, ...]
    rules_version: str
    rules_pack: str
    assessor: str
    tenant_id: str
    tenant_scope: str
    institution_level: str
    ga_days: int
    create_time: datetime
    # A postpartum assessment (DOMAIN §3.2: grading covers up to 42 days postpartum): days
    # since the delivery; None before it.
    postpartum_day: int | None = None


@dataclass(frozen=True)
class Grade:
    colour: RiskColor | None  # None: never graded with a non-purple colour
    purple: bool

    @property
    def rank(self) -> int:
        """The colour's severity (SEVERITY), 0 when ungraded."""
        return SEVERITY[self.colour] if self.colour else 0

    @property
    def needs_secondary_or_higher(self) -> bool:
        """Yellow, orange, red or purple: antenatal care and delivery at secondary-or-higher
        institutions (DOMAIN §3.2)."""
        return self.purple or self.rank >= SEVERITY[RiskColor.YELLOW]

    @property
    def management(self) -> list[str]:
        steps = []
        if self.needs_secondary_or_higher:
            steps.append("DELIVER_AT_SECONDARY_OR_HIGHER")
        if self.rank >= SEVERITY[RiskColor.ORANGE]:
            steps.append("REFER_TO_CRITICAL_CARE_CENTRE")
            steps.append("REPORT_HIGH_RISK_CASE")
        if self.colour is RiskColor.RED:
            steps.append("TERTIARY_CONTINUATION_ASSESSMENT")
        return steps


def current_grade(series: Sequence[RiskAssessment]) -> Grade:
    """``series`` oldest first: the latest assessment with a non-purple colour gives the
    grade (its most severe one: reassessment may raise or lower it); purple, once found,
    stays (it coexists with any colour)."""
    colour: RiskColor | None = None
    purple = False
    for a in sorted(series, key=lambda a: (a.assessment_date, a.create_time)):
        non_purple = [c for c in a.colours if c is not RiskColor.PURPLE]
        if non_purple:
            colour = max(non_purple, key=lambda c: SEVERITY[c])
        purple = purple or RiskColor.PURPLE in a.colours
    return Grade(colour, purple)


SECONDARY_LEVEL = 2  # identity's TenantLevel SECONDARY


def require_secondary_level(
    grade: Grade, level: int, emergency_reason: str, reason: str, what: str
) -> None:
    """Yellow or above, or purple: ``what`` (antenatal care, the delivery, its plan) at a
    secondary-or-higher institution (DOMAIN §3.2); below it only with an emergency reason,
    FAILED_PRECONDITION ``reason`` otherwise. One rule for the delivery, its plan and the
    antenatal visits."""
    if grade.needs_secondary_or_higher and level < SECONDARY_LEVEL and not emergency_reason:
        raise FailedPrecondition(
            f"a woman graded yellow or above, or purple, has {what} at a secondary-or-higher "
            "institution (below it, state the emergency_reason)",
            reason=reason,
            metadata={"risk": grade.colour.name if grade.colour else "PURPLE"},
        )


def grade_of(rank: int, purple: bool) -> Grade:
    """The grade a pregnancy keeps (its severity and purple flag)."""
    return Grade(BY_SEVERITY.get(rank), purple)
