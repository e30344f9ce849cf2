"""What an institution must be, beyond holding the grant, to use a maternal and child health
qualification (issue 14): pregnancy risk grading at secondary-or-higher institutions that also
provide midwifery (DOMAIN §3.2: "secondary-or-higher institutions that provide midwifery"),
child eye care — the county-level eye items — at county-level institutions (DOMAIN §3.4).
Identity refuses a grant that breaks them; mch checks them again on every use, since the
midwifery grant can be revoked and the institution's type or grade edited after the grant.
One rule for both, here (as ``practice.py`` is for identity and referral).

Types and grades are identity's ``TenantType`` and ``TenantLevel`` names without their
prefix (``COUNTY_HOSPITAL``, ``SECONDARY``); qualification kinds are ``QualificationKind``
names (``RISK_GRADING``)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

# Hospital grades (医院等级), lowest first; an unknown name ranks as ungraded.
LEVELS = ("UNSPECIFIED", "PRIMARY", "SECONDARY", "TERTIARY")
# County-level-or-higher institutions by kind: the county hospital, the maternal–child health
# hospital (妇幼保健院/所, county or above) and the tertiary hospital. The grassroots kinds —
# village clinic, township hospital, community health centre and station — sit below the
# county whatever their grade (a central township hospital can be graded secondary), and a
# CDC does no clinical eye care.
COUNTY_TYPES = frozenset({"COUNTY_HOSPITAL", "MCH_HOSPITAL", "TERTIARY_HOSPITAL"})
# An institution of another kind (a specialist eye hospital) counts when graded secondary or
# higher: the grade is the only level the platform knows of it.
OTHER = "OTHER"

SECONDARY = "SECONDARY"
COUNTY = "COUNTY"


@dataclass(frozen=True)
class Condition:
    """What a qualification needs of its institution: a level (``SECONDARY``, ``COUNTY`` or
    "") and other qualifications held with it."""

    level: str = ""
    with_qualifications: tuple[str, ...] = ()


CONDITIONS: dict[str, Condition] = {
    "RISK_GRADING": Condition(SECONDARY, ("MIDWIFERY",)),
    "CHILD_EYE_CARE": Condition(COUNTY),
}


@dataclass(frozen=True)
class Shortfall:
    """Why an institution may not hold or use a qualification: ``reason``
    ``INSTITUTION_LEVEL_REQUIRED`` or ``QUALIFICATION_REQUIRED`` (stable codes, the same at
    grant and at use), a message and the error's metadata."""

    reason: str
    message: str
    metadata: dict[str, str] = field(default_factory=dict)


def _rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else 0


def secondary_or_higher(level: str) -> bool:
    return _rank(level) >= LEVELS.index(SECONDARY)


def county_or_higher(tenant_type: str, level: str) -> bool:
    if tenant_type in COUNTY_TYPES:
        return True
    return tenant_type == OTHER and secondary_or_higher(level)


def _label(kind: str) -> str:
    return kind.lower().replace("_", " ")


def shortfall(kind: str, tenant_type: str, level: str, held: Collection[str]) -> Shortfall | None:
    """The first condition of ``kind`` that an institution of ``tenant_type`` and ``level``
    holding the active qualifications ``held`` fails, or None. The level comes first: no
    other grant can mend it."""
    condition = CONDITIONS.get(kind)
    if condition is None:
        return None
    where = {"type": f"TENANT_TYPE_{tenant_type}", "level": f"TENANT_LEVEL_{level}"}
    if condition.level == SECONDARY and not secondary_or_higher(level):
        return Shortfall(
            "INSTITUTION_LEVEL_REQUIRED",
            f"{_label(kind)} is for secondary-or-higher institutions",
            {"for": kind, "required": SECONDARY, **where},
        )
    if condition.level == COUNTY and not county_or_higher(tenant_type, level):
        return Shortfall(
            "INSTITUTION_LEVEL_REQUIRED",
            f"{_label(kind)} is for county-level institutions",
            {"for": kind, "required": COUNTY, **where},
        )
    for needed in condition.with_qualifications:
        if needed not in held:
            return Shortfall(
                "QUALIFICATION_REQUIRED",
                f"{_label(kind)} needs the institution's {_label(needed)} qualification",
                {"qualification": needed, "for": kind},
            )
    return None
