"""Auth tables and repositories: refresh tokens and signing keys (``TokenRepository``), and the
writes of account administration (rhip.identity.auth.accounts: lock, state, password and its
history, refresh tokens of one user). The use case owns the transaction; nothing here commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from rhip.identity.directory.domain import User
from rhip.identity.directory.store import Base, UserRow
from rhip.identity.settings import PASSWORD_HISTORY_MAX
from rhip.kit.ids import new_id
from sqlalchemy import (
    Connection,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column


class RefreshTokenRow(Base):
    __tablename__ = "refresh_token"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    subject: Mapped[str] = mapped_column(String(64), index=True)  # identity_0004
    expire_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used: Mapped[int] = mapped_column(Integer, default=0)
    revoked: Mapped[int] = mapped_column(Integer, default=0)


class SigningKeyRow(Base):
    __tablename__ = "signing_key"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_key: Mapped[bytes] = mapped_column(LargeBinary)
    public_jwk: Mapped[str] = mapped_column(Text)
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retire_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PasswordHistoryRow(Base):
    """A user's earlier password hashes (argon2id, as stored before each change)."""

    __tablename__ = "password_history"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))


_USER = cast(Table, UserRow.__table__)
_REFRESH = cast(Table, RefreshTokenRow.__table__)
_HISTORY = cast(Table, PasswordHistoryRow.__table__)


class AccountRepository:
    def __init__(self, tx: Connection) -> None:
        self.s = tx

    def password_hash(self, user_id: str) -> str:
        return str(
            self.s.execute(select(_USER.c.password_hash).where(_USER.c.id == user_id)).scalar_one()
        )

    def lock_for_update(self, user_id: str) -> None:
        """Hold the user's row for the rest of the transaction (concurrent changes queue)."""
        self.s.execute(select(_USER.c.id).where(_USER.c.id == user_id).with_for_update())

    def save_user(self, user: User) -> None:
        """The administrable fields of ``user``: lock, state, whether a change is required."""
        self.s.execute(
            update(_USER)
            .where(_USER.c.id == user.user_id)
            .values(
                failed_logins=user.failed_logins,
                locked_until=user.locked_until,
                state=user.state.value,
                disable_reason=user.disable_reason,
                password_change_required=int(user.password_change_required),
            )
        )

    def save_practice(self, user: User) -> None:
        """A practitioner's practice registration as ``user`` carries it."""
        self.s.execute(
            update(_USER)
            .where(_USER.c.id == user.user_id)
            .values(
                professional_title=user.professional_title,
                practice_since=user.practice_since,
                practice_certificate=user.practice_certificate,
            )
        )

    def set_password(self, user: User, new_hash: str, now: datetime) -> None:
        """Store ``new_hash`` and keep the hash it replaces in the history (the newest
        ``PASSWORD_HISTORY_MAX`` are kept: the policy may ask for that many)."""
        old_hash = self.password_hash(user.user_id)
        self.s.execute(
            insert(_HISTORY).values(
                id=new_id(), user_id=user.user_id, password_hash=old_hash, create_time=now
            )
        )
        self.s.execute(
            update(_USER).where(_USER.c.id == user.user_id).values(password_hash=new_hash)
        )
        keep = select(_HISTORY.c.id).where(_HISTORY.c.user_id == user.user_id)
        keep = keep.order_by(_HISTORY.c.create_time.desc(), _HISTORY.c.id.desc())
        self.s.execute(
            delete(_HISTORY).where(
                _HISTORY.c.user_id == user.user_id,
                _HISTORY.c.id.not_in(keep.limit(PASSWORD_HISTORY_MAX).scalar_subquery()),
            )
        )

    def earlier_hashes(self, user_id: str, limit: int) -> list[str]:
        """The ``limit`` most recent earlier password hashes, newest first."""
        if limit <= 0:
            return []
        rows = self.s.execute(
            select(_HISTORY.c.password_hash)
            .where(_HISTORY.c.user_id == user_id)
            .order_by(_HISTORY.c.create_time.desc(), _HISTORY.c.id.desc())
            .limit(limit)
        ).scalars()
        return list(rows)

    def revoke_refresh_tokens(self, subject: str) -> None:
        """End every session of ``subject``: its refresh tokens no longer refresh."""
        self.s.execute(
            update(_REFRESH)
            .where(_REFRESH.c.subject == subject, _REFRESH.c.revoked == 0)
            .values(revoked=1)
        )


_SIGNING_KEY = cast(Table, SigningKeyRow.__table__)


class TokenRepository:
    """Refresh tokens and signing keys."""

    def __init__(self, tx: Connection) -> None:
        self.s = tx

    # -- refresh tokens --------------------------------------------------------------------
    def add_refresh_token(
        self, token_hash: str, family_id: str, subject: str, expire_time: datetime
    ) -> None:
        self.s.execute(
            insert(_REFRESH).values(
                token_hash=token_hash,
                family_id=family_id,
                subject=subject,
                expire_time=expire_time,
                used=0,
                revoked=0,
            )
        )

    def take_refresh_token(self, token_hash: str):
        """The token row (locked for this transaction), or None."""
        table = _REFRESH
        return self.s.execute(
            select(table).where(table.c.token_hash == token_hash).with_for_update()
        ).first()

    def mark_refresh_used(self, token_hash: str) -> None:
        table = _REFRESH
        self.s.execute(update(table).where(table.c.token_hash == token_hash).values(used=1))

    def revoke_refresh_family(self, family_id: str) -> None:
        table = _REFRESH
        self.s.execute(update(table).where(table.c.family_id == family_id).values(revoked=1))

    # -- signing keys ----------------------------------------------------------------------
    def signing_keys(self) -> list[SigningKeyRow]:
        table = _SIGNING_KEY
        return list(self.s.execute(select(table).order_by(table.c.create_time.desc())).all())  # type: ignore[arg-type]

    def add_signing_key(self, kid: str, private_key: bytes, public_jwk: str, now: datetime) -> None:
        self.s.execute(
            insert(_SIGNING_KEY).values(
                kid=kid,
                private_key=private_key,
                public_jwk=public_jwk,
                create_time=now,
                retire_time=None,
            )
        )

    def retire_signing_keys(self, except_kid: str, now: datetime) -> None:
        table = _SIGNING_KEY
        self.s.execute(
            update(table)
            .where(table.c.kid != except_kid, table.c.retire_time.is_(None))
            .values(retire_time=now)
        )
