"""Fixtures for emr tests: an all-in-one Jiangsu cell (identity, archives and emr, each on its
own database: an SQLite file each, or a PostgreSQL schema each), the standard world plus two
hospitals of Quanshan (each with a doctor, the first with its HIS service account), and
residents registered through the ResidentService."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings, postgres_schema
from emr.helpers import Emr
from rhip.api.emr.v1 import emr_service_pb2_grpc
from rhip.api.identity.v1 import identity_service_pb2 as ipb
from rhip.identity.directory.domain import TenantLevel, TenantType
from rhip.identity.directory.usecases import TenantDraft, UserDraft
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from support import world_snapshot
from support.cells import PASSWORD, RunningCell, World, build_world, start_cell
from support.logs import no_id_numbers_in_logs  # noqa: F401  (autouse: no ID number in any log)
from support.residents import XUZHOU_MAN, ZAOZHUANG_WOMAN, register_request, with_check
from support.residents import stub as resident_stub

NANJING_MAN = "320106198001010011"
ALIAS_NUMBER = with_check("32030219900101001")  # the man registered a second time


@pytest.fixture
def service_urls(database_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Archives' and emr's own databases next to identity's."""
    if database_url.startswith("sqlite"):
        yield {s: f"sqlite:///{tmp_path / s}.db" for s in ("archives", "emr")}
        return
    with postgres_schema("a") as archives, postgres_schema("e") as emr:
        yield {"archives": archives, "emr": emr}


# The world is copied in (support.world_snapshot) where a test takes these as they are here.
WORLD_FIXTURES = {"emr": "tests/emr", "service_urls": "tests/emr", "running": "tests/emr"}


@pytest.fixture
def running(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str, service_urls: dict
) -> Iterator[RunningCell]:
    if world_snapshot.wanted(request, database_url, WORLD_FIXTURES):  # copied, not built again
        urls = {"identity": database_url, **service_urls}
        running = world_snapshot.start("emr", tmp_path, urls, make_emr)
    else:
        marker = request.node.get_closest_marker("cell_env")
        extra = marker.kwargs if marker else {}
        settings = make_settings(
            tmp_path, database_url,
            RHIP_ARCHIVES_DATABASE_URL=service_urls["archives"],
            RHIP_EMR_DATABASE_URL=service_urls["emr"], **extra,
        )  # fmt: skip
        running = start_cell(settings)
    yield running
    world_snapshot.forget(running)
    running.channel.close()
    running.cell.stop(0)


def _hospitals(running: RunningCell, world: World) -> str:
    """Two county hospitals in Quanshan with a doctor each; the first's HIS account. Returns
    the account's access token."""
    uc = running.usecases
    admin = Principal(f"user:{world.users['xz-admin']}", PrincipalKind.REGIONAL_ADMIN, "", "320300")
    with acting_as(admin):
        for short, name in (("hosp", "徐州市泉山区人民医院"), ("hosp2", "泉山区第二人民医院")):
            tenant = uc.create_tenant(
                TenantDraft(name, TenantType.COUNTY_HOSPITAL, TenantLevel.SECONDARY, "320311", ""),
                "",
            )
            world.tenants[short] = tenant.tenant_id
            user = uc.create_user(
                UserDraft(
                    f"{short}-doctor", f"{short}-doctor", PrincipalKind.PRACTITIONER,
                    tenant.tenant_id, "",
                ),
                PASSWORD, "",
            )  # fmt: skip
            world.users[f"{short}-doctor"] = user.user_id
        account, secret = uc.create_service_account("泉山医院HIS", world.tenants["hosp"], "")
    reply = running.stub.Login(
        ipb.LoginRequest(
            client=ipb.ClientCredentials(client_id=account.client_id, client_secret=secret)
        )
    )
    return str(reply.access_token)


@pytest.fixture
def emr(running: RunningCell) -> Emr:
    return world_snapshot.restored(running) or make_emr(running)


def make_emr(running: RunningCell) -> Emr:
    world = build_world(running)
    running.tokens["his"] = _hospitals(running, world)
    result = Emr(running, world, emr_service_pb2_grpc.EmrServiceStub(running.channel))
    residents = resident_stub(running.channel)
    for short, number, name, region, who in (
        ("man", XUZHOU_MAN, "张三", "320311", "qs-doctor"),
        ("woman", ZAOZHUANG_WOMAN, "王芳", "320311", "qs-doctor"),
        ("nanjing", NANJING_MAN, "李四", "320106", "nj-doctor"),
    ):
        reply = residents.RegisterResident(
            register_request(number, name=name, region=region), metadata=running.md(who)
        )
        result.residents[short] = reply.resident.name
        result.numbers[short] = number
    return result


@pytest.fixture
def alias(emr: Emr) -> Emr:
    """The man again, under another ID number (``alias``): two residents, one person, for
    identity's merges (test_timeline_merges, test_merged_reads)."""
    reply = resident_stub(emr.running.channel).RegisterResident(
        register_request(ALIAS_NUMBER, name="张三", region="320311"),
        metadata=emr.md("qs-doctor"),
    )
    emr.residents["alias"] = reply.resident.name
    emr.numbers["alias"] = ALIAS_NUMBER
    return emr
