"""Identity's demo data (rhip.demo's world): the province administrator, the institutions
and the accounts of this cell, created as that administrator through the use cases."""

from __future__ import annotations

from collections.abc import Mapping

from rhip.demo import DEMO_PASSWORD, DemoCell, demo_cell, request_id
from rhip.identity.directory.usecases import TenantDraft, UserDraft, bootstrap_admin
from rhip.identity.usecases import IdentityUseCases
from rhip.kit.authn import Principal, acting_as
from rhip.kit.config import Settings
from rhip.kit.modules import Built


def seed_demo(usecases: IdentityUseCases) -> DemoCell:
    """Seed this cell's demo institutions and accounts; returns what was seeded."""
    cell = usecases.settings.cell
    demo = demo_cell(usecases.settings)
    admin = bootstrap_admin(usecases, demo.admin, f"{demo.name} 管理员", DEMO_PASSWORD)
    with acting_as(Principal(admin.subject, admin.kind, "", admin.region_code)):
        tenants = [
            usecases.create_tenant(
                TenantDraft(t.name, t.type, t.level, t.county, ""),
                request_id(cell, "tenant", t.name),
            )
            for t in demo.tenants
        ]
        if demo.police is not None:
            # Its service accounts are made by the city administrator when a police system
            # connects (the secret is shown once): README's verify example does so.
            usecases.create_tenant(
                TenantDraft(demo.police.name, demo.police.type, demo.police.level,
                            demo.police.county, ""),
                request_id(cell, "tenant", demo.police.name),
            )  # fmt: skip
        for account in demo.accounts:
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
                request_id(cell, "user", account.username),
            )
    return demo


def seed_identity_demo(built: Mapping[str, Built], settings: Settings) -> str | None:
    """The identity module's demo seeding: tenants and accounts of the cell."""
    demo = seed_demo(built["identity"].parts.usecases)
    police = ", 1 public-security organ" if demo.police else ""
    return f"demo data: {len(demo.tenants)} institutions{police}, {len(demo.accounts)} accounts"
