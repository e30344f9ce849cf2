"""The demo world every service's demo data lives in (``make run``): a Jiangsu cell centred
on Xuzhou and a Shandong cell centred on Zaozhuang, their institutions and accounts.

Each service seeds its own part (``<svc>/demo.py``, hooked in its module) through its use
cases, so demo data goes through the same validation, authorization and audit as real calls,
with request ids derived from names (``request_id``): a second run adds nothing.
Development mode only: the demo password is public.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rhip.identity.directory.domain import TenantLevel, TenantType
from rhip.kit.authn import PrincipalKind
from rhip.kit.config import ConfigError, Settings

DEMO_PASSWORD = "Demo-Passw0rd-2026"
# The layout of the demo world: a data directory seeded under another version is set aside
# (rhip.platform), since its objects carry other request ids and would be seeded twice.
DEMO_WORLD_VERSION = 2
DEMO_NAMESPACE = uuid.UUID("0193a000-3200-7000-8000-000000000000")


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
    # A public-security organ checking birth certificates (README's verify example); apart
    # from ``tenants``, the health institutions every service's demo data indexes.
    police: DemoTenant | None = None


def _cell(cell: str, name: str, prefix: str, city: str, county: str, tenants: tuple[DemoTenant, ...], city_user: str, county_user: str, police: DemoTenant | None = None) -> DemoCell:  # fmt: skip
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
        police,
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
        DemoTenant("徐州市公安局铜山分局户政科", TenantType.PUBLIC_SECURITY, TenantLevel.UNSPECIFIED, "320312"),
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
        DemoTenant("枣庄市公安局市中分局户政科", TenantType.PUBLIC_SECURITY, TenantLevel.UNSPECIFIED, "370402"),
    ),
}  # fmt: skip


def request_id(cell: str, *names: str) -> str:
    """The request id of one demo object, derived from what it is (``request_id(cell,
    "tenant", name)``), so that reseeding is a no-op and a service adding demo data needs no
    number from anyone else."""
    return str(uuid.uuid5(DEMO_NAMESPACE, "/".join((cell, *names))))


def demo_cell(settings: Settings) -> DemoCell:
    """This cell's part of the demo world; refuses outside development mode."""
    if not settings.development:
        raise ConfigError("demo data is only seeded in development mode")
    demo = CELLS.get(settings.cell)
    if demo is None:
        raise ConfigError(f"no demo data for cell {settings.cell}; demo cells: {', '.join(CELLS)}")
    return demo


def doctor_of(demo: DemoCell, index: int) -> DemoAccount:
    """The demo doctor of the tenant at ``index``."""
    return next(a for a in demo.accounts if a.scope == f"t{index}")


def doctors_in(codes: Sequence[str], tenant: Callable[[DemoCell], int]) -> list[str]:
    """For the operator's hints: in each of these demo cells, the username of the doctor of the
    tenant that ``tenant`` picks (in the order of ``codes``)."""
    return [doctor_of(CELLS[code], tenant(CELLS[code])).username for code in codes]
