"""Demo data for the embedded platform (``make run``): a Jiangsu cell centred on Xuzhou and a
Shandong cell centred on Zaozhuang.

Seeded through the use cases, as each province's administrator, so it goes through the same
validation, authorization and audit as real calls. Idempotent (fixed request ids): a second
run adds nothing. Development mode only: the demo password is public.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rhip.identity.directory.domain import TenantLevel, TenantType
from rhip.identity.directory.usecases import TenantDraft, UserDraft, bootstrap_admin
from rhip.identity.usecases import IdentityUseCases
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from rhip.kit.config import ConfigError, Settings
from rhip.kit.modules import Built

DEMO_PASSWORD = "Demo-Passw0rd-2026"


@dataclass(frozen=True)
class DemoTenant:
    name: str
    type: TenantType
    level: TenantLevel
    county: str


@dataclass(frozen=True)
class DemoAccount:
    username: str
    kind: PrincipalKind
    scope: str  # region code, or the index of a tenant ("t0", "t1", …)


@dataclass(frozen=True)
class DemoCell:
    cell: str
    name: str
    admin: str  # the province administrator, bootstrapped
    tenants: tuple[DemoTenant, ...]
    accounts: tuple[DemoAccount, ...]


def _cell(cell: str, name: str, prefix: str, city: str, county: str, tenants: tuple[DemoTenant, ...], city_user: str, county_user: str) -> DemoCell:  # fmt: skip
    return DemoCell(
        cell,
        name,
        f"{prefix}-admin",
        tenants,
        (
            DemoAccount(f"{prefix}-admin", PrincipalKind.REGIONAL_ADMIN, cell),
            DemoAccount(city_user, PrincipalKind.REGIONAL_ADMIN, city),
            DemoAccount(county_user, PrincipalKind.REGIONAL_ADMIN, county),
            DemoAccount(f"{prefix}-auditor", PrincipalKind.AUDITOR, cell),
            *(
                DemoAccount(
                    f"{city_user.split('-')[0]}-doctor-{i + 1}", PrincipalKind.PRACTITIONER, f"t{i}"
                )
                for i in range(len(tenants))
            ),
        ),
    )


CELLS: dict[str, DemoCell] = {
    "320000": _cell(
        "320000", "江苏省 Jiangsu", "js", "320300", "320311",
        (
            DemoTenant("泉山区永安街道社区卫生服务中心", TenantType.COMMUNITY_HEALTH_CENTER, TenantLevel.PRIMARY, "320311"),
            DemoTenant("铜山区棠张镇卫生院", TenantType.TOWNSHIP_HOSPITAL, TenantLevel.PRIMARY, "320312"),
            DemoTenant("铜山区棠张镇张庄村卫生室", TenantType.VILLAGE_CLINIC, TenantLevel.UNSPECIFIED, "320312"),
            DemoTenant("沛县人民医院", TenantType.COUNTY_HOSPITAL, TenantLevel.SECONDARY, "320322"),
            DemoTenant("徐州市妇幼保健院", TenantType.MCH_HOSPITAL, TenantLevel.TERTIARY, "320311"),
        ),
        "xz-admin", "qs-admin",
    ),
    "370000": _cell(
        "370000", "山东省 Shandong", "sd", "370400", "370402",
        (
            DemoTenant("市中区光明路街道社区卫生服务中心", TenantType.COMMUNITY_HEALTH_CENTER, TenantLevel.PRIMARY, "370402"),
            DemoTenant("山亭区店子镇卫生院", TenantType.TOWNSHIP_HOSPITAL, TenantLevel.PRIMARY, "370406"),
            DemoTenant("山亭区店子镇西集村卫生室", TenantType.VILLAGE_CLINIC, TenantLevel.UNSPECIFIED, "370406"),
            DemoTenant("滕州市人民医院", TenantType.COUNTY_HOSPITAL, TenantLevel.SECONDARY, "370481"),
            DemoTenant("枣庄市妇幼保健院", TenantType.MCH_HOSPITAL, TenantLevel.TERTIARY, "370402"),
        ),
        "zz-admin", "szq-admin",
    ),
}  # fmt: skip


def request_id(cell: str, kind: int, index: int) -> str:
    """A fixed UUID per demo object, so reseeding is a no-op."""
    return f"0193a000-{cell[:4]}-7000-8000-{kind:04d}{index:08d}"


def seed_demo(usecases: IdentityUseCases) -> DemoCell:
    """Seed this cell's demo data; returns what was seeded (for printing)."""
    settings = usecases.settings
    if not settings.development:
        raise ConfigError("demo data is only seeded in development mode")
    demo = CELLS.get(settings.cell)
    if demo is None:
        raise ConfigError(f"no demo data for cell {settings.cell}; demo cells: {', '.join(CELLS)}")
    admin = bootstrap_admin(usecases, demo.admin, f"{demo.name} 管理员", DEMO_PASSWORD)
    with acting_as(Principal(admin.subject, admin.kind, "", admin.region_code)):
        tenants = [
            usecases.create_tenant(
                TenantDraft(t.name, t.type, t.level, t.county, ""), request_id(settings.cell, 1, i)
            )
            for i, t in enumerate(demo.tenants)
        ]
        for i, account in enumerate(demo.accounts):
            if account.username == demo.admin:
                continue
            tenant = tenants[int(account.scope[1:])] if account.scope.startswith("t") else None
            display = f"{tenant.display_name}医生" if tenant else account.username
            usecases.create_user(
                UserDraft(
                    account.username,
                    display,
                    account.kind,
                    tenant.tenant_id if tenant else "",
                    "" if tenant else account.scope,
                ),
                DEMO_PASSWORD,
                request_id(settings.cell, 2, i),
            )
    return demo


def seed_identity_demo(built: Mapping[str, Built], settings: Settings) -> str | None:
    """The identity module's demo seeding (rhip.modules): tenants and accounts of the cell."""
    demo = seed_demo(built["identity"].parts.usecases)
    return f"demo data: {len(demo.tenants)} institutions, {len(demo.accounts)} accounts"
