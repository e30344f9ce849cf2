"""Demo data for the embedded platform (``make run``): a Jiangsu cell centred on Xuzhou.

Seeded through the use cases, as the province administrator, so it goes through the same
validation, authorization and audit as real calls. Idempotent: a second run adds nothing.
Development mode only: the demo password is public.
"""

from __future__ import annotations

from dataclasses import dataclass

from rhip.identity.domain import TenantLevel, TenantType
from rhip.identity.usecases import IdentityUseCases, TenantDraft, UserDraft, bootstrap_admin
from rhip.kit.authn import Principal, PrincipalKind, acting_as
from rhip.kit.config import ConfigError

DEMO_PASSWORD = "Demo-Passw0rd-2026"

# (stable request id, name, type, level, county code, credit code)
XUZHOU_TENANTS = (
    (
        "0193a000-0000-7000-8000-000000000001",
        "泉山区永安街道社区卫生服务中心",
        TenantType.COMMUNITY_HEALTH_CENTER,
        TenantLevel.PRIMARY,
        "320311",
        "",
    ),
    (
        "0193a000-0000-7000-8000-000000000002",
        "铜山区棠张镇卫生院",
        TenantType.TOWNSHIP_HOSPITAL,
        TenantLevel.PRIMARY,
        "320312",
        "",
    ),
    (
        "0193a000-0000-7000-8000-000000000003",
        "铜山区棠张镇张庄村卫生室",
        TenantType.VILLAGE_CLINIC,
        TenantLevel.UNSPECIFIED,
        "320312",
        "",
    ),
    (
        "0193a000-0000-7000-8000-000000000004",
        "沛县人民医院",
        TenantType.COUNTY_HOSPITAL,
        TenantLevel.SECONDARY,
        "320322",
        "",
    ),
    (
        "0193a000-0000-7000-8000-000000000005",
        "徐州市妇幼保健院",
        TenantType.MCH_HOSPITAL,
        TenantLevel.TERTIARY,
        "320311",
        "",
    ),
)

# (request id, username, display name, kind, region code or tenant index)
XUZHOU_USERS = (
    (
        "0193a000-0000-7000-8000-000000000101",
        "xz-admin",
        "徐州市卫健委管理员",
        PrincipalKind.REGIONAL_ADMIN,
        "320300",
    ),
    (
        "0193a000-0000-7000-8000-000000000102",
        "qs-admin",
        "泉山区卫健委管理员",
        PrincipalKind.REGIONAL_ADMIN,
        "320311",
    ),
    (
        "0193a000-0000-7000-8000-000000000103",
        "js-auditor",
        "江苏省审计员",
        PrincipalKind.AUDITOR,
        "320000",
    ),
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    scope: str


def seed_demo(usecases: IdentityUseCases) -> list[DemoAccount]:
    """Seed the Jiangsu demo cell; returns the accounts to print."""
    settings = usecases.settings
    if not settings.development:
        raise ConfigError("demo data is only seeded in development mode")
    if settings.cell != "320000":
        raise ConfigError("the demo seed is for the Jiangsu cell (320000)")
    admin = bootstrap_admin(usecases, "js-admin", "江苏省卫健委管理员", DEMO_PASSWORD)
    accounts = [DemoAccount("js-admin", "regional_admin", "320000 江苏省")]
    principal = Principal(admin.subject, admin.kind, "", admin.region_code)
    with acting_as(principal):
        tenants = [
            usecases.create_tenant(TenantDraft(name, type_, level, county, credit), request_id)
            for request_id, name, type_, level, county, credit in XUZHOU_TENANTS
        ]
        for request_id, username, display, kind, region in XUZHOU_USERS:
            usecases.create_user(
                UserDraft(username, display, kind, "", region), DEMO_PASSWORD, request_id
            )
            accounts.append(DemoAccount(username, kind.value, region))
        for index, tenant in enumerate(tenants, start=1):
            username = f"xz-doctor-{index}"
            request_id = f"0193a000-0000-7000-8000-0000000002{index:02d}"
            usecases.create_user(
                UserDraft(
                    username,
                    f"{tenant.display_name}医生",
                    PrincipalKind.PRACTITIONER,
                    tenant.tenant_id,
                    "",
                ),
                DEMO_PASSWORD,
                request_id,
            )
            accounts.append(DemoAccount(username, "practitioner", tenant.display_name))
    return accounts
