"""A minor's consent is her guardian's (PIPL art. 31: the personal information of a minor under
14 is processed with the consent of her parent or other guardian): a consent records who gave
it, and for a resident under 14 on its first day only a guardian's is accepted."""

from __future__ import annotations

from datetime import date, timedelta

import grpc
import pytest
from emr.helpers import Emr, summary
from rhip.api.emr.v1 import emr_service_pb2 as pb
from rhip.emr.reading.guardians import age_on
from support.errors import expect_error
from support.residents import register_request, resident_pb2, stub, with_check

BAD = grpc.StatusCode.INVALID_ARGUMENT
GUARDIAN = pb.CONSENT_GIVER_GUARDIAN


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@pytest.fixture
def child(emr: Emr) -> str:
    """A Quanshan child who turns 14 tomorrow."""
    born = _years_before(date.today() + timedelta(days=1), 14)
    number = with_check(f"320311{born:%Y%m%d}013")
    reply = stub(emr.running.channel).RegisterResident(
        register_request(number, name="王小明", region="320311"), metadata=emr.md("qs-doctor")
    )
    emr.residents["child"] = reply.resident.name
    emr.numbers["child"] = number
    assert reply.resident.state == resident_pb2.RESIDENT_STATE_VERIFIED
    return reply.resident.name


def test_a_child_under_14_consents_through_a_guardian(emr: Emr, child: str) -> None:
    expect_error(
        lambda: emr.consent("child", "hosp2-doctor"), BAD, "GUARDIAN_CONSENT_REQUIRED",
        "consent.given_by",
    )  # fmt: skip
    expect_error(
        lambda: emr.consent("child", "hosp2-doctor", given_by=pb.CONSENT_GIVER_RESIDENT),
        BAD, "GUARDIAN_CONSENT_REQUIRED", "consent.given_by",
    )  # fmt: skip
    consent = emr.consent(
        "child", "hosp2-doctor", given_by=GUARDIAN,
        guardian_relationship=pb.GUARDIAN_RELATIONSHIP_MOTHER,
    )  # fmt: skip
    assert consent.given_by == GUARDIAN
    assert consent.guardian_relationship == pb.GUARDIAN_RELATIONSHIP_MOTHER


def test_from_her_14th_birthday_she_consents_herself(emr: Emr, child: str) -> None:
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    consent = emr.consent("child", "hosp2-doctor", start_date=tomorrow)
    assert consent.given_by == pb.CONSENT_GIVER_RESIDENT
    assert consent.guardian_relationship == pb.GUARDIAN_RELATIONSHIP_UNSPECIFIED


def test_a_guardian_names_the_relationship_and_the_resident_names_none(emr: Emr) -> None:
    expect_error(
        lambda: emr.consent("man", "hosp2-doctor", given_by=GUARDIAN),
        BAD, "GUARDIAN_RELATIONSHIP_REQUIRED", "consent.guardian_relationship",
    )  # fmt: skip
    expect_error(
        lambda: emr.consent(
            "man", "hosp2-doctor", guardian_relationship=pb.GUARDIAN_RELATIONSHIP_FATHER
        ),
        BAD, "GUARDIAN_RELATIONSHIP_WITHOUT_GUARDIAN", "consent.guardian_relationship",
    )  # fmt: skip
    # An adult's guardian (an adult without capacity, which the platform cannot tell) may.
    consent = emr.consent(
        "man", "hosp2-doctor", given_by=GUARDIAN,
        guardian_relationship=pb.GUARDIAN_RELATIONSHIP_OTHER,
    )  # fmt: skip
    assert consent.given_by == GUARDIAN


def test_a_refused_minors_consent_opens_nothing_and_her_guardians_does(
    emr: Emr, child: str
) -> None:
    shared = emr.submit(summary(emr.numbers["child"])).name

    def listed() -> list[str]:
        reply = emr.api.ListDocuments(
            pb.ListDocumentsRequest(parent=child), metadata=emr.md("hosp2-doctor")
        )
        return [d.name for d in reply.documents]

    expect_error(lambda: emr.consent("child", "hosp2-doctor"), BAD, "GUARDIAN_CONSENT_REQUIRED")
    assert listed() == []
    emr.consent(
        "child", "hosp2-doctor", given_by=GUARDIAN,
        guardian_relationship=pb.GUARDIAN_RELATIONSHIP_FATHER,
    )  # fmt: skip
    assert listed() == [shared]


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        ("2012-12-08", "2026-12-07", 13),
        ("2012-12-07", "2026-12-07", 14),
        ("2012-02-29", "2026-02-28", 13),  # a leap-day birthday counts from 1 March
        ("2012-02-29", "2026-03-01", 14),
        ("2012-02-29", "2024-02-29", 12),
    ],
)
def test_age_counts_whole_years_from_the_birthday(birth: str, day: str, age: int) -> None:
    assert age_on(date.fromisoformat(birth), date.fromisoformat(day)) == age
