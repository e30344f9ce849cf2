"""The conditions of a maternal and child health qualification (rhip.kit.qualification_rules),
shared by identity's grant and mch's use: risk grading needs a secondary-or-higher institution
holding midwifery, child eye care a county-level one; the other kinds need nothing more."""

from __future__ import annotations

import pytest
from rhip.kit.qualification_rules import county_or_higher, shortfall


@pytest.mark.parametrize(
    ("tenant_type", "level", "county"),
    [
        ("COUNTY_HOSPITAL", "SECONDARY", True),
        ("MCH_HOSPITAL", "UNSPECIFIED", True),  # a county MCH institute, not graded
        ("TERTIARY_HOSPITAL", "TERTIARY", True),
        ("TOWNSHIP_HOSPITAL", "SECONDARY", False),  # a central township hospital stays grassroots
        ("COMMUNITY_HEALTH_CENTER", "PRIMARY", False),
        ("VILLAGE_CLINIC", "UNSPECIFIED", False),
        ("CDC", "TERTIARY", False),
        ("OTHER", "SECONDARY", True),  # a specialist eye hospital, by its grade
        ("OTHER", "PRIMARY", False),
    ],
)
def test_county_level_is_the_kind_of_institution_and_for_other_kinds_the_grade(
    tenant_type: str, level: str, county: bool
) -> None:
    assert county_or_higher(tenant_type, level) is county


def test_risk_grading_needs_the_grade_first_then_midwifery() -> None:
    primary = shortfall("RISK_GRADING", "COUNTY_HOSPITAL", "PRIMARY", {"MIDWIFERY"})
    assert primary is not None and primary.reason == "INSTITUTION_LEVEL_REQUIRED"
    assert primary.metadata["required"] == "SECONDARY"
    assert primary.metadata["level"] == "TENANT_LEVEL_PRIMARY"
    no_midwifery = shortfall("RISK_GRADING", "COUNTY_HOSPITAL", "SECONDARY", {"RISK_GRADING"})
    assert no_midwifery is not None and no_midwifery.reason == "QUALIFICATION_REQUIRED"
    assert no_midwifery.metadata == {"qualification": "MIDWIFERY", "for": "RISK_GRADING"}
    assert shortfall("RISK_GRADING", "MCH_HOSPITAL", "TERTIARY", {"MIDWIFERY"}) is None


def test_child_eye_care_needs_county_level_and_other_kinds_nothing() -> None:
    below = shortfall("CHILD_EYE_CARE", "COMMUNITY_HEALTH_CENTER", "PRIMARY", set())
    assert below is not None and below.reason == "INSTITUTION_LEVEL_REQUIRED"
    assert below.metadata["required"] == "COUNTY"
    assert shortfall("CHILD_EYE_CARE", "COUNTY_HOSPITAL", "SECONDARY", set()) is None
    for kind in ("MIDWIFERY", "BIRTH_CERTIFICATE", "SCHOOL_HEALTH"):
        assert shortfall(kind, "VILLAGE_CLINIC", "UNSPECIFIED", set()) is None
