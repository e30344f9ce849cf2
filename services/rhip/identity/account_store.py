"""Writes of account administration (rhip.identity.accounts): lock, state, password and its
history, refresh tokens of one user. The use case owns the transaction; nothing here commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from rhip.identity.domain import User
from rhip.identity.settings import PASSWORD_HISTORY_MAX
from rhip.identity.store import Base, RefreshTokenRow, UserRow
from rhip.kit.ids import new_id
from sqlalchemy import (
    Connection,
    DateTime,
    ForeignKey,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column


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
