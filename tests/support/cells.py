"""Test support: a running cell on a loopback port, and a small world of tenants and users
built through the use cases, as the API would build them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import grpc
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import identity_service_pb2_grpc, tenant_pb2
from rhip.cell import Cell, build_cell
from rhip.identity.directory.domain import TenantLevel, TenantType
from rhip.identity.directory.usecases import TenantDraft, UserDraft, bootstrap_admin
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from rhip.kit.config import Settings
from rhip.kit.telemetry import build_tracer_provider

PASSWORD = "Test-Passw0rd-42"

# Synthetic unified social credit codes with valid GB 32100 check characters.
VALID_CREDIT_CODE = "91350100M000100Y43"


@dataclass
class RunningCell:
    cell: Cell
    channel: grpc.Channel
    stub: identity_service_pb2_grpc.IdentityServiceStub
    spans: InMemorySpanExporter
    tokens: dict[str, str] = field(default_factory=dict)
    address: str = ""  # 127.0.0.1:{port}, for a client of another process

    @property
    def usecases(self):  # type: ignore[no-untyped-def]
        return self.cell.part("identity").usecases

    def login(self, username: str, password: str = PASSWORD) -> str:
        reply = self.stub.Login(
            pb.LoginRequest(password=pb.PasswordCredentials(username=username, password=password))
        )
        self.tokens[username] = reply.access_token
        return reply.access_token

    def md(self, username: str) -> list[tuple[str, str]]:
        token = self.tokens.get(username) or self.login(username)
        return [("authorization", f"Bearer {token}")]


def start_cell(
    settings: Settings, address: str = "127.0.0.1:0", services: Sequence[str] | None = None
) -> RunningCell:
    """``services``: the cell's services (and those they need); all of them by default."""
    spans = InMemorySpanExporter()
    provider = build_tracer_provider("memory", "test-cell", memory=spans)
    if services is None:
        cell = build_cell(settings, tracer_provider=provider)
    else:
        cell = build_cell(settings, services, tracer_provider=provider)
    port = cell.start(address)
    address = f"127.0.0.1:{port}"
    channel = grpc.insecure_channel(address)
    stub = identity_service_pb2_grpc.IdentityServiceStub(channel)
    return RunningCell(cell, channel, stub, spans, address=address)


@dataclass
class World:
    """Tenants and users of the Jiangsu cell, keyed by short names."""

    running: RunningCell
    tenants: dict[str, str] = field(default_factory=dict)  # short name → tenant id
    users: dict[str, str] = field(default_factory=dict)  # username → user id


def _admin_principal(running: RunningCell) -> Principal:
    admin = bootstrap_admin(running.usecases, "js-admin", "江苏省管理员", PASSWORD)
    return Principal(admin.subject, PrincipalKind.REGIONAL_ADMIN, "", "320000")


def build_world(running: RunningCell) -> World:
    """js-admin (Jiangsu), xz-admin (Xuzhou 320300), qs-admin (Quanshan county 320311),
    nj-admin (Nanjing 320100), an auditor, tenants in Quanshan, Tongshan and Nanjing, and a
    practitioner in each tenant."""
    uc = running.usecases
    world = World(running)
    with acting_as(_admin_principal(running)):
        for short, name, type_, county in (
            ("qs-chc", "泉山社区卫生服务中心", TenantType.COMMUNITY_HEALTH_CENTER, "320311"),
            ("ts-th", "铜山镇卫生院", TenantType.TOWNSHIP_HOSPITAL, "320312"),
            ("nj-chc", "鼓楼社区卫生服务中心", TenantType.COMMUNITY_HEALTH_CENTER, "320106"),
        ):
            tenant = uc.create_tenant(TenantDraft(name, type_, TenantLevel.PRIMARY, county, ""), "")
            world.tenants[short] = tenant.tenant_id
        for username, kind, region, tenant in (
            ("xz-admin", PrincipalKind.REGIONAL_ADMIN, "320300", ""),
            ("qs-admin", PrincipalKind.REGIONAL_ADMIN, "320311", ""),
            ("nj-admin", PrincipalKind.REGIONAL_ADMIN, "320100", ""),
            ("js-auditor", PrincipalKind.AUDITOR, "320000", ""),
            ("qs-doctor", PrincipalKind.PRACTITIONER, "", "qs-chc"),
            ("ts-doctor", PrincipalKind.PRACTITIONER, "", "ts-th"),
            ("nj-doctor", PrincipalKind.PRACTITIONER, "", "nj-chc"),
        ):
            user = uc.create_user(
                UserDraft(username, username, kind, world.tenants.get(tenant, ""), region),
                PASSWORD,
                "",
            )
            world.users[username] = user.user_id
    return world


def tenant_msg(name: str = "新建卫生院", region: str = "320311", **fields) -> tenant_pb2.Tenant:  # type: ignore[no-untyped-def]
    return tenant_pb2.Tenant(
        display_name=name,
        type=fields.pop("type", tenant_pb2.TENANT_TYPE_TOWNSHIP_HOSPITAL),
        region_code=region,
        **fields,
    )
