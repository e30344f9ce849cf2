"""Fixtures for referral tests: an all-in-one Jiangsu cell (identity, archives and referral,
each on its own database: an SQLite file each, or a PostgreSQL schema each) with its cell
account, the standard world plus a county hospital, and a resident with an active health
record at the Quanshan community health centre."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from archives.helpers import complete_form
from archives.two_cells import two_cells  # noqa: F401  (the two-cell fixture)
from conftest import make_settings, postgres_schema
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.referral.v1 import referral_pb2 as rpb
from rhip.api.referral.v1 import referral_service_pb2 as pb
from rhip.api.referral.v1 import referral_service_pb2_grpc
from rhip.identity.directory.domain import TenantLevel, TenantType
from rhip.identity.directory.usecases import TenantDraft, UserDraft
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from support import world_snapshot
from support.cells import PASSWORD, RunningCell, World, build_world, start_cell
from support.logs import no_id_numbers_in_logs  # noqa: F401  (autouse: no ID number in any log)
from support.residents import XUZHOU_MAN, register_request
from support.residents import stub as resident_stub

TODAY_CONSENT = "2026-01-02"


@dataclass
class Referrals:
    running: RunningCell
    world: World
    stub: referral_service_pb2_grpc.ReferralServiceStub
    archives: archives_service_pb2_grpc.ArchivesServiceStub
    resident: str = ""
    record: str = ""
    names: dict[str, str] = field(default_factory=dict)

    def md(self, username: str) -> list[tuple[str, str]]:
        return self.running.md(username)

    def tenant(self, short: str) -> str:
        return f"tenants/{self.world.tenants[short]}"

    def create(self, who: str = "qs-doctor", **changes) -> rpb.Referral:  # type: ignore[no-untyped-def]
        return self.stub.CreateReferral(
            pb.CreateReferralRequest(referral=referral_msg(self, **changes)), metadata=self.md(who)
        )

    def submitted(self) -> rpb.Referral:
        referral = self.create()
        return self.stub.SubmitReferral(
            pb.SubmitReferralRequest(name=referral.name), metadata=self.md("qs-doctor")
        )

    def in_care(self) -> rpb.Referral:
        referral = self.submitted()
        hosp = self.md("qs-hosp-doctor")
        self.stub.AcceptReferral(pb.AcceptReferralRequest(name=referral.name), metadata=hosp)
        return self.stub.AdmitReferral(pb.AdmitReferralRequest(name=referral.name), metadata=hosp)


def outward(**changes: str) -> rpb.OutwardForm:
    values = {
        "initial_impression": "高血压3级",
        "reason": "连续两次血压未控制",
        "past_history": "高血压5年",
        "treatment_so_far": "氨氯地平5mg qd",
        "allergy_history": "无",
        "referring_doctor": "社区医生",
        "referring_doctor_phone": "0516-00000000",
    }
    values.update(changes)
    return rpb.OutwardForm(**values)


def return_form(**changes: str) -> rpb.ReturnForm:
    values = {
        "diagnosis": "原发性高血压3级",
        "examination_results": "心电图左室高电压",
        "treatment_so_far": "三联降压",
        "treatment_plan": "社区两周随访血压",
        "doctor": "专科医生",
        "doctor_phone": "0516-00000001",
    }
    values.update(changes)
    return rpb.ReturnForm(**values)


def referral_msg(r: Referrals, **changes) -> rpb.Referral:  # type: ignore[no-untyped-def]
    values = {
        "direction": rpb.DIRECTION_UP,
        "resident": r.resident,
        "receiving_tenant": r.tenant("qs-hosp"),
        "receiving_department": "心内科",
        "outward": outward(),
        "consent": rpb.ReferralConsent(
            method="signed_form", consent_date=TODAY_CONSENT, reference="同意书-1"
        ),
    }
    values.update(changes)
    return rpb.Referral(**values)


def _db(database_url: str, tmp_path: Path, name: str) -> Iterator[str]:
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / name}.db"
        return
    with postgres_schema(name[0]) as url:
        yield url


@pytest.fixture
def archives_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    yield from _db(database_url, tmp_path, "archives")


@pytest.fixture
def referral_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    yield from _db(database_url, tmp_path, "referral")


CELL_SECRET = "cell-secret-0123456789"
# The world is copied in (support.world_snapshot) where a test takes these as they are here.
WORLD_FIXTURES = {
    "referrals": "tests/referral", "archives_url": "tests/referral",
    "referral_url": "tests/referral", "running": "tests/referral",
}  # fmt: skip


@pytest.fixture
def running(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    database_url: str,
    archives_url: str,
    referral_url: str,
) -> Iterator[RunningCell]:
    account = {"RHIP_CELL_CLIENT_ID": "cell-320000", "RHIP_CELL_CLIENT_SECRET": CELL_SECRET}
    if world_snapshot.wanted(request, database_url, WORLD_FIXTURES):  # copied, not built again
        urls = {"identity": database_url, "archives": archives_url, "referral": referral_url}
        running = world_snapshot.start("referral", tmp_path, urls, make_referrals, **account)
    else:
        marker = request.node.get_closest_marker("cell_env")
        extra = marker.kwargs if marker else {}
        settings = make_settings(
            tmp_path,
            database_url,
            RHIP_ARCHIVES_DATABASE_URL=archives_url,
            RHIP_REFERRAL_DATABASE_URL=referral_url,
            **account,
            **extra,
        )
        running = start_cell(settings)
    yield running
    world_snapshot.forget(running)
    running.channel.close()
    running.cell.stop(0)


def _add_county_hospital(running: RunningCell, world: World) -> None:
    """A county hospital in Quanshan and its clinician: the receiver of upward referrals."""
    uc = running.usecases
    admin = Principal(f"user:{world.users['xz-admin']}", PrincipalKind.REGIONAL_ADMIN, "", "320300")
    with acting_as(admin):
        tenant = uc.create_tenant(
            TenantDraft(
                "徐州市泉山区人民医院", TenantType.COUNTY_HOSPITAL, TenantLevel.SECONDARY,
                "320311", "",
            ),
            "",
        )  # fmt: skip
        world.tenants["qs-hosp"] = tenant.tenant_id
        for username in ("qs-hosp-doctor",):
            user = uc.create_user(
                UserDraft(username, username, PrincipalKind.PRACTITIONER, tenant.tenant_id, ""),
                PASSWORD,
                "",
            )
            world.users[username] = user.user_id


@pytest.fixture
def referrals(running: RunningCell) -> Referrals:
    return world_snapshot.restored(running) or make_referrals(running)


def make_referrals(running: RunningCell) -> Referrals:
    world = build_world(running)
    _add_county_hospital(running, world)
    r = Referrals(
        running,
        world,
        referral_service_pb2_grpc.ReferralServiceStub(running.channel),
        archives_service_pb2_grpc.ArchivesServiceStub(running.channel),
    )
    md = running.md("qs-doctor")
    reply = resident_stub(running.channel).RegisterResident(
        register_request(XUZHOU_MAN, name="张三", region="320311"), metadata=md
    )
    r.resident = reply.resident.name
    record = r.archives.CreateHealthRecord(
        apb.CreateHealthRecordRequest(
            resident=r.resident, township_code="001", village_code="101",
            basic_info=complete_form(),
        ),
        metadata=md,
    )  # fmt: skip
    r.archives.ActivateHealthRecord(apb.ActivateHealthRecordRequest(name=record.name), metadata=md)
    r.record = record.name
    return r
