"""mch demo data (``make run``): the county hospital and the maternal–child hospital of each
demo cell are granted their qualifications by the province administrator; the community
health centre's doctor registers one pregnancy, three more that the maternal–child hospital grades
yellow, orange and red, and four children of 1 month to 6 years (demo_care.py);
birth-certificate stock, certificates, a reissue and a void at the maternal–child hospital
(certificates/demo.py). Through the use cases, with the demo accounts' own tokens; fixed
request ids make a second run add nothing. Development mode only."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from rhip.demo import DEMO_PASSWORD, demo_cell, doctors_in, request_id
from rhip.identity.qualifications.domain import QualificationKind
from rhip.identity.qualifications.usecases import QualificationUseCases
from rhip.identity.residents.documents import DocumentType, Sex, id_check_char
from rhip.identity.residents.domain import Demographics
from rhip.kit.authn import acting_as
from rhip.kit.config import ConfigError, Settings
from rhip.kit.errors import AlreadyExists
from rhip.kit.modules import Built
from rhip.kit.timestamps import clinical_day
from rhip.mch.certificates.demo import certificate_hints, seed_certificates
from rhip.mch.demo_care import seed_care

K = QualificationKind
# Demo tenant index → what it is qualified for (rhip.demo.CELLS: 3 county hospital, 4 MCH), in
# grant order: identity grants risk grading only to a secondary-or-higher institution already
# holding midwifery, and child eye care at county level (rhip.kit.qualification_rules).
GRANTS = {
    3: (K.MIDWIFERY, K.RISK_GRADING),
    4: (K.MIDWIFERY, K.RISK_GRADING, K.BIRTH_CERTIFICATE, K.CHILD_EYE_CARE),
}


def seed_mch_demo(built: Mapping[str, Built], settings: Settings) -> str | None:
    if "identity" not in built:
        raise ConfigError("mch demo data needs identity in the same process")
    identity = built["identity"].parts
    mch = built["mch"].parts.usecases
    demo = demo_cell(settings)
    cell = settings.cell
    qualifications = QualificationUseCases(
        identity.db, identity.authorizer, identity.usecases.cell_path
    )
    tenants = {
        int(a.scope[1:]): identity.usecases.login_password(a.username, DEMO_PASSWORD)
        for a in demo.accounts
        if a.scope.startswith("t")
    }
    admin = identity.usecases.login_password(demo.admin, DEMO_PASSWORD)
    granted = 0
    with acting_as(admin.principal, admin.access.token):
        for index, kinds in GRANTS.items():
            tenant = f"tenants/{tenants[index].principal.tenant_id}"
            for kind in kinds:
                granted += 1
                with contextlib.suppress(AlreadyExists):  # granted by an earlier run
                    qualifications.grant(
                        tenant, kind, "", request_id(cell, "qualification", str(index), kind.name)
                    )
    doctor = tenants[0]  # the community health centre
    county = demo.tenants[0].county
    today = clinical_day(datetime.now(UTC))
    with acting_as(doctor.principal, doctor.access.token):
        body = f"{county}19960312802"
        woman = identity.residents.register(
            Demographics("陈静", Sex.FEMALE, date(1996, 3, 12), region_code=county),
            DocumentType.RESIDENT_ID_CARD, body + id_check_char(body), "", "", "",
            request_id(cell, "mch", "woman"),
        )  # fmt: skip
        mch.register(
            f"residents/{woman.resident.resident_id}", f"MCH-{cell}-0001", "",
            (today - timedelta(weeks=10)).isoformat(), None, request_id(cell, "mch", "pregnancy"),
        )  # fmt: skip
    pregnancies, children = seed_care(
        cell, county, mch, identity.residents, doctor, tenants[4], today
    )
    certificates = seed_certificates(
        cell, demo, lambda name: identity.usecases.login_password(name, DEMO_PASSWORD),
        built["mch"].parts.certificates, mch, identity.residents,
    )  # fmt: skip
    return (
        f"mch demo data: {granted} qualifications, {1 + pregnancies} pregnancies "
        f"({pregnancies} graded), {children} children, {certificates}"
    )


def mch_demo_hints(gateway: str, codes: Sequence[str]) -> list[str]:
    """What the mch demo data lets a user try, for the operator; nothing personal."""
    return [
        "maternal and child health (mch): the county and MCH hospitals hold their qualifications;",
        "  four pregnancies (no risk, yellow, orange, red) and four children (1 month to 6 years,"
        " one overdue) at the community health centre, for its doctor: "
        + ", ".join(doctors_in(codes, lambda demo: 0)),
        *certificate_hints(list(codes)),
    ]
