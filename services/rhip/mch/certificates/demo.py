"""Birth-certificate demo data (part of mch's demo seed): 50 blank serials received by the
province and moved down to the demo maternal–child hospital level by level (each level
confirming), a delivery of triplets there, their three certificates, the first reissued after
a written loss declaration and the third voided. Every step has a fixed request id (or is a
confirmation, which is idempotent), so a second seeding adds nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from rhip.demo import DemoCell, request_id
from rhip.identity.residents.documents import DocumentType, Sex, id_check_char
from rhip.identity.residents.domain import Demographics
from rhip.kit.authn import acting_as
from rhip.kit.timestamps import clinical_day
from rhip.mch.certificates.domain import Applicant, ApplicantKind, Health, Parent
from rhip.mch.certificates.issue_input import IssueInput
from rhip.mch.certificates.usecases import BirthCertificateUseCases
from rhip.mch.deliveries.domain import DeliveryMode, Newborn, NewbornSex
from rhip.mch.usecases import MchUseCases

QUANTITY = 50
MCH_HOSPITAL = 4  # rhip.demo.CELLS: the maternal–child hospital of each demo cell


def first_serial(cell: str) -> str:
    return f"X{cell}001"


def serial(cell: str, n: int) -> str:
    return f"X{cell}{n:03d}"


def seed_certificates(
    cell: str, demo: DemoCell, login: Callable[[str], Any], bmc: BirthCertificateUseCases,
    mch: MchUseCases, identity: Any,
) -> str:  # fmt: skip
    """``login(username)`` returns the demo account's login (principal and access token)."""
    rid = lambda *names: request_id(cell, "bmc", *names)  # noqa: E731
    city = next(a for a in demo.accounts if len(a.scope) == 6 and a.scope.endswith("00")
                and not a.scope.endswith("0000"))  # fmt: skip
    county = next(a for a in demo.accounts if len(a.scope) == 6 and not a.scope.endswith("00"))
    doctor = next(a for a in demo.accounts if a.scope == f"t{MCH_HOSPITAL}")
    hospital = login(doctor.username)
    levels = (
        (demo.admin, f"regions/{cell}", f"regions/{city.scope}", city.username),
        (city.username, f"regions/{city.scope}", f"regions/{county.scope}", county.username),
        (county.username, f"regions/{county.scope}",
         f"tenants/{hospital.principal.tenant_id}", doctor.username),
    )  # fmt: skip
    admin = login(demo.admin)
    with acting_as(admin.principal, admin.access.token):
        bmc.receive_stock(f"regions/{cell}", 7, first_serial(cell), QUANTITY, "国家卫健委调拨-演示",
                          rid("receipt"))  # fmt: skip
    for sender, source, target, receiver in levels:
        who = login(sender)
        with acting_as(who.principal, who.access.token):
            t = bmc.create_transfer(source, target, 7, first_serial(cell), QUANTITY, "演示调拨",
                                    rid("transfer", target))  # fmt: skip
        confirmer = login(receiver)
        with acting_as(confirmer.principal, confirmer.access.token):
            bmc.confirm_transfer(f"stockTransfers/{t.transfer_id}")
    today = clinical_day(datetime.now(UTC))
    born = datetime.combine(today - timedelta(days=3), datetime.min.time(), UTC) + timedelta(
        hours=2
    )
    with acting_as(hospital.principal, hospital.access.token):
        body = f"{county.scope}19930708604"
        woman = identity.register(
            Demographics("周婷", Sex.FEMALE, datetime(1993, 7, 8).date(), region_code=county.scope),
            DocumentType.RESIDENT_ID_CARD, body + id_check_char(body), "", "", "",
            request_id(cell, "mch", "bmc-mother"),
        )  # fmt: skip
        delivery = mch.record_delivery(
            f"residents/{woman.resident.resident_id}", clinical_day(born).isoformat(),
            DeliveryMode.CAESAREAN,
            [Newborn("", i + 1, sex, born + timedelta(minutes=i), 2100 + 50 * i, 45, 9, True, "")
             for i, sex in enumerate((NewbornSex.MALE, NewbornSex.FEMALE, NewbornSex.FEMALE))],
            request_id(cell, "mch", "bmc-delivery"),
        )  # fmt: skip
        mother = Parent(
            "", 0, "中国", "汉族", "江苏省徐州市泉山区和平路8号" if cell == "320000"
            else "山东省枣庄市市中区光明路8号", "RESIDENT_ID", body + id_check_char(body),
        )  # fmt: skip
        father = Parent("孙浩", 34, "中国", "汉族", mother.address, "RESIDENT_ID",
                        f"{county.scope}19920102001" + id_check_char(f"{county.scope}19920102001"))  # fmt: skip
        names = ("孙一鸣", "孙一诺", "孙一涵")
        issued = [
            bmc.issue(
                IssueInput(
                    serial(cell, i + 1),
                    f"deliveries/{delivery.delivery_id}/newborns/{baby.newborn_id}",
                    None, names[i], Health.GOOD, mother, father, False, "李助产",
                    applicant=Applicant(ApplicantKind.MOTHER),  # in person, three days on
                ),
                rid("issue", str(i + 1)),
            )
            for i, baby in enumerate(delivery.newborns)
        ]  # fmt: skip
        bmc.reissue(f"birthCertificates/{issued[0].number}", serial(cell, 4), "",
                    "遗失声明书（演示）", False, rid("reissue"))  # fmt: skip
        bmc.void_certificate(f"birthCertificates/{issued[2].number}", "副页被私自撕下（演示）",
                             rid("void"))  # fmt: skip
    return f"{QUANTITY} blank certificates, 4 birth certificates (1 reissued, 1 voided)"


def certificate_hints(codes: list[str]) -> list[str]:
    return [
        "  birth certificates: 50 blanks moved down to each MCH hospital; "
        + ", ".join(f"X{c}001 (reissued as X{c}004), X{c}002, X{c}003 (voided)" for c in codes)
        + "; verify as a service account (README: BirthCertificateService/VerifyBirthCertificate)"
    ]
