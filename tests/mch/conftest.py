"""Fixtures for mch tests: an all-in-one Jiangsu cell (identity, archives and mch, each on its
own database: an SQLite file each, or a PostgreSQL schema each), the standard world plus a
secondary county hospital qualified for midwifery and risk grading, and women registered
through the ResidentService."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import grpc
import pytest
from conftest import make_settings, postgres_schema
from google.protobuf.field_mask_pb2 import FieldMask
from rhip.api.identity.v1 import identity_service_pb2 as ipb
from rhip.api.identity.v1 import (
    identity_service_pb2_grpc,
    qualification_service_pb2_grpc,
    tenant_pb2,
)
from rhip.api.identity.v1 import qualification_service_pb2 as qpb
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import mch_service_pb2_grpc
from rhip.identity.directory.domain import TenantLevel, TenantType
from rhip.identity.directory.usecases import TenantDraft, UserDraft
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from support import world_snapshot
from support.cells import PASSWORD, RunningCell, World, build_world, start_cell
from support.logs import no_id_numbers_in_logs  # noqa: F401  (autouse: no ID number in any log)
from support.residents import XUZHOU_MAN, register_request, with_check
from support.residents import stub as resident_stub

WOMAN = with_check("32031119950615002")  # female (even sequence), Quanshan
WOMAN2 = with_check("32031119920101004")
WOMAN3 = with_check("32031119900303006")


def days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


def rid() -> str:
    return str(uuid.uuid4())


@dataclass
class Mch:
    running: RunningCell
    world: World
    api: mch_service_pb2_grpc.MchServiceStub
    quals: qualification_service_pb2_grpc.QualificationServiceStub
    residents: dict[str, str] = field(default_factory=dict)

    def md(self, username: str) -> list[tuple[str, str]]:
        return self.running.md(username)

    def tenant(self, short: str) -> str:
        return f"tenants/{self.world.tenants[short]}"

    def grant(self, short: str, kind: int, who: str = "qs-admin") -> qpb.Qualification:
        return self.quals.GrantQualification(
            qpb.GrantQualificationRequest(tenant=self.tenant(short), kind=kind, request_id=rid()),
            metadata=self.md(who),
        )

    def update_tenant(self, short: str, **fields) -> None:  # type: ignore[no-untyped-def]
        """Changes the institution's ``type`` or ``level`` through identity's API, as the city
        administrator does when an institution is reclassified or regraded."""
        name = self.tenant(short)
        md = self.md("xz-admin")
        stub = identity_service_pb2_grpc.IdentityServiceStub(self.running.channel)
        current = stub.GetTenant(ipb.GetTenantRequest(name=name), metadata=md)
        stub.UpdateTenant(
            ipb.UpdateTenantRequest(
                tenant=tenant_pb2.Tenant(name=name, etag=current.etag, **fields),
                update_mask=FieldMask(paths=list(fields)),
            ),
            metadata=md,
        )

    def register(
        self, who: str = "woman", by: str = "qs-doctor", lmp_days_ago: int = 70, **fields
    ) -> mpb.RegisterPregnancyRequest:  # type: ignore[no-untyped-def]
        request = mpb.RegisterPregnancyRequest(
            resident=self.residents[who],
            handbook_number=fields.pop("handbook_number", f"HB-{uuid.uuid4().hex[:10]}"),
            **fields,
        )
        if not request.lmp_date and not request.HasField("gestational_age"):
            request.lmp_date = days_ago(lmp_days_ago)
        return self.api.RegisterPregnancy(request, metadata=self.md(by))


def error_reason(error: grpc.RpcError) -> str:
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    status = rpc_status.from_call(error)
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.reason
    return ""


def error_info(error: grpc.RpcError):  # type: ignore[no-untyped-def]
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    status = rpc_status.from_call(error)
    info, fields = None, []
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields = [(v.field, v.description) for v in bad.field_violations]
    return info, fields


@pytest.fixture
def mch_urls(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'archives.db'}", f"sqlite:///{tmp_path / 'mch.db'}"
        return
    with postgres_schema("a") as archives, postgres_schema("m") as mch:
        yield archives, mch


@pytest.fixture
def mch_env() -> dict[str, str]:
    """Extra RHIP_MCH_* settings of the cell (a test module overrides this fixture)."""
    return {}


# The world is copied in (support.world_snapshot) where a test takes these as they are here,
# and its module's ``mch_env``, if any, is a constant (one world per distinct settings).
WORLD_FIXTURES = {"mch": "tests/mch", "mch_urls": "tests/mch", "running": "tests/mch"}


def _constant_env(request: pytest.FixtureRequest) -> bool:
    defs = request.node._fixtureinfo.name2fixturedefs["mch_env"]  # type: ignore[attr-defined]
    return not defs[-1].argnames


@pytest.fixture
def running(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str,
    mch_urls: tuple[str, str], mch_env: dict[str, str],
) -> Iterator[RunningCell]:  # fmt: skip
    archives, mch = mch_urls
    if world_snapshot.wanted(request, database_url, WORLD_FIXTURES) and _constant_env(request):
        urls = {"identity": database_url, "archives": archives, "mch": mch}
        kind = " ".join(["mch", *(f"{k}={v}" for k, v in sorted(mch_env.items()))])
        running = world_snapshot.start(kind, tmp_path, urls, make_mch, **mch_env)
    else:
        settings = make_settings(
            tmp_path, database_url, RHIP_ARCHIVES_DATABASE_URL=archives,
            RHIP_MCH_DATABASE_URL=mch, **mch_env,
        )  # fmt: skip
        running = start_cell(settings)
    yield running
    world_snapshot.forget(running)
    running.channel.close()
    running.cell.stop(0)


def add_hospital(
    running: RunningCell, world: World, short: str = "qs-hosp", county: str = "320311",
    name: str = "徐州市泉山区人民医院", kind: TenantType = TenantType.COUNTY_HOSPITAL,
    level: TenantLevel = TenantLevel.SECONDARY,
) -> None:  # fmt: skip
    """A secondary county hospital (Quanshan by default; another ``kind`` and ``level`` if
    given) and its clinician ``{short}-doctor``."""
    uc = running.usecases
    admin = Principal(f"user:{world.users['xz-admin']}", PrincipalKind.REGIONAL_ADMIN, "", "320300")
    with acting_as(admin):
        tenant = uc.create_tenant(
            TenantDraft(name, kind, level, county, ""),
            "",
        )  # fmt: skip
        world.tenants[short] = tenant.tenant_id
        doctor = f"{short}-doctor"
        user = uc.create_user(
            UserDraft(doctor, doctor, PrincipalKind.PRACTITIONER, tenant.tenant_id, ""),
            PASSWORD,
            "",
        )
        world.users[doctor] = user.user_id


@pytest.fixture
def mch(running: RunningCell) -> Mch:
    return world_snapshot.restored(running) or make_mch(running)


def make_mch(running: RunningCell) -> Mch:
    """The mch world on a started cell (a test module with a cell of its own calls this)."""
    world = build_world(running)
    add_hospital(running, world)
    result = Mch(
        running, world, mch_service_pb2_grpc.MchServiceStub(running.channel),
        qualification_service_pb2_grpc.QualificationServiceStub(running.channel),
    )  # fmt: skip
    residents = resident_stub(running.channel)
    for short, number, name in (
        ("woman", WOMAN, "刘丽"),
        ("woman2", WOMAN2, "赵敏"),
        ("woman3", WOMAN3, "孙红"),
        ("man", XUZHOU_MAN, "张三"),
    ):
        reply = residents.RegisterResident(
            register_request(number, name=name, region="320311"), metadata=result.md("qs-doctor")
        )
        result.residents[short] = reply.resident.name
    result.grant("qs-hosp", qpb.QUALIFICATION_KIND_MIDWIFERY)
    result.grant("qs-hosp", qpb.QUALIFICATION_KIND_RISK_GRADING)
    return result
