"""Fixtures for archives tests: an all-in-one Jiangsu cell (identity + archives, each on its
own database: an SQLite file each, or a PostgreSQL schema each), the standard world plus a
county hospital, and a few residents registered through the ResidentService."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from archives.helpers import QUANSHAN_WOMAN, Archives, days_ago
from archives.two_cells import two_cells  # noqa: F401  (the two-cell fixture)
from conftest import make_settings, postgres_schema
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.identity.v1 import resident_pb2
from rhip.identity.directory.domain import TenantLevel, TenantType
from rhip.identity.directory.usecases import TenantDraft, UserDraft
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from support import world_snapshot
from support.cells import PASSWORD, RunningCell, World, build_world, start_cell
from support.logs import no_id_numbers_in_logs  # noqa: F401  (autouse: no ID number in any log)
from support.residents import XUZHOU_MAN, ZAOZHUANG_WOMAN, register_request
from support.residents import pb as rpb
from support.residents import stub as resident_stub


@pytest.fixture
def archives_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """Archives' own database next to identity's: another SQLite file or PostgreSQL schema."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'archives.db'}"
        return
    with postgres_schema("a") as url:
        yield url


# The world is copied in (support.world_snapshot) where a test takes these as they are here.
WORLD_FIXTURES = {
    "archives": "tests/archives",
    "archives_url": "tests/archives",
    "running": "tests/archives",
}


@pytest.fixture
def running(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str, archives_url: str
) -> Iterator[RunningCell]:
    if world_snapshot.wanted(request, database_url, WORLD_FIXTURES):  # copied, not built again
        urls = {"identity": database_url, "archives": archives_url}
        running = world_snapshot.start("archives", tmp_path, urls, make_archives)
    else:
        marker = request.node.get_closest_marker("cell_env")
        extra = marker.kwargs if marker else {}
        settings = make_settings(
            tmp_path, database_url, RHIP_ARCHIVES_DATABASE_URL=archives_url, **extra
        )
        running = start_cell(settings)
    yield running
    world_snapshot.forget(running)
    running.channel.close()
    running.cell.stop(0)


def _add_county_hospital(running: RunningCell, world: World) -> None:
    """A county hospital in Quanshan and its clinician: not a grassroots institution."""
    uc = running.usecases
    admin = Principal(f"user:{world.users['xz-admin']}", PrincipalKind.REGIONAL_ADMIN, "", "320300")
    with acting_as(admin):
        tenant = uc.create_tenant(
            TenantDraft(
                "徐州市泉山区人民医院",
                TenantType.COUNTY_HOSPITAL,
                TenantLevel.SECONDARY,
                "320311",
                "",
            ),
            "",
        )
        world.tenants["qs-hosp"] = tenant.tenant_id
        user = uc.create_user(
            UserDraft(
                "qs-hosp-doctor", "qs-hosp-doctor", PrincipalKind.PRACTITIONER, tenant.tenant_id, ""
            ),
            PASSWORD,
            "",
        )
        world.users["qs-hosp-doctor"] = user.user_id


@pytest.fixture
def archives(running: RunningCell) -> Archives:
    return world_snapshot.restored(running) or make_archives(running)


def make_archives(running: RunningCell) -> Archives:
    world = build_world(running)
    _add_county_hospital(running, world)
    result = Archives(
        running, world, archives_service_pb2_grpc.ArchivesServiceStub(running.channel)
    )
    residents = resident_stub(running.channel)
    md = running.md("qs-doctor")
    for short, number, name, region in (
        ("man", XUZHOU_MAN, "张三", "320311"),
        ("elder", QUANSHAN_WOMAN, "李秀英", "320311"),
        ("mother", ZAOZHUANG_WOMAN, "王芳", "320311"),
    ):
        reply = residents.RegisterResident(
            register_request(number, name=name, region=region), metadata=md
        )
        result.residents[short] = reply.resident.name
    # The mother presents at Tongshan's township hospital too (enrolled there).
    residents.RegisterResident(
        register_request(ZAOZHUANG_WOMAN, name="王芳", region="320312"),
        metadata=running.md("ts-doctor"),
    )
    newborn = residents.RegisterNewborn(
        rpb.RegisterNewbornRequest(
            resident=resident_pb2.Resident(
                display_name="王芳之女",
                sex=resident_pb2.SEX_FEMALE,
                birth_date=days_ago(10),
                mother=result.residents["mother"],
            )
        ),
        metadata=md,
    )
    result.residents["newborn"] = newborn.name
    return result
