"""First issue of a birth medical certificate (DOMAIN §4.1–4.5, scenarios 16 and 17): the
number's format, the serial IN_STOCK at the issuer, the printed fields from the delivery and
the parents, one child one certificate one number, the newborn linked in identity; births
outside an institution with a parentage test; isolation and idempotent retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from mch.bmc_support import (
    MOTHER,
    PROVINCE,
    Bmc,
    assert_balanced,
    certificate,
    deliver,
    issue,
    make_bmc,
    refused,
)
from mch.conftest import WOMAN2, Mch, rid
from rhip.api.identity.v1 import resident_pb2
from rhip.api.mch.v1 import birth_certificate_pb2 as bpb
from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb
from rhip.kit.timestamps import clinical_day
from support.residents import pb as rpb
from support.residents import stub as resident_stub

C = grpc.StatusCode


@pytest.fixture
def bmc(mch: Mch) -> Bmc:
    made = make_bmc(mch)
    made.down_to_hospital("X320101001", 10)
    return made


def test_the_first_certificate_prints_the_delivery_and_links_the_newborn(bmc: Bmc) -> None:
    delivery = deliver(bmc.mch)
    baby = delivery.newborns[0]
    c = issue(bmc, baby.name, "X320101001")
    assert (c.name, c.state, c.type) == (
        "birthCertificates/X320101001", bpb.BIRTH_CERTIFICATE_STATE_VALID,
        bpb.ISSUANCE_TYPE_FIRST,
    )  # fmt: skip
    assert c.pages == bpb.CERTIFICATE_PAGES_MAIN_AND_SECONDARY
    assert (c.sex, c.weight_g, c.length_cm) == ("MALE", 3100, 50)
    assert c.birth_time == baby.birth_time and c.birth_region_code == "320311"
    assert c.place_type == bpb.BIRTH_PLACE_TYPE_HOSPITAL
    assert c.birth_institution == "徐州市泉山区人民医院" and c.issuer == bmc.hosp
    assert c.mother.name == "刘丽" and c.mother.age > 0  # from the master index
    assert c.mother.document_number.startswith("320") and "*" in c.mother.document_number
    assert c.father.name == "王强" and c.child == baby.resident
    serial = bmc.serial("X320101001")
    assert serial.state == bpb.BLANK_SERIAL_STATE_ISSUED and serial.certificate == c.name
    assert serial.history[-1].kind == bpb.STOCK_MOVEMENT_KIND_ISSUE
    resident = resident_stub(bmc.mch.running.channel).GetResident(
        rpb.GetResidentRequest(name=baby.resident), metadata=bmc.md("qs-hosp-doctor")
    )
    assert resident_pb2.DOCUMENT_TYPE_BIRTH_CERTIFICATE in [d.type for d in resident.documents]
    rows = assert_balanced(bmc)
    assert (rows[bmc.hosp].issued, rows[bmc.hosp].in_stock) == (1, 9)


@pytest.mark.parametrize("number", ["X32010100", "x320101001", "X3201010011", "3201010011"])
def test_scenario_16_a_malformed_number_is_refused_and_nothing_is_written(
    bmc: Bmc, number: str
) -> None:
    baby = deliver(bmc.mch).newborns[0]
    _, fields = refused(lambda: issue(bmc, baby.name, number), C.INVALID_ARGUMENT,
                        "BMC_NUMBER_FORMAT")  # fmt: skip
    assert [f for f, _ in fields] == ["certificate.number"]
    assert bmc.report(bmc.hosp)[bmc.hosp].issued == 0


def test_scenario_16_only_a_serial_in_the_issuers_stock_is_accepted(bmc: Bmc) -> None:
    baby = deliver(bmc.mch).newborns[0]
    bmc.receive("Y320101001", 5)  # the province's, not the hospital's
    for number in ("Y320101001", "X320999999"):
        info, _ = refused(lambda n=number: issue(bmc, baby.name, n), C.FAILED_PRECONDITION,
                          "BMC_SERIAL_NOT_AVAILABLE")  # fmt: skip
        assert info.metadata["state"] == "NOT_IN_STOCK_HERE"
    assert issue(bmc, baby.name, "X320101005").number == "X320101005"


def test_scenario_17_a_voided_serial_is_never_issued(bmc: Bmc) -> None:
    baby = deliver(bmc.mch).newborns[0]
    bmc.api.VoidBlankSerial(
        spb.VoidBlankSerialRequest(name="blankSerials/X320101001", reason="打印错误",
                                   witness="王芳", request_id=rid()),
        metadata=bmc.md("qs-hosp-doctor"),
    )  # fmt: skip
    info, _ = refused(lambda: issue(bmc, baby.name, "X320101001"), C.FAILED_PRECONDITION,
                      "BMC_SERIAL_NOT_AVAILABLE")  # fmt: skip
    assert info.metadata["state"] == "VOID_BLANK"
    assert bmc.serial("X320101001").state == bpb.BLANK_SERIAL_STATE_VOID_BLANK


def test_one_child_one_certificate_one_number(bmc: Bmc) -> None:
    twins = deliver(bmc.mch, babies=2).newborns
    first = issue(bmc, twins[0].name, "X320101001")
    refused(lambda: issue(bmc, twins[0].name, "X320101002"), C.ALREADY_EXISTS,
            "BMC_CHILD_HAS_CERTIFICATE")  # fmt: skip
    assert bmc.serial("X320101002").state == bpb.BLANK_SERIAL_STATE_IN_STOCK
    info, _ = refused(lambda: issue(bmc, twins[1].name, first.number), C.FAILED_PRECONDITION,
                      "BMC_SERIAL_NOT_AVAILABLE")  # fmt: skip
    assert info.metadata["state"] == "ISSUED"
    assert issue(bmc, twins[1].name, "X320101002").child == twins[1].resident


def test_a_retry_with_the_same_request_id_is_the_same_certificate(bmc: Bmc) -> None:
    baby = deliver(bmc.mch).newborns[0]
    key = rid()
    first = issue(bmc, baby.name, "X320101001", key=key)
    assert issue(bmc, baby.name, "X320101001", key=key) == first
    assert bmc.report(bmc.hosp)[bmc.hosp].issued == 1
    # The same id for another request (another serial) is refused, not answered with the first.
    refused(lambda: issue(bmc, baby.name, "X320101002", key=key), C.INVALID_ARGUMENT,
            "REQUEST_ID_REUSED")  # fmt: skip
    assert bmc.serial("X320101002").state == bpb.BLANK_SERIAL_STATE_IN_STOCK


def test_the_father_stays_blank_only_with_the_mothers_statement(bmc: Bmc) -> None:
    baby = deliver(bmc.mch).newborns[0]
    _, fields = refused(
        lambda: issue(bmc, baby.name, "X320101001", father=bpb.CertificateParent()),
        C.INVALID_ARGUMENT,
    )
    assert "certificate.father.name" in [f for f, _ in fields]
    refused(lambda: issue(bmc, baby.name, "X320101001", father_unknown_statement=True),
            C.INVALID_ARGUMENT, "FATHER_WITH_STATEMENT")  # fmt: skip
    c = issue(bmc, baby.name, "X320101001", father=bpb.CertificateParent(),
              father_unknown_statement=True)  # fmt: skip
    assert c.father_unknown_statement and not c.HasField("father")


def test_only_the_qualified_delivering_institution_issues(bmc: Bmc) -> None:
    baby = deliver(bmc.mch).newborns[0]
    refused(lambda: issue(bmc, baby.name, "X320101001", who="qs-doctor"), C.PERMISSION_DENIED,
            "QUALIFICATION_REQUIRED")  # fmt: skip
    for who in ("qs-admin", "nj-doctor"):
        refused(lambda w=who: issue(bmc, baby.name, "X320101001", who=w), C.PERMISSION_DENIED)
    c = issue(bmc, baby.name, "X320101001")
    get = spb.GetBirthCertificateRequest(name=c.name)
    for who in ("qs-doctor", "nj-admin", "nj-doctor", "ts-doctor"):
        refused(lambda w=who: bmc.api.GetBirthCertificate(get, metadata=bmc.md(w)),
                C.PERMISSION_DENIED)  # fmt: skip
    assert bmc.api.GetBirthCertificate(get, metadata=bmc.md("qs-admin")).number == c.number
    listed = bmc.api.ListBirthCertificates(
        spb.ListBirthCertificatesRequest(parent="regions/320311"), metadata=bmc.md("qs-admin")
    )
    assert [x.number for x in listed.certificates] == [c.number]
    refused(
        lambda: bmc.api.ListBirthCertificates(
            spb.ListBirthCertificatesRequest(parent="regions/320311"), metadata=bmc.md("nj-admin")
        ),
        C.PERMISSION_DENIED,
    )
    assert (
        bmc.api.ListBirthCertificates(
            spb.ListBirthCertificatesRequest(parent="regions/320100"), metadata=bmc.md("nj-admin")
        ).certificates
        == []
    )


def _outside(
    child: str, mother: str, hours_ago: float = 30, **fields
) -> bpb.BirthOutsideInstitution:  # type: ignore[no-untyped-def]
    born = Timestamp()
    born.FromDatetime(datetime.now(UTC) - timedelta(hours=hours_ago))
    values = {
        "child": child, "mother": mother, "birth_time": born, "sex": "FEMALE",
        "weight_g": 2900, "length_cm": 49, "gestational_weeks": 39,
        "birth_region_code": "320311", "place_type": bpb.BIRTH_PLACE_TYPE_HOME,
        "parentage_test_ref": "苏亲鉴字2026-0042",
    }  # fmt: skip
    values.update(fields)
    return bpb.BirthOutsideInstitution(**values)


def test_a_birth_outside_an_institution_needs_the_designated_issuer_and_the_parentage_test(
    bmc: Bmc,
) -> None:
    mother = bmc.mch.residents["woman2"]
    born = datetime.now(UTC) - timedelta(hours=30)
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
    name = child.name

    def attempt(**fields):  # type: ignore[no-untyped-def]
        return issue(bmc, "", "X320101001", outside_institution=_outside(name, mother, **fields))

    _, fields = refused(lambda: attempt(parentage_test_ref=""), C.INVALID_ARGUMENT)
    assert [f for f, _ in fields] == ["certificate.outside_institution.parentage_test_ref"]
    refused(lambda: attempt(hours_ago=-5), C.INVALID_ARGUMENT, "BIRTH_AFTER_ISSUE")
    refused(lambda: attempt(place_type=bpb.BIRTH_PLACE_TYPE_HOSPITAL), C.INVALID_ARGUMENT)
    # Only the institution the county designated certifies a birth outside an institution.
    refused(attempt, C.PERMISSION_DENIED, "BMC_NOT_DESIGNATED_ISSUER")
    assert bmc.serial("X320101001").state == bpb.BLANK_SERIAL_STATE_IN_STOCK
    bmc.api.DesignateBirthCertificateIssuer(
        spb.DesignateBirthCertificateIssuerRequest(
            region="regions/320311", issuer=bmc.hosp, document_ref="泉卫〔2026〕1号",
            request_id=rid(),
        ),
        metadata=bmc.md("qs-admin"),
    )  # fmt: skip
    c = attempt()
    assert c.place_type == bpb.BIRTH_PLACE_TYPE_HOME and c.child == name
    assert c.birth_institution == "" and c.mother.name == "赵敏"
    refused(attempt, C.ALREADY_EXISTS, "BMC_CHILD_HAS_CERTIFICATE")
    assert bmc.report(PROVINCE)[bmc.hosp].issued == 1


def test_bad_certificates_are_invalid_and_write_nothing(bmc: Bmc) -> None:
    baby = deliver(bmc.mch).newborns[0]
    for fields, field in (
        ({"child_name": " "}, "certificate.child_name"),
        ({"health": bpb.NEWBORN_HEALTH_UNSPECIFIED}, "certificate.health"),
        ({"mother": bpb.CertificateParent(nationality="中国")}, "certificate.mother.address"),
    ):
        _, violations = refused(
            lambda f=fields: bmc.api.IssueBirthCertificate(
                spb.IssueBirthCertificateRequest(
                    certificate=certificate(baby.name, "X320101001", **f), request_id=rid()
                ),
                metadata=bmc.md("qs-hosp-doctor"),
            ),
            C.INVALID_ARGUMENT,
        )
        assert field in [f for f, _ in violations]
    _, violations = refused(lambda: issue(bmc, "deliveries/x", "X320101001"), C.INVALID_ARGUMENT)
    assert [f for f, _ in violations] == ["certificate.newborn"]
    assert bmc.serial("X320101001").state == bpb.BLANK_SERIAL_STATE_IN_STOCK


def test_a_blank_of_a_superseded_edition_is_never_printed(bmc: Bmc) -> None:
    """DOMAIN §4.1: the 6th edition was issued up to 2023-03-31; its blanks wait for central
    destruction."""
    bmc.down_to_hospital("W320101001", 2, edition=6)
    baby = deliver(bmc.mch).newborns[0]
    info, _ = refused(lambda: issue(bmc, baby.name, "W320101001"), C.FAILED_PRECONDITION,
                      "BMC_EDITION_SUPERSEDED")  # fmt: skip
    assert info.metadata["edition"] == "6"
    assert bmc.serial("W320101001").state == bpb.BLANK_SERIAL_STATE_IN_STOCK


def test_a_mother_other_than_the_deliverys_needs_a_parentage_test(bmc: Bmc) -> None:
    """DOMAIN §4.3 first issuance: the mother's ID not matching the delivery record needs a
    parentage test."""
    twins = deliver(bmc.mch, babies=2).newborns  # woman (刘丽, WOMAN) delivered them
    other = bpb.CertificateParent()
    other.CopyFrom(MOTHER)
    other.document_number = WOMAN2
    info, _ = refused(lambda: issue(bmc, twins[0].name, "X320101001", mother=other),
                      C.FAILED_PRECONDITION, "PARENTAGE_TEST_REQUIRED")  # fmt: skip
    assert info.metadata["differs"] == "document"
    renamed = bpb.CertificateParent()
    renamed.CopyFrom(MOTHER)
    renamed.name = "赵敏"
    info, _ = refused(lambda: issue(bmc, twins[0].name, "X320101001", mother=renamed),
                      C.FAILED_PRECONDITION, "PARENTAGE_TEST_REQUIRED")  # fmt: skip
    assert info.metadata["differs"] == "name"
    _, violations = refused(
        lambda: issue(bmc, twins[0].name, "X320101001", mother=other,
                      parentage_test_ref="x" * 101),
        C.INVALID_ARGUMENT,
    )  # fmt: skip
    assert [f for f, _ in violations] == ["certificate.parentage_test_ref"]
    assert bmc.serial("X320101001").state == bpb.BLANK_SERIAL_STATE_IN_STOCK
    c = issue(bmc, twins[0].name, "X320101001", mother=other, parentage_test_ref="苏亲鉴字2026-9")
    assert c.parentage_test_ref == "苏亲鉴字2026-9"
    assert c.mother.document_number == WOMAN2[:3] + "*" * 13 + WOMAN2[-2:]
    # Her own document (the name as in the master index, or none given) needs no test.
    same = bpb.CertificateParent()
    same.CopyFrom(MOTHER)
    same.name = "刘丽"
    assert issue(bmc, twins[1].name, "X320101002", mother=same).parentage_test_ref == ""
