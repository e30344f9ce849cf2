"""What a clerk gives for a first certificate (DOMAIN §4.3, §4.5) and its checks: every bad
field is reported at once (INVALID_ARGUMENT), before anything is read or written. The rules
that need the delivery, the master index or the designations are issuing.py's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from rhip.kit.errors import Violations, invalid
from rhip.kit.requests import parse_resource_name
from rhip.kit.tenancy import RegionLevel, is_region_code, level_of
from rhip.mch.certificates import applicants, domain
from rhip.mch.certificates.domain import Applicant, Health, Parent, PlaceType
from rhip.mch.stock.domain import parse_serial

_FIELD = "certificate"


@dataclass(frozen=True)
class OutsideBirth:
    """Facts of a birth outside an institution, as the designated institution records them."""

    child: str  # residents/{id}
    mother: str  # residents/{id}
    birth_time: datetime | None
    sex: str
    weight_g: int
    length_cm: float
    gestational_weeks: int
    birth_region_code: str
    place_type: PlaceType | None
    parentage_test_ref: str
    midwife: str


@dataclass(frozen=True)
class IssueInput:
    number: str
    newborn: str  # deliveries/{d}/newborns/{n}, or ""
    outside: OutsideBirth | None
    child_name: str
    health: Health | None
    mother: Parent
    father: Parent
    father_unknown_statement: bool
    midwife: str
    parentage_test_ref: str = ""  # when the mother is not the delivery's mother on file
    applicant: Applicant = field(default_factory=Applicant)
    late_explanation: str = ""  # when applied for late (applicants.py)
    household_region_code: str = ""  # county of the intended household registration


def check_issue_input(given: IssueInput, now: datetime, checks: Violations) -> IssueInput:
    f = _FIELD
    number = checks.check(parse_serial, given.number, f"{f}.number") or ""
    if bool(given.newborn) == (given.outside is not None):
        checks.add(f"{f}.newborn", "name the newborn of a delivery, or give the facts of a "
                   "birth outside an institution (one of the two)", "BIRTH_REQUIRED")  # fmt: skip
    elif given.newborn:
        checks.check(parse_newborn, given.newborn, f"{f}.newborn")
    child_name = domain.check_text(given.child_name, f"{f}.child_name", checks,
                                   required=True, limit=50)  # fmt: skip
    if given.health is None:
        checks.add(f"{f}.health", "must be set", "HEALTH_REQUIRED")
    mother = domain.check_parent(given.mother, f"{f}.mother", checks, name_required=False)
    father = Parent()
    if given.father_unknown_statement:
        if not given.father.blank:
            checks.add(f"{f}.father", "stays blank with the mother's statement",
                       "FATHER_WITH_STATEMENT")  # fmt: skip
    else:
        father = domain.check_parent(given.father, f"{f}.father", checks, name_required=True)
    midwife = domain.check_text(given.midwife, f"{f}.midwife", checks, required=False,
                                limit=50)  # fmt: skip
    parentage = domain.check_text(given.parentage_test_ref, f"{f}.parentage_test_ref",
                                  checks, required=False, limit=100)  # fmt: skip
    applicant = applicants.check_applicant(given.applicant, f"{f}.applicant", checks)
    late = domain.check_text(given.late_explanation, f"{f}.late_application_explanation",
                             checks, required=False, limit=500)  # fmt: skip
    household = given.household_region_code.strip()
    if given.outside is not None and not household:
        checks.add(f"{f}.household_region_code", "the county of the intended household "
                   "registration (its designated institution issues)",
                   "FIELD_REQUIRED")  # fmt: skip
    elif household and not (is_region_code(household)
                            and level_of(household) is RegionLevel.COUNTY):  # fmt: skip
        checks.add(f"{f}.household_region_code", "must be a 6-digit county code",
                   "REGION_CODE_FORMAT")  # fmt: skip
    outside = given.outside
    if outside is not None:
        o = f"{f}.outside_institution"
        checks.check(parse_resource_name, outside.child, "residents", f"{o}.child")
        checks.check(parse_resource_name, outside.mother, "residents", f"{o}.mother")
        if outside.birth_time is None:
            checks.add(f"{o}.birth_time", "must be set", "BIRTH_TIME_REQUIRED")
        elif outside.birth_time > now:
            checks.add(f"{o}.birth_time", "is after the issue date", "BIRTH_AFTER_ISSUE")
        if outside.sex not in ("MALE", "FEMALE", "UNDETERMINED"):
            checks.add(f"{o}.sex", "must be MALE, FEMALE or UNDETERMINED", "SEX_REQUIRED")
        if not 300 <= outside.weight_g <= 7000:
            checks.add(f"{o}.weight_g", "must be 300–7000 g", "WEIGHT_OUT_OF_RANGE")
        if outside.length_cm and not 20 <= outside.length_cm <= 65:
            checks.add(f"{o}.length_cm", "must be 20–65 cm", "LENGTH_OUT_OF_RANGE")
        if not 20 <= outside.gestational_weeks <= 45:
            checks.add(f"{o}.gestational_weeks", "must be 20–45", "GA_OUT_OF_RANGE")
        if not is_region_code(outside.birth_region_code):
            checks.add(f"{o}.birth_region_code", "must be a 6-digit county code",
                       "REGION_CODE_FORMAT")  # fmt: skip
        if outside.place_type not in (PlaceType.HOME, PlaceType.OTHER):
            checks.add(f"{o}.place_type", "home or other outside an institution",
                       "PLACE_TYPE")  # fmt: skip
        domain.check_text(outside.parentage_test_ref, f"{o}.parentage_test_ref", checks,
                          required=True, limit=100)  # fmt: skip
    return IssueInput(number, given.newborn, outside, child_name, given.health, mother,
                      father, given.father_unknown_statement, midwife, parentage,
                      applicant, late, household)  # fmt: skip


def parse_newborn(name: str, field: str) -> tuple[str, str]:
    parts = name.split("/")
    if len(parts) != 4 or parts[0] != "deliveries" or parts[2] != "newborns" or not all(parts):
        raise invalid(field, "must be deliveries/{delivery}/newborns/{newborn}", "INVALID_NAME")
    parse_resource_name(f"deliveries/{parts[1]}", "deliveries", field)
    parse_resource_name(f"newborns/{parts[3]}", "newborns", field)
    return parts[1], parts[3]
