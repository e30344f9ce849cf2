"""Directory tables (SQLAlchemy 2 declarative) and the repository over them: tenants, users,
service accounts, role grants. ``Base`` is the declarative base of every identity table.

Reads go through ``select()`` on the mapped columns and return domain dataclasses; the ORM's
unit of work is not used on the hot path (measured: Core-style statements cost about 25% less
CPU per read than loading ORM instances). The use case owns the transaction; nothing here
commits.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from rhip.identity.directory.domain import (
    Role,
    RoleGrant,
    ServiceAccount,
    Tenant,
    TenantLevel,
    TenantState,
    TenantType,
    User,
    UserState,
)
from rhip.kit.authn import PrincipalKind
from rhip.kit.db import utc
from rhip.kit.driver_reads import DriverRead
from rhip.kit.errors import AlreadyExists
from rhip.kit.scopes import within_scopes
from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
    and_,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class TenantRow(Base):
    __tablename__ = "tenant"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(20))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    scope_path: Mapped[str] = mapped_column(String(120), index=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    state: Mapped[str] = mapped_column(String(20))
    suspend_reason: Mapped[str] = mapped_column(String(500), default="")
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    update_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(36), unique=True)


class UserRow(Base):
    __tablename__ = "app_user"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenant.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(6))
    scope_path: Mapped[str] = mapped_column(String(120), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    # identity_0004: account administration (rhip.identity.auth.accounts).
    state: Mapped[str] = mapped_column(String(20), default="active")
    disable_reason: Mapped[str] = mapped_column(String(500), default="")
    password_change_required: Mapped[int] = mapped_column(Integer, default=0)
    # identity_0007r: a practitioner's practice registration (rhip.identity.auth.accounts).
    professional_title: Mapped[str] = mapped_column(String(20), default="")
    practice_since: Mapped[date | None] = mapped_column(Date)
    practice_certificate: Mapped[str] = mapped_column(String(30), default="")


class ServiceAccountRow(Base):
    __tablename__ = "service_account"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenant.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str | None] = mapped_column(String(36), unique=True)


class RoleGrantRow(Base):
    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("subject", "role", "scope_path", name="ux_role_grant"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(40))
    region_code: Mapped[str] = mapped_column(String(6))
    tenant_id: Mapped[str] = mapped_column(String(36), default="")
    scope_path: Mapped[str] = mapped_column(String(120), index=True)
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str | None] = mapped_column(String(36), unique=True)


def _tenant(row) -> Tenant:
    return Tenant(
        tenant_id=row.id,
        display_name=row.display_name,
        type=TenantType(row.type),
        level=TenantLevel(row.level),
        region_code=row.region_code,
        scope_path=row.scope_path,
        credit_code=row.credit_code or "",
        state=TenantState(row.state),
        suspend_reason=row.suspend_reason,
        create_time=utc(row.create_time),  # type: ignore[arg-type]
        update_time=utc(row.update_time),  # type: ignore[arg-type]
        version=row.version,
    )


def _user(row) -> User:
    return User(
        user_id=row.id,
        username=row.username,
        display_name=row.display_name,
        kind=PrincipalKind(row.kind),
        tenant_id=row.tenant_id or "",
        region_code=row.region_code,
        scope_path=row.scope_path,
        failed_logins=row.failed_logins,
        locked_until=utc(row.locked_until),
        create_time=utc(row.create_time),  # type: ignore[arg-type]
        state=UserState(row.state),
        disable_reason=row.disable_reason,
        password_change_required=bool(row.password_change_required),
        professional_title=row.professional_title or "",
        practice_since=row.practice_since,
        practice_certificate=row.practice_certificate or "",
    )


def _grant(row) -> RoleGrant:
    return RoleGrant(
        grant_id=row.id,
        subject=row.subject,
        role=Role(row.role),
        region_code=row.region_code,
        tenant_id=row.tenant_id,
        scope_path=row.scope_path,
        create_time=utc(row.create_time),  # type: ignore[arg-type]
    )


def _service_account(row) -> ServiceAccount:
    return ServiceAccount(
        service_account_id=row.id,
        display_name=row.display_name,
        tenant_id=row.tenant_id,
        client_id=row.client_id,
        scope_path=row.scope_path,
        region_code=row.region_code,
        create_time=utc(row.create_time),  # type: ignore[arg-type]
    )


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


_TENANT = _table(TenantRow)
_USER = _table(UserRow)
_GRANT = _table(RoleGrantRow)
_SERVICE_ACCOUNT = _table(ServiceAccountRow)

# Built once and run on the driver (rhip.kit.driver_reads): on the hot read path (GetTenant, and
# every use case that loads a tenant) building the statement per call and SQLAlchemy's execution
# layer cost more CPU than the query itself (tests/perf).
_TENANT_BY_ID = DriverRead(select(_TENANT).where(_TENANT.c.id == bindparam("tenant_id")))


class DirectoryRepository:
    """Every query takes the caller's scopes where it lists data."""

    def __init__(self, tx: Connection) -> None:
        self.s = tx

    # -- tenants -------------------------------------------------------------------------
    def get_tenant(self, tenant_id: str) -> Tenant | None:
        row = _TENANT_BY_ID.first(self.s, {"tenant_id": tenant_id})
        return _tenant(row) if row else None

    def tenant_scope(self, tenant_id: str) -> str | None:
        """The tenant's scope path; None when there is no such tenant."""
        tenant = self.get_tenant(tenant_id)
        return tenant.scope_path if tenant else None

    def tenant_by_request(self, request_id: str) -> Tenant | None:
        row = self.s.execute(select(_TENANT).where(_TENANT.c.request_id == request_id)).first()
        return _tenant(row) if row else None

    def add_tenant(self, tenant: Tenant, request_id: str) -> None:
        try:
            with self.s.begin_nested():
                self.s.execute(
                    insert(_TENANT).values(
                        id=tenant.tenant_id,
                        display_name=tenant.display_name,
                        type=tenant.type.value,
                        level=tenant.level.value,
                        region_code=tenant.region_code,
                        scope_path=tenant.scope_path,
                        credit_code=tenant.credit_code or None,
                        state=tenant.state.value,
                        suspend_reason=tenant.suspend_reason,
                        create_time=tenant.create_time,
                        update_time=tenant.update_time,
                        version=tenant.version,
                        request_id=request_id or None,
                    )
                )
        except IntegrityError:
            raise AlreadyExists(
                "a tenant with this credit code already exists", reason="TENANT_EXISTS"
            ) from None

    def save_tenant(self, tenant: Tenant, expected_version: int) -> bool:
        """Write ``tenant`` if nobody changed it since ``expected_version``."""
        try:
            with self.s.begin_nested():
                result = self.s.execute(
                    update(_TENANT)
                    .where(_TENANT.c.id == tenant.tenant_id, _TENANT.c.version == expected_version)
                    .values(
                        display_name=tenant.display_name,
                        type=tenant.type.value,
                        level=tenant.level.value,
                        credit_code=tenant.credit_code or None,
                        state=tenant.state.value,
                        suspend_reason=tenant.suspend_reason,
                        update_time=tenant.update_time,
                        version=tenant.version,
                    )
                )
        except IntegrityError:
            raise AlreadyExists(
                "a tenant with this credit code already exists", reason="TENANT_EXISTS"
            ) from None
        return bool(cast(CursorResult, result).rowcount)

    def list_tenants(
        self, under: str, scopes: list[str], type_: TenantType | None, after: str | None, limit: int
    ) -> list[Tenant]:
        query = select(_TENANT).where(
            within_scopes(_TENANT.c.scope_path, [under]),
            within_scopes(_TENANT.c.scope_path, scopes),
        )
        if type_ is not None:
            query = query.where(_TENANT.c.type == type_.value)
        if after:
            query = query.where(_TENANT.c.id > after)
        rows = self.s.execute(query.order_by(_TENANT.c.id).limit(limit)).all()
        return [_tenant(r) for r in rows]

    # -- users ---------------------------------------------------------------------------
    def get_user(self, user_id: str) -> User | None:
        row = self.s.execute(select(_USER).where(_USER.c.id == user_id)).first()
        return _user(row) if row else None

    def user_by_request(self, request_id: str) -> User | None:
        row = self.s.execute(select(_USER).where(_USER.c.request_id == request_id)).first()
        return _user(row) if row else None

    def user_for_login(self, username: str, *, lock: bool = True) -> tuple[User, str] | None:
        """The user and their password hash; ``lock``: the row held to the transaction's end."""
        query = select(_USER).where(_USER.c.username == username)
        row = self.s.execute(query.with_for_update() if lock else query).first()
        return (_user(row), row.password_hash) if row else None

    def add_user(self, user: User, password_hash: str, request_id: str) -> None:
        try:
            with self.s.begin_nested():
                self.s.execute(
                    insert(_USER).values(
                        id=user.user_id,
                        username=user.username,
                        display_name=user.display_name,
                        kind=user.kind.value,
                        tenant_id=user.tenant_id or None,
                        region_code=user.region_code,
                        scope_path=user.scope_path,
                        password_hash=password_hash,
                        failed_logins=0,
                        locked_until=None,
                        create_time=user.create_time,
                        request_id=request_id or None,
                        state=user.state.value,
                        disable_reason=user.disable_reason,
                        password_change_required=int(user.password_change_required),
                    )
                )
        except IntegrityError:
            raise AlreadyExists("the username is taken", reason="USERNAME_TAKEN") from None

    def record_login(
        self, user_id: str, failed_logins: int, locked_until: datetime | None, new_hash: str | None
    ) -> None:
        values: dict[str, object] = {"failed_logins": failed_logins, "locked_until": locked_until}
        if new_hash:
            values["password_hash"] = new_hash
        self.s.execute(update(_USER).where(_USER.c.id == user_id).values(**values))

    def list_users(
        self, under: str, scopes: list[str], after: str | None, limit: int
    ) -> list[User]:
        query = select(_USER).where(
            within_scopes(_USER.c.scope_path, [under]), within_scopes(_USER.c.scope_path, scopes)
        )
        if after:
            query = query.where(_USER.c.id > after)
        return [_user(r) for r in self.s.execute(query.order_by(_USER.c.id).limit(limit)).all()]

    # -- service accounts ------------------------------------------------------------------
    def add_service_account(
        self, account: ServiceAccount, secret_hash: str, request_id: str
    ) -> None:
        self.s.execute(
            insert(_SERVICE_ACCOUNT).values(
                id=account.service_account_id,
                display_name=account.display_name,
                tenant_id=account.tenant_id,
                client_id=account.client_id,
                secret_hash=secret_hash,
                create_time=account.create_time,
                request_id=request_id or None,
            )
        )

    def _service_accounts(self):
        sa = _SERVICE_ACCOUNT
        return select(sa, _TENANT.c.scope_path, _TENANT.c.region_code).join(
            _TENANT, _TENANT.c.id == sa.c.tenant_id
        )

    def service_account_by_request(self, request_id: str) -> ServiceAccount | None:
        sa = _SERVICE_ACCOUNT
        row = self.s.execute(self._service_accounts().where(sa.c.request_id == request_id)).first()
        return _service_account(row) if row else None

    def service_account_for_login(self, client_id: str) -> tuple[ServiceAccount, str] | None:
        sa = _SERVICE_ACCOUNT
        row = self.s.execute(self._service_accounts().where(sa.c.client_id == client_id)).first()
        return (_service_account(row), row.secret_hash) if row else None

    def get_service_account(self, account_id: str) -> ServiceAccount | None:
        sa = _SERVICE_ACCOUNT
        row = self.s.execute(self._service_accounts().where(sa.c.id == account_id)).first()
        return _service_account(row) if row else None

    # -- grants ----------------------------------------------------------------------------
    def add_grant(self, grant: RoleGrant, request_id: str) -> None:
        self.s.execute(
            insert(_GRANT).values(
                id=grant.grant_id,
                subject=grant.subject,
                role=grant.role.value,
                region_code=grant.region_code,
                tenant_id=grant.tenant_id,
                scope_path=grant.scope_path,
                create_time=grant.create_time,
                request_id=request_id or None,
            )
        )

    def get_grant(self, grant_id: str) -> RoleGrant | None:
        row = self.s.execute(select(_GRANT).where(_GRANT.c.id == grant_id)).first()
        return _grant(row) if row else None

    def grant_by_request(self, request_id: str) -> RoleGrant | None:
        row = self.s.execute(select(_GRANT).where(_GRANT.c.request_id == request_id)).first()
        return _grant(row) if row else None

    def find_grant(self, subject: str, role: Role, scope_path: str) -> RoleGrant | None:
        row = self.s.execute(
            select(_GRANT).where(
                and_(
                    _GRANT.c.subject == subject,
                    _GRANT.c.role == role.value,
                    _GRANT.c.scope_path == scope_path,
                )
            )
        ).first()
        return _grant(row) if row else None

    def delete_grant(self, grant_id: str) -> None:
        self.s.execute(_GRANT.delete().where(_GRANT.c.id == grant_id))

    def list_grants(
        self, under: str, scopes: list[str], subject: str, after: str | None, limit: int
    ) -> list[RoleGrant]:
        query = select(_GRANT).where(
            within_scopes(_GRANT.c.scope_path, [under]), within_scopes(_GRANT.c.scope_path, scopes)
        )
        if subject:
            query = query.where(_GRANT.c.subject == subject)
        if after:
            query = query.where(_GRANT.c.id > after)
        return [_grant(r) for r in self.s.execute(query.order_by(_GRANT.c.id).limit(limit)).all()]
