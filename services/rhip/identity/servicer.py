"""IdentityService servicer: proto ⇄ domain conversion only. Errors are raised by the use
cases and mapped once by the interceptor."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from rhip.api.common.v1 import common_pb2
from rhip.api.identity.v1 import (
    identity_service_pb2 as pb,
)
from rhip.api.identity.v1 import (
    identity_service_pb2_grpc,
    region_pb2,
    tenant_pb2,
    user_pb2,
)
from rhip.identity.auth.accounts import AccountUseCases
from rhip.identity.auth.usecases import IssuedTokens
from rhip.identity.directory.domain import (
    RoleGrant,
    ServiceAccount,
    Tenant,
    TenantLevel,
    TenantType,
    User,
    UserState,
)
from rhip.identity.directory.usecases import TenantDraft, UserDraft
from rhip.identity.usecases import IdentityUseCases
from rhip.kit.apis import public_methods
from rhip.kit.audit_api import audit_event_to_pb, search_request
from rhip.kit.authn import PrincipalKind
from rhip.kit.pagination import parse_page
from rhip.kit.tenancy import Region, RegionLevel
from rhip.kit.timestamps import to_timestamp

REGION_HEADER = "x-rhip-region"  # where a login was aimed (the gateway routed it by this)
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["IdentityService"].full_name
PUBLIC_METHODS = public_methods(SERVICE_NAME)  # marked `(rhip.api.common.v1.public)` in proto

_TENANT_TYPES: dict[TenantType, tenant_pb2.TenantType] = {
    t: getattr(tenant_pb2, f"TENANT_TYPE_{t.name}") for t in TenantType
}
_TENANT_TYPES_BACK: dict[int, TenantType] = {v: k for k, v in _TENANT_TYPES.items()}
_LEVELS = {
    TenantLevel.UNSPECIFIED: tenant_pb2.TENANT_LEVEL_UNSPECIFIED,
    TenantLevel.PRIMARY: tenant_pb2.TENANT_LEVEL_PRIMARY,
    TenantLevel.SECONDARY: tenant_pb2.TENANT_LEVEL_SECONDARY,
    TenantLevel.TERTIARY: tenant_pb2.TENANT_LEVEL_TERTIARY,
}
_LEVELS_BACK = {v: k for k, v in _LEVELS.items()}
_KINDS: dict[PrincipalKind, common_pb2.PrincipalKind] = {
    k: getattr(common_pb2, f"PRINCIPAL_KIND_{k.name}") for k in PrincipalKind
}
_KINDS_BACK: dict[int, PrincipalKind] = {v: k for k, v in _KINDS.items()}
_REGION_LEVELS = {
    RegionLevel.PROVINCE: region_pb2.REGION_LEVEL_PROVINCE,
    RegionLevel.PREFECTURE: region_pb2.REGION_LEVEL_PREFECTURE,
    RegionLevel.COUNTY: region_pb2.REGION_LEVEL_COUNTY,
}


def region_to_pb(region: Region) -> region_pb2.Region:
    return region_pb2.Region(
        name=f"regions/{region.code}",
        code=region.code,
        display_name=region.name,
        english_name=region.english_name,
        level=_REGION_LEVELS[region.level],
        parent_code=region.parent_code,
        path=region.path,
    )


def tenant_to_pb(tenant: Tenant) -> tenant_pb2.Tenant:
    return tenant_pb2.Tenant(
        name=f"tenants/{tenant.tenant_id}",
        tenant_id=tenant.tenant_id,
        display_name=tenant.display_name,
        type=_TENANT_TYPES[tenant.type],
        level=_LEVELS[tenant.level],
        region_code=tenant.region_code,
        scope_path=tenant.scope_path,
        credit_code=tenant.credit_code,
        state=tenant_pb2.TENANT_STATE_ACTIVE
        if tenant.state.value == "active"
        else tenant_pb2.TENANT_STATE_SUSPENDED,
        suspend_reason=tenant.suspend_reason,
        create_time=to_timestamp(tenant.create_time),
        update_time=to_timestamp(tenant.update_time),
        etag=tenant.etag,
    )


def user_to_pb(user: User) -> user_pb2.User:
    locked = user.is_locked(datetime.now(UTC))
    if user.state is UserState.DISABLED:
        state = user_pb2.USER_STATE_DISABLED
    else:
        state = user_pb2.USER_STATE_LOCKED if locked else user_pb2.USER_STATE_ACTIVE
    return user_pb2.User(
        name=f"users/{user.user_id}",
        user_id=user.user_id,
        username=user.username,
        display_name=user.display_name,
        kind=_KINDS[user.kind],
        tenant_id=user.tenant_id,
        region_code=user.region_code,
        state=state,
        locked_until=to_timestamp(user.locked_until) if locked else None,
        create_time=to_timestamp(user.create_time),
        disable_reason=user.disable_reason,
        password_change_required=user.password_change_required,
        practitioner_registration=(
            user_pb2.PractitionerRegistration(
                professional_title=user.professional_title,
                independent_practice_since=user.practice_since.isoformat(),
                certificate_number=user.practice_certificate,
            )
            if user.practice_since is not None
            else None
        ),
    )


def grant_to_pb(grant: RoleGrant) -> user_pb2.RoleGrant:
    return user_pb2.RoleGrant(
        name=f"roleGrants/{grant.grant_id}",
        grant_id=grant.grant_id,
        subject=grant.subject,
        role=grant.role.value,
        region_code=grant.region_code if not grant.tenant_id else "",
        tenant_id=grant.tenant_id,
        scope_path=grant.scope_path,
        create_time=to_timestamp(grant.create_time),
    )


def service_account_to_pb(account: ServiceAccount, secret: str) -> user_pb2.ServiceAccount:
    return user_pb2.ServiceAccount(
        name=f"serviceAccounts/{account.service_account_id}",
        service_account_id=account.service_account_id,
        display_name=account.display_name,
        tenant_id=account.tenant_id,
        client_id=account.client_id,
        client_secret=secret,
        create_time=to_timestamp(account.create_time),
    )


def session_to_pb(session: IssuedTokens) -> pb.LoginResponse:
    principal = session.principal
    return pb.LoginResponse(
        access_token=session.access.token,
        access_token_expire_time=to_timestamp(session.access.expire_time),
        refresh_token=session.refresh_token,
        refresh_token_expire_time=to_timestamp(session.refresh_expire_time),
        principal=common_pb2.Principal(
            subject=principal.subject,
            kind=_KINDS[principal.kind],
            tenant_id=principal.tenant_id,
            region_code=principal.region_code,
            display_name=session.display_name,
        ),
        password_change_required=session.password_change_required,
    )


def _tenant_draft(tenant: tenant_pb2.Tenant) -> TenantDraft:
    return TenantDraft(
        display_name=tenant.display_name,
        type=_TENANT_TYPES_BACK.get(tenant.type),
        level=_LEVELS_BACK.get(tenant.level, TenantLevel.UNSPECIFIED),
        region_code=tenant.region_code,
        credit_code=tenant.credit_code,
    )


class IdentityServicer(identity_service_pb2_grpc.IdentityServiceServicer):
    def __init__(self, usecases: IdentityUseCases, accounts: AccountUseCases) -> None:
        self.uc = usecases
        self.accounts = accounts

    # regions
    def GetRegion(self, request, context):
        code = request.name.removeprefix("regions/")
        return region_to_pb(self.uc.get_region(code))

    def ListRegions(self, request, context):
        parent = request.parent.removeprefix("regions/")
        page = parse_page(request.page_size, request.page_token, "regions", parent)
        regions, token = self.uc.list_regions(parent, page)
        return pb.ListRegionsResponse(
            regions=[region_to_pb(r) for r in regions], next_page_token=token
        )

    # tenants
    def CreateTenant(self, request, context):
        return tenant_to_pb(
            self.uc.create_tenant(_tenant_draft(request.tenant), request.request_id)
        )

    def GetTenant(self, request, context):
        return tenant_to_pb(self.uc.get_tenant(request.name))

    def ListTenants(self, request, context):
        type_ = _TENANT_TYPES_BACK.get(request.type)
        page = parse_page(request.page_size, request.page_token, "tenants", request.parent, type_)
        tenants, token = self.uc.list_tenants(request.parent, type_, page)
        return pb.ListTenantsResponse(
            tenants=[tenant_to_pb(t) for t in tenants], next_page_token=token
        )

    def UpdateTenant(self, request, context):
        tenant = self.uc.update_tenant(
            request.tenant.name,
            _tenant_draft(request.tenant),
            list(request.update_mask.paths),
            request.tenant.etag,
        )
        return tenant_to_pb(tenant)

    def SuspendTenant(self, request, context):
        return tenant_to_pb(self.uc.set_tenant_suspended(request.name, True, request.reason))

    def ReactivateTenant(self, request, context):
        return tenant_to_pb(self.uc.set_tenant_suspended(request.name, False))

    # users
    def CreateUser(self, request, context):
        user = request.user
        draft = UserDraft(
            username=user.username,
            display_name=user.display_name,
            kind=_KINDS_BACK.get(user.kind),
            tenant_id=user.tenant_id,
            region_code=user.region_code,
        )
        return user_to_pb(self.uc.create_user(draft, request.password, request.request_id))

    def GetUser(self, request, context):
        return user_to_pb(self.uc.get_user(request.name))

    def ListUsers(self, request, context):
        page = parse_page(request.page_size, request.page_token, "users", request.parent)
        users, token = self.uc.list_users(request.parent, page)
        return pb.ListUsersResponse(users=[user_to_pb(u) for u in users], next_page_token=token)

    # account administration (rhip.identity.auth.accounts)
    def UnlockUser(self, request, context):
        return user_to_pb(self.accounts.unlock_user(request.name, request.request_id))

    def DisableUser(self, request, context):
        user = self.accounts.disable_user(request.name, request.reason, request.request_id)
        return user_to_pb(user)

    def SetPractitionerRegistration(self, request, context):
        r = request.registration
        user = self.accounts.set_practice(
            request.name, r.professional_title, r.independent_practice_since,
            r.certificate_number, request.request_id,
        )  # fmt: skip
        return user_to_pb(user)

    def EnableUser(self, request, context):
        return user_to_pb(self.accounts.enable_user(request.name, request.request_id))

    def ResetUserPassword(self, request, context):
        user = self.accounts.reset_user_password(request.name, request.password, request.request_id)
        return user_to_pb(user)

    def ChangePassword(self, request, context):
        user = self.accounts.change_password(
            request.name, request.current_password, request.new_password, request.request_id
        )
        return user_to_pb(user)

    # grants
    def GrantRole(self, request, context):
        g = request.grant
        grant = self.uc.grant_role(
            g.subject, g.role, g.region_code, g.tenant_id, request.request_id
        )
        return grant_to_pb(grant)

    def RevokeRole(self, request, context):
        return grant_to_pb(self.uc.revoke_role(request.name))

    def ListRoleGrants(self, request, context):
        page = parse_page(
            request.page_size, request.page_token, "grants", request.parent, request.subject
        )
        grants, token = self.uc.list_role_grants(request.parent, request.subject, page)
        return pb.ListRoleGrantsResponse(
            grants=[grant_to_pb(g) for g in grants], next_page_token=token
        )

    # service accounts
    def CreateServiceAccount(self, request, context):
        sa = request.service_account
        account, secret = self.uc.create_service_account(
            sa.display_name, sa.tenant_id, request.request_id
        )
        return service_account_to_pb(account, secret)

    # tokens
    def Login(self, request, context):
        if request.WhichOneof("credentials") == "client":
            session = self.uc.login_client(request.client.client_id, request.client.client_secret)
        else:
            region = str(dict(context.invocation_metadata()).get(REGION_HEADER, ""))
            session = self.uc.login_password(
                request.password.username, request.password.password, region
            )
        return session_to_pb(session)

    def RefreshAccessToken(self, request, context):
        return session_to_pb(self.uc.refresh(request.refresh_token))

    def SignOut(self, request, context):
        ended = self.uc.sign_out(request.refresh_token)
        return pb.SignOutResponse(sign_out_time=to_timestamp(ended))

    def GetJwks(self, request, context):
        keys = self.uc.jwks()
        return pb.GetJwksResponse(
            keys=[pb.JsonWebKey(**k) for k in keys], jwks_json=json.dumps({"keys": keys})
        )

    def RotateSigningKey(self, request, context):
        kid, created = self.uc.rotate_signing_key()
        return pb.RotateSigningKeyResponse(kid=kid, create_time=to_timestamp(created))

    def SearchAuditEvents(self, request, context):
        events, token = self.uc.search_audit(*search_request(request))
        return pb.SearchAuditEventsResponse(
            events=[audit_event_to_pb(e) for e in events], next_page_token=token
        )

    def VerifyAuditChain(self, request, context):
        report = self.uc.verify_audit_chain()
        return common_pb2.AuditChainReport(
            intact=report.intact,
            rows_checked=report.rows_checked,
            first_broken_seq=report.first_broken_seq,
            problem=report.problem,
        )
