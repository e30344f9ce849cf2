"""Who applies for a first birth certificate and when (DOMAIN §4.2, §4.3): the mother in person
or a person with her signed authorization, recorded on the certificate; the mother in person
when the father's information is left blank; a parentage test when the mother's document is
not the delivery's mother's; an explanation after 30 days and a parentage test too after a year
(both settings); outside an institution, the institution designated by the county of the
intended household registration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from mch.bmc_support import (
    MOTHER,
    Bmc,
    deliver,
    issue,
    make_bmc,
    refused,
)
from mch.conftest import WOMAN, Mch, rid
from rhip.api.identity.v1 import resident_pb2
from rhip.api.mch.v1 import birth_certificate_pb2 as bpb
from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb
from rhip.kit.config import ConfigError
from rhip.kit.timestamps import clinical_day
from rhip.mch.certificates.store import CERTIFICATE
from rhip.mch.settings import load_mch_settings
from sqlalchemy import select
from support.residents import pb as rpb
from support.residents import stub as resident_stub

C = grpc.StatusCode
DAY = 24.0  # hours
AUTHORIZED = bpb.CertificateApplicant(
    kind=bpb.APPLICANT_KIND_AUTHORIZED_PERSON, name="王强", relationship="父亲",
    authorization_ref="委托书2026-0315",
)  # fmt: skip


@pytest.fixture
def mch_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """The cell's default settings, or a test's own (``indirect`` parametrisation)."""
    return dict(getattr(request, "param", {}))


@pytest.fixture
def bmc(mch: Mch) -> Bmc:
    made = make_bmc(mch)
    made.down_to_hospital("X320101001", 10)
    return made


def _in_stock(bmc: Bmc, number: str = "X320101001") -> bool:
    return bmc.serial(number).state == bpb.BLANK_SERIAL_STATE_IN_STOCK


def _get(bmc: Bmc, name: str) -> bpb.BirthCertificate:
    return bmc.api.GetBirthCertificate(
        spb.GetBirthCertificateRequest(name=name), metadata=bmc.md("qs-hosp-doctor")
    )


def test_the_applicant_is_the_mother_or_a_person_she_authorized_and_is_recorded(
    bmc: Bmc,
) -> None:
    twins = deliver(bmc.mch, babies=2).newborns
    _, fields = refused(lambda: issue(bmc, twins[0].name, "X320101001", applicant=None),
                        C.INVALID_ARGUMENT, "APPLICANT_REQUIRED")  # fmt: skip
    assert [f for f, _ in fields] == ["certificate.applicant.kind"]
    bare = bpb.CertificateApplicant(kind=bpb.APPLICANT_KIND_AUTHORIZED_PERSON)
    _, fields = refused(lambda: issue(bmc, twins[0].name, "X320101001", applicant=bare),
                        C.INVALID_ARGUMENT, "FIELD_REQUIRED")  # fmt: skip
    assert [f for f, _ in fields] == [
        "certificate.applicant.name", "certificate.applicant.relationship",
        "certificate.applicant.authorization_ref",
    ]  # fmt: skip
    named = bpb.CertificateApplicant(kind=bpb.APPLICANT_KIND_MOTHER, name="刘丽")
    _, fields = refused(lambda: issue(bmc, twins[0].name, "X320101001", applicant=named),
                        C.INVALID_ARGUMENT, "APPLICANT_IS_MOTHER")  # fmt: skip
    assert [f for f, _ in fields] == ["certificate.applicant.name"]
    assert _in_stock(bmc)
    # Her authorized person: recorded with the certificate, answered when it is read; a retry
    # of the request is the same certificate.
    key = rid()
    c = issue(bmc, twins[0].name, "X320101001", applicant=AUTHORIZED, key=key)
    assert c.applicant == AUTHORIZED
    assert _get(bmc, c.name).applicant == AUTHORIZED
    assert issue(bmc, twins[0].name, "X320101001", applicant=AUTHORIZED, key=key) == c
    assert bmc.report(bmc.hosp)[bmc.hosp].issued == 1
    # The mother in person: nothing more to record.
    own = issue(bmc, twins[1].name, "X320101002")
    assert own.applicant == bpb.CertificateApplicant(kind=bpb.APPLICANT_KIND_MOTHER)
    # The authorized person's name is sealed at rest, like the printed fields.
    with bmc.mch.running.cell.part("mch").db.read() as tx:
        row = tx.execute(select(CERTIFICATE).where(CERTIFICATE.c.number == c.number)).one()
    assert (row.applicant_kind, row.applicant_relationship) == ("AUTHORIZED_PERSON", "父亲")
    assert row.applicant_name and "王强".encode() not in bytes(row.applicant_name)


def test_with_the_fathers_information_left_blank_the_mother_applies_in_person(
    bmc: Bmc,
) -> None:
    baby = deliver(bmc.mch).newborns[0]
    blank = {"father": bpb.CertificateParent(), "father_unknown_statement": True}
    refused(lambda: issue(bmc, baby.name, "X320101001", applicant=AUTHORIZED, **blank),
            C.FAILED_PRECONDITION, "MOTHER_MUST_APPLY_IN_PERSON")  # fmt: skip
    assert _in_stock(bmc)
    c = issue(bmc, baby.name, "X320101001", **blank)
    assert c.father_unknown_statement
    assert c.applicant.kind == bpb.APPLICANT_KIND_MOTHER


def test_a_mothers_document_not_the_deliverys_mothers_needs_a_parentage_test(bmc: Bmc) -> None:
    """The delivery's mother is read from the master index (GetResident of the delivery's
    mother) and her documents compared with the one on the application."""
    baby = deliver(bmc.mch, woman="woman2").newborns[0]
    someone = bpb.CertificateParent()
    someone.CopyFrom(MOTHER)
    someone.document_number = WOMAN  # another woman's card
    info, _ = refused(lambda: issue(bmc, baby.name, "X320101001", mother=someone),
                      C.FAILED_PRECONDITION, "PARENTAGE_TEST_REQUIRED")  # fmt: skip
    assert info.metadata["differs"] == "document"
    assert _in_stock(bmc)
    c = issue(bmc, baby.name, "X320101001", mother=someone, parentage_test_ref="苏亲鉴字2026-7")
    assert _get(bmc, c.name).parentage_test_ref == "苏亲鉴字2026-7"


def test_after_30_days_a_late_application_needs_an_explanation(bmc: Bmc) -> None:
    on_time = deliver(bmc.mch, hours_ago=30 * DAY - 1).newborns[0]
    late = deliver(bmc.mch, woman="woman2", hours_ago=31 * DAY + 1).newborns[0]
    # Day 30 is on time: no explanation needed, and one given is not kept.
    assert issue(bmc, on_time.name, "X320101001",
                 late_application_explanation="无").late_application_explanation == ""  # fmt: skip
    info, _ = refused(lambda: issue(bmc, late.name, "X320101002"), C.FAILED_PRECONDITION,
                      "LATE_APPLICATION_EXPLANATION_REQUIRED")  # fmt: skip
    assert int(info.metadata["days_since_birth"]) >= 31
    assert _in_stock(bmc, "X320101002")
    _, fields = refused(
        lambda: issue(bmc, late.name, "X320101002", late_application_explanation="x" * 501),
        C.INVALID_ARGUMENT,
    )
    assert [f for f, _ in fields] == ["certificate.late_application_explanation"]
    c = issue(bmc, late.name, "X320101002", late_application_explanation="父母在外地务工")
    assert (c.late_application_explanation, c.parentage_test_ref) == ("父母在外地务工", "")
    assert _get(bmc, c.name).late_application_explanation == "父母在外地务工"


def test_after_a_year_a_late_application_needs_a_parentage_test_too(bmc: Bmc) -> None:
    baby = deliver(bmc.mch, hours_ago=366 * DAY + 1).newborns[0]
    refused(lambda: issue(bmc, baby.name, "X320101001"), C.FAILED_PRECONDITION,
            "LATE_APPLICATION_EXPLANATION_REQUIRED")  # fmt: skip
    info, _ = refused(
        lambda: issue(bmc, baby.name, "X320101001", late_application_explanation="出生后未办理"),
        C.FAILED_PRECONDITION, "PARENTAGE_TEST_REQUIRED",
    )  # fmt: skip
    assert int(info.metadata["days_since_birth"]) >= 366
    assert _in_stock(bmc)
    c = issue(bmc, baby.name, "X320101001", late_application_explanation="出生后未办理",
              parentage_test_ref="苏亲鉴字2026-8")  # fmt: skip
    read = _get(bmc, c.name)
    assert (read.late_application_explanation, read.parentage_test_ref) == (
        "出生后未办理", "苏亲鉴字2026-8")  # fmt: skip


@pytest.mark.parametrize(
    "mch_env",
    [{"RHIP_MCH_BMC_LATE_EXPLANATION_DAYS": "5", "RHIP_MCH_BMC_LATE_PARENTAGE_DAYS": "10"}],
    indirect=True,
)
def test_the_late_thresholds_are_settings(bmc: Bmc) -> None:
    week = deliver(bmc.mch, hours_ago=7 * DAY).newborns[0]
    fortnight = deliver(bmc.mch, woman="woman2", hours_ago=14 * DAY).newborns[0]
    refused(lambda: issue(bmc, week.name, "X320101001"), C.FAILED_PRECONDITION,
            "LATE_APPLICATION_EXPLANATION_REQUIRED")  # fmt: skip
    refused(lambda: issue(bmc, fortnight.name, "X320101001", late_application_explanation="迟"),
            C.FAILED_PRECONDITION, "PARENTAGE_TEST_REQUIRED")  # fmt: skip
    assert issue(bmc, week.name, "X320101001", late_application_explanation="迟").number


def test_the_late_thresholds_are_checked_at_start() -> None:
    settings = load_mch_settings({})
    assert (settings.bmc_late_explanation_days, settings.bmc_late_parentage_days) == (30, 365)
    for env, message in (
        ({"RHIP_MCH_BMC_LATE_EXPLANATION_DAYS": "0"}, "at least 1"),
        ({"RHIP_MCH_BMC_LATE_PARENTAGE_DAYS": "thirty"}, "must be an integer"),
        ({"RHIP_MCH_BMC_LATE_EXPLANATION_DAYS": "400"}, "must be more than"),
        ({"RHIP_MCH_BMC_LATE_PARENTAGE_DAYS": "30"}, "must be more than"),
    ):
        with pytest.raises(ConfigError, match="RHIP_MCH_BMC_LATE_") as caught:
            load_mch_settings(env)
        assert message in str(caught.value)


def _born_at_home(bmc: Bmc, hours_ago: float) -> tuple[str, bpb.BirthOutsideInstitution]:
    """A child born at home to woman2, registered in the master index, and the facts the
    designated institution records."""
    mother = bmc.mch.residents["woman2"]
    born = datetime.now(UTC) - timedelta(hours=hours_ago)
    child = resident_stub(bmc.mch.running.channel).RegisterNewborn(
        rpb.RegisterNewbornRequest(
            resident=resident_pb2.Resident(
                display_name="赵敏之女", sex=resident_pb2.SEX_FEMALE,
                birth_date=clinical_day(born).isoformat(), mother=mother,
            ),
            request_id=rid(),
        ),
        metadata=bmc.md("qs-hosp-doctor"),
    )  # fmt: skip
    stamp = bpb.BirthOutsideInstitution().birth_time
    stamp.FromDatetime(born)
    facts = bpb.BirthOutsideInstitution(
        child=child.name, mother=mother, birth_time=stamp, sex="FEMALE", weight_g=2900,
        length_cm=49, gestational_weeks=39, birth_region_code="320311",
        place_type=bpb.BIRTH_PLACE_TYPE_HOME, parentage_test_ref="苏亲鉴字2026-0042",
    )  # fmt: skip
    return child.name, facts


def _designate(bmc: Bmc, county: str, issuer: str, who: str) -> None:
    bmc.api.DesignateBirthCertificateIssuer(
        spb.DesignateBirthCertificateIssuerRequest(
            region=f"regions/{county}", issuer=issuer, document_ref="卫〔2026〕1号",
            request_id=rid(),
        ),
        metadata=bmc.md(who),
    )  # fmt: skip


def test_outside_an_institution_the_household_countys_designated_institution_issues(
    bmc: Bmc,
) -> None:
    _, facts = _born_at_home(bmc, hours_ago=30)
    _designate(bmc, "320311", bmc.hosp, "qs-admin")  # Quanshan designates qs-hosp

    def attempt(**fields):  # type: ignore[no-untyped-def]
        return issue(bmc, "", "X320101001", outside_institution=facts, **fields)

    for county, reason in (("", "FIELD_REQUIRED"), ("320300", "REGION_CODE_FORMAT"),
                           ("32031", "REGION_CODE_FORMAT")):  # fmt: skip
        _, fields = refused(lambda c=county: attempt(household_region_code=c),
                            C.INVALID_ARGUMENT, reason)  # fmt: skip
        assert [f for f, _ in fields] == ["certificate.household_region_code"]
    # The child is to be registered in Tongshan: Quanshan's designated institution is not
    # Tongshan's, whether Tongshan designated one or not.
    info, _ = refused(lambda: attempt(household_region_code="320312"), C.FAILED_PRECONDITION,
                      "BMC_HOUSEHOLD_COUNTY_NOT_DESIGNATED")  # fmt: skip
    assert (info.metadata["household_region"], info.metadata["designated_for"]) == (
        "regions/320312", "regions/320311")  # fmt: skip
    assert _in_stock(bmc)
    c = attempt(household_region_code="320311")
    assert _get(bmc, c.name).household_region_code == "320311"


def test_a_late_birth_outside_an_institution_needs_the_explanation_too(bmc: Bmc) -> None:
    _, facts = _born_at_home(bmc, hours_ago=40 * DAY)
    _designate(bmc, "320311", bmc.hosp, "qs-admin")
    refused(lambda: issue(bmc, "", "X320101001", outside_institution=facts),
            C.FAILED_PRECONDITION, "LATE_APPLICATION_EXPLANATION_REQUIRED")  # fmt: skip
    c = issue(bmc, "", "X320101001", outside_institution=facts,
              late_application_explanation="在家分娩，未及时办理")  # fmt: skip
    assert c.late_application_explanation == "在家分娩，未及时办理"
    assert c.parentage_test_ref == "苏亲鉴字2026-0042" and c.household_region_code == "320311"
