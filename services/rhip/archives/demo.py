"""Archives demo data for the embedded platform (``make run``), seeded after identity's
(rhip.identity.demo, in the world of rhip.demo) once the cell is serving: archives asks
identity over gRPC, with the caller's own token, about residents and tenants.

For each grassroots institution of the demo city (community health centre, township
hospital, village clinic), as its demo doctor: a few verified residents, a family-doctor
team, an active health record per resident, a check-up, a contract with the team; at the
community health centre also a hypertension plan followed up on time and a type 2 diabetes
plan whose first follow-up is overdue. All through the use cases (validation, scope checks,
audit), with request ids derived from names, so a restart adds nothing.

The residents' ID numbers are made up when first seeded (valid check character, county of
the institution, a plausible birth date) and never printed or logged; a restart finds the
residents by their request ids and makes none.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from rhip.archives.common import GRASSROOTS_TYPES
from rhip.archives.follow_ups.domain import BloodPressure as Bp
from rhip.archives.follow_ups.domain import Program, Visit
from rhip.archives.usecases import ArchivesUseCases
from rhip.demo import CELLS, DEMO_PASSWORD, DemoCell, demo_cell, doctor_of, request_id
from rhip.identity.directory.domain import TenantType
from rhip.identity.residents.documents import DocumentType, Sex, id_check_char
from rhip.identity.residents.domain import Demographics
from rhip.identity.residents.usecases import ResidentUseCases
from rhip.identity.usecases import IdentityUseCases
from rhip.kit.authn import acting_as, current_principal
from rhip.kit.config import ConfigError, Settings
from rhip.kit.errors import AlreadyExists, Violations
from rhip.kit.modules import Built
from rhip.kit.timestamps import clinical_day

OVERDUE_DAYS = 10  # the diabetes plan's first follow-up was due this many days ago


@dataclass(frozen=True)
class DemoResident:
    name: str  # fictional
    sex: Sex
    birth_date: date
    village: str  # village code of the record number (§2.3)


RESIDENTS = (
    DemoResident("王建国", Sex.MALE, date(1951, 3, 14), "101"),  # aged over 65: hypertension
    DemoResident("陈秀兰", Sex.FEMALE, date(1966, 9, 2), "102"),  # type 2 diabetes
    DemoResident("刘志强", Sex.MALE, date(1988, 6, 21), "103"),
)

BASIC_INFO = {
    "work_unit": "无", "residence_type": 1, "ethnicity": "01", "blood_type_abo": 3,
    "blood_type_rh": 2, "education": 40, "occupation": 6, "marital_status": 20,
    "payment_methods": [1], "drug_allergies": [1], "exposures": [1],
    "diseases": [{"code": 1}], "family_father": [1], "family_mother": [1], "disabilities": [1],
    "kitchen_exhaust": 2, "fuel": 3, "drinking_water": 1, "toilet": 1, "livestock_pen": 1,
}  # fmt: skip


@dataclass(frozen=True)
class ArchivesDemo:
    """What was seeded in one cell (counts only: nothing personal)."""

    institutions: int
    records: int
    overdue_plans: int


def fictional_id_number(county: str, person: DemoResident, slot: int) -> str:
    """A made-up resident ID number: county, birth date, a sequence (a random hundreds digit,
    ``slot`` 0–9 as the tens digit so that the people of one seed never share a number, and
    the sex digit: odd for men), and its check character."""
    if not 0 <= slot <= 9:
        raise ValueError("slot is one digit")
    sex_digit = 1 if person.sex is Sex.MALE else 2
    sequence = 100 * secrets.randbelow(10) + 10 * slot + sex_digit
    body = f"{county}{person.birth_date:%Y%m%d}{sequence:03d}"
    return body + id_check_char(body)


def seed_archives_demo(
    identity: IdentityUseCases,
    residents: ResidentUseCases,
    archives: ArchivesUseCases,
    today: date | None = None,
) -> ArchivesDemo:
    """Seed this cell's archives demo data (after rhip.identity.demo.seed_demo, while serving)."""
    settings = identity.settings
    demo = demo_cell(settings)
    today = today or clinical_day(datetime.now(UTC))
    seeded = ArchivesDemo(0, 0, 0)
    for index in grassroots_tenants(demo):
        doctor = doctor_of(demo, index)
        tokens = identity.login_password(doctor.username, DEMO_PASSWORD)
        with acting_as(tokens.principal, tokens.access.token):
            tenant = demo.tenants[index]
            seeded = _seed_institution(
                residents, archives, settings.cell, index, tenant.name, tenant.county, today, seeded,
                follows_up=tenant.type is TenantType.COMMUNITY_HEALTH_CENTER,
            )  # fmt: skip
    return seeded


def seed_archives_module_demo(built: Mapping[str, Built], settings: Settings) -> str | None:
    """The archives module's demo seeding (rhip.modules), through identity's use cases in the
    same process: the demo doctors log in, and their residents are registered there."""
    if "identity" not in built:
        raise ConfigError("archives demo data needs identity in the same process")
    identity = built["identity"].parts
    seeded = seed_archives_demo(
        identity.usecases, identity.residents, built["archives"].parts.usecases
    )
    return (
        f"archives demo data: {seeded.records} records in {seeded.institutions} "
        f"institutions, {seeded.overdue_plans} overdue follow-up plan(s)"
    )


def grassroots_tenants(demo: DemoCell) -> list[int]:
    """Indexes of the demo tenants that keep health records (grassroots institutions)."""
    return [
        i for i, t in enumerate(demo.tenants) if f"TENANT_TYPE_{t.type.name}" in GRASSROOTS_TYPES
    ]


def _seed_institution(
    residents: ResidentUseCases,
    archives: ArchivesUseCases,
    cell: str,
    index: int,
    tenant_name: str,
    county: str,
    today: date,
    seeded: ArchivesDemo,
    *,
    follows_up: bool,
) -> ArchivesDemo:
    def rid(kind: str, *names: str) -> str:
        return request_id(cell, kind, tenant_name, *names)

    tenant = f"tenants/{current_principal().tenant_id}"  # the doctor's institution
    records: list[str] = []
    for n, person in enumerate(RESIDENTS):
        registration = residents.register(
            Demographics(person.name, person.sex, person.birth_date, region_code=county),
            DocumentType.RESIDENT_ID_CARD,
            fictional_id_number(county, person, slot=index * len(RESIDENTS) + n),
            "",
            "",
            "",
            rid("resident", person.name),
        )
        record = archives.create(
            f"residents/{registration.resident.resident_id}",
            "001",
            person.village,
            BASIC_INFO,
            rid("record", person.name),
        )
        records.append(archives.activate(f"healthRecords/{record.record_id}").record_id)
    team = archives.create_team(tenant, "家庭医生签约服务团队", rid("team"))
    team_name = f"{tenant}/teams/{team.team_id}"
    elder, diabetic = (f"healthRecords/{r}" for r in records[:2])
    archives.create_check_up(
        elder,
        {
            "exam_date": (today - timedelta(days=30)).isoformat(), "symptoms": [1],
            "temperature_celsius": 36.5, "pulse": 74, "respiration": 16,
            "bp_left": {"systolic": 142, "diastolic": 86}, "height_cm": 168.0,
            "weight_kg": 69.5, "waist_cm": 88.0, "smoking_status": 1,
            "fasting_glucose_mmol": 5.6,
        },
        rid("check-up", RESIDENTS[0].name),
    )  # fmt: skip
    archives.sign_contract(elder, team_name, "", "", rid("contract", RESIDENTS[0].name))
    overdue = 0
    if follows_up:  # the community health centre's chronic-disease programmes
        _start_plan(archives, elder, Program.HYPERTENSION, today - timedelta(days=20))
        visit = Visit(
            Program.HYPERTENSION, today - timedelta(days=7), Bp(138, 84), 0.0, 72, False, False, ()
        )
        archives.record_follow_up(elder, visit, rid("follow-up", RESIDENTS[0].name), Violations())
        _start_plan(
            archives, diabetic, Program.TYPE2_DIABETES, today - timedelta(days=OVERDUE_DAYS)
        )
        overdue = 1
    return ArchivesDemo(
        seeded.institutions + 1, seeded.records + len(records), seeded.overdue_plans + overdue
    )


def _start_plan(archives: ArchivesUseCases, record: str, program: Program, due: date) -> None:
    with contextlib.suppress(AlreadyExists):  # seeded before: PLAN_EXISTS
        archives.start_plan(record, program, due.isoformat())


def archives_demo_hints(gateway: str, codes: Sequence[str]) -> list[str]:
    """What the archives demo data lets a doctor try, for the operator; nothing personal."""
    doctors, follow_ups = [], []
    for code in codes:
        demo = CELLS[code]
        for index in grassroots_tenants(demo):
            doctor = doctor_of(demo, index).username
            doctors.append(doctor)
            if demo.tenants[index].type is TenantType.COMMUNITY_HEALTH_CENTER:
                follow_ups.append(doctor)
    return [
        "health records (archives) of each grassroots institution, for its doctor:",
        f"  {', '.join(doctors)}:",
        f"    {len(RESIDENTS)} verified residents with active records, a family-doctor team,",
        "    a check-up and a contract",
        f"  {', '.join(follow_ups)}: also a hypertension plan followed up on time and",
        "    a type 2 diabetes plan whose follow-up is overdue",
        "log in as one of them (x-rhip-region: the city); with TOKEN (accessToken) and TENANT",
        "(principal.tenantId) from the reply, list the institution's records:",
        '  buf curl --protocol grpc --http2-prior-knowledge -H "authorization: Bearer $TOKEN" \\',
        """    -d '{"parent":"tenants/'$TENANT'"}' \\""",
        f"    http://{gateway}/rhip.api.archives.v1.ArchivesService/ListHealthRecords",
        "  (ListOverdueFollowUpPlans and ListCareTeams take the same parent)",
    ]
