"""Identity rules as plain Python: tenants, users, credentials, lockout. No gRPC, no SQL."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import Enum

from rhip.kit.authn import PrincipalKind
from rhip.kit.errors import invalid

# Shared request checks, re-exported for the identity modules.
from rhip.kit.requests import check_no_controls
from rhip.kit.requests import parse_resource_name as parse_resource_name
from rhip.kit.requests import validate_reason as validate_reason
from rhip.kit.requests import validate_request_id as validate_request_id
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, ValidationError


class TenantType(Enum):
    VILLAGE_CLINIC = "village_clinic"
    TOWNSHIP_HOSPITAL = "township_hospital"
    COMMUNITY_HEALTH_CENTER = "community_health_center"
    COMMUNITY_HEALTH_STATION = "community_health_station"
    COUNTY_HOSPITAL = "county_hospital"
    MCH_HOSPITAL = "mch_hospital"
    CDC = "cdc"
    TERTIARY_HOSPITAL = "tertiary_hospital"
    OTHER = "other"
    # Not a health institution: a police system that checks birth certificates (DOMAIN §4.2,
    # §4.6). Its service accounts get the verifier role; it takes no practitioners, no
    # qualifications, and is no institution of any health indicator.
    PUBLIC_SECURITY = "public_security"

    @property
    def health_institution(self) -> bool:
        return self is not TenantType.PUBLIC_SECURITY


class TenantLevel(Enum):
    UNSPECIFIED = "unspecified"
    PRIMARY = "primary"
    SECONDARY = "secondary"
    TERTIARY = "tertiary"


class TenantState(Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Role(Enum):
    """Roles a grant can carry; what each may call is in ``roles.py``."""

    REGIONAL_ADMIN = "regional_admin"
    PRACTITIONER = "practitioner"
    AUDITOR = "auditor"
    SERVICE = "service"
    # A public-security tenant's service account: verifies birth certificates, nothing else.
    VERIFIER = "verifier"
    # The cell's own account on cross-cell calls; never granted through GrantRole.
    CELL = "cell"


# ---- unified social credit code (统一社会信用代码, GB 32100-2015) ----------------------------
# Shape and check character by python-stdnum (stdnum.cn.uscc): 18 characters of 0-9 and A-Y
# without I, O, S, V, Z, the first eight digits (authority, entity type, region code).


def validate_credit_code(code: str, field: str) -> str:
    """The upper-cased code, or INVALID_ARGUMENT naming what is wrong."""
    code = code.strip().upper()
    try:
        return str(uscc.validate(code))
    except InvalidChecksum:
        expected = uscc.calc_check_digit(code)
        raise invalid(
            field,
            f"check character should be {expected}, got {code[17]}",
            "CREDIT_CODE_CHECK_CHAR",
        ) from None
    except ValidationError:
        raise invalid(
            field,
            "must be 18 characters: 8 digits, then 0-9 and A-Y without I, O, S, V, Z",
            "CREDIT_CODE_FORMAT",
        ) from None


# ---- tenants ------------------------------------------------------------------------------
MAX_NAME_LENGTH = 100


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    display_name: str
    type: TenantType
    level: TenantLevel
    region_code: str
    scope_path: str
    credit_code: str
    state: TenantState
    suspend_reason: str
    create_time: datetime
    update_time: datetime
    version: int

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'

    def suspended(self, reason: str, now: datetime) -> Tenant:
        return replace(
            self,
            state=TenantState.SUSPENDED,
            suspend_reason=reason,
            update_time=now,
            version=self.version + 1,
        )

    def reactivated(self, now: datetime) -> Tenant:
        return replace(
            self,
            state=TenantState.ACTIVE,
            suspend_reason="",
            update_time=now,
            version=self.version + 1,
        )


def validate_display_name(name: str, field: str) -> str:
    name = name.strip()
    if not name:
        raise invalid(field, "must not be empty", "NAME_REQUIRED")
    if len(name) > MAX_NAME_LENGTH:
        raise invalid(field, f"must be at most {MAX_NAME_LENGTH} characters", "NAME_TOO_LONG")
    return check_no_controls(name, field)  # one line, printable


# ---- users and credentials ----------------------------------------------------------------
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
# Passwords are checked by the configured policy: rhip.identity.passwords.


class UserState(Enum):
    ACTIVE = "active"
    DISABLED = "disabled"  # by an administrator (DisableUser): blocked in the policy


@dataclass(frozen=True)
class User:
    user_id: str
    username: str
    display_name: str
    kind: PrincipalKind
    tenant_id: str
    region_code: str
    scope_path: str
    failed_logins: int
    locked_until: datetime | None
    create_time: datetime
    state: UserState = UserState.ACTIVE
    disable_reason: str = ""
    # Set by an administrator's password reset, cleared by the user's ChangePassword.
    password_change_required: bool = False
    # A practitioner's practice registration (SetPractitionerRegistration); "" / None: none.
    professional_title: str = ""
    practice_since: date | None = None
    practice_certificate: str = ""

    @property
    def subject(self) -> str:
        return f"user:{self.user_id}"

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    # Account administration (rhip.identity.auth.accounts); each returns the changed user.
    def unlocked(self) -> User:
        return replace(self, failed_logins=0, locked_until=None)

    def disabled(self, reason: str) -> User:
        return replace(self, state=UserState.DISABLED, disable_reason=reason)

    def enabled(self) -> User:
        return replace(self, state=UserState.ACTIVE, disable_reason="")

    def password_reset(self) -> User:
        """A temporary password set by an administrator: it must be changed, and it ends any
        lockout (the administrator vouches for the person)."""
        return replace(self.unlocked(), password_change_required=True)

    def password_changed(self) -> User:
        return replace(self.unlocked(), password_change_required=False)


def validate_username(username: str, field: str) -> str:
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise invalid(
            field, "must be 3-64 characters of a-z, 0-9, '.', '_' or '-'", "USERNAME_FORMAT"
        )
    return username


def role_for_kind(kind: PrincipalKind) -> Role:
    return {
        PrincipalKind.PRACTITIONER: Role.PRACTITIONER,
        PrincipalKind.REGIONAL_ADMIN: Role.REGIONAL_ADMIN,
        PrincipalKind.AUDITOR: Role.AUDITOR,
        PrincipalKind.SERVICE_ACCOUNT: Role.SERVICE,
    }[kind]


@dataclass(frozen=True)
class ServiceAccount:
    service_account_id: str
    display_name: str
    tenant_id: str
    client_id: str
    scope_path: str
    region_code: str
    create_time: datetime

    @property
    def subject(self) -> str:
        return f"sa:{self.service_account_id}"


@dataclass(frozen=True)
class RoleGrant:
    grant_id: str
    subject: str
    role: Role
    region_code: str
    tenant_id: str
    scope_path: str
    create_time: datetime


def parse_subject(subject: str, field: str) -> tuple[str, str]:
    """``user:{id}`` or ``sa:{id}`` → (kind, id)."""
    kind, _, value = subject.partition(":")
    if kind not in ("user", "sa") or not value:
        raise invalid(field, "must be user:{id} or sa:{id}", "SUBJECT_FORMAT")
    return kind, value
