"""The health card tables and their repository: one card per resident, the nonces of
scanned dynamic QR payloads, and where each resident's card was last scanned. The use case owns the transaction; nothing here commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from rhip.identity.directory.store import Base
from rhip.identity.residents.domain import HealthCard
from rhip.kit.db import utc
from sqlalchemy import (
    Connection,
    CursorResult,
    DateTime,
    Integer,
    String,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column


class HealthCardRow(Base):
    __tablename__ = "health_card"
    card_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    resident_id: Mapped[str] = mapped_column(String(36), unique=True)
    generation: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    issue_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoke_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoke_reason: Mapped[str] = mapped_column(String(500))


class CardQrUseRow(Base):
    """Nonces of dynamic QR payloads already scanned: a second scan is a reuse."""

    __tablename__ = "card_qr_use"
    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    card_id: Mapped[str] = mapped_column(String(64))
    used_time: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class CardPresenceRow(Base):
    """The last valid dynamic scan of a resident's card at an institution: proof that the
    resident was there (emr's care relationship for 24 hours, docs/domain §8)."""

    __tablename__ = "card_presence"
    resident_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    scan_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))


_CARD = cast(Any, HealthCardRow.__table__)
_QR = cast(Any, CardQrUseRow.__table__)
_PRESENCE = cast(Any, CardPresenceRow.__table__)


class CardRepository:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    # -- health cards ------------------------------------------------------------------------
    def card_of(self, resident_id: str, *, for_update: bool = False) -> HealthCard | None:
        query = select(_CARD).where(_CARD.c.resident_id == resident_id)
        if for_update:
            query = query.with_for_update()
        row = self.s.execute(query).first()
        return self._card(row) if row else None

    def card(self, card_id: str) -> HealthCard | None:
        row = self.s.execute(select(_CARD).where(_CARD.c.card_id == card_id)).first()
        return self._card(row) if row else None

    def add_card(self, card: HealthCard) -> bool:
        """False when the resident already has a card (a concurrent issue won)."""
        try:
            with self.s.begin_nested():
                self.s.execute(
                    insert(_CARD).values(
                        card_id=card.card_id,
                        resident_id=card.resident_id,
                        generation=card.generation,
                        state=card.state,
                        issue_time=card.issue_time,
                        revoke_time=None,
                        revoke_reason="",
                    )
                )
        except IntegrityError:
            return False
        return True

    def save_card(self, card: HealthCard) -> None:
        self.s.execute(
            update(_CARD)
            .where(_CARD.c.card_id == card.card_id)
            .values(
                generation=card.generation,
                state=card.state,
                issue_time=card.issue_time,
                revoke_time=card.revoke_time,
                revoke_reason=card.revoke_reason,
            )
        )

    def use_nonce(self, nonce: str, card_id: str, now: datetime) -> bool:
        """False when the nonce was used before: the payload is a replay."""
        try:
            with self.s.begin_nested():
                self.s.execute(insert(_QR).values(nonce=nonce, card_id=card_id, used_time=now))
        except IntegrityError:
            return False
        return True

    def record_presence(self, resident_id: str, tenant_id: str, now: datetime) -> None:
        """The resident's card was scanned (dynamic, valid) at ``tenant_id`` at ``now``."""
        where = (_PRESENCE.c.resident_id == resident_id, _PRESENCE.c.tenant_id == tenant_id)
        updated = self.s.execute(update(_PRESENCE).where(*where).values(scan_time=now))
        if cast(CursorResult, updated).rowcount:
            return
        try:
            with self.s.begin_nested():  # two first scans at once: the other one wrote it
                self.s.execute(
                    insert(_PRESENCE).values(
                        resident_id=resident_id, tenant_id=tenant_id, scan_time=now
                    )
                )
        except IntegrityError:
            self.s.execute(update(_PRESENCE).where(*where).values(scan_time=now))

    def last_presence(self, resident_id: str, tenant_id: str) -> datetime | None:
        found = self.s.execute(
            select(_PRESENCE.c.scan_time).where(
                _PRESENCE.c.resident_id == resident_id, _PRESENCE.c.tenant_id == tenant_id
            )
        ).scalar()
        return utc(found) if found is not None else None

    def forget_nonces_before(self, cutoff: datetime) -> None:
        """Nonces of expired payloads are no longer needed: expiry refuses them first."""
        self.s.execute(delete(_QR).where(_QR.c.used_time < cutoff))

    @staticmethod
    def _card(row: Any) -> HealthCard:
        return HealthCard(
            card_id=row.card_id,
            resident_id=row.resident_id,
            generation=row.generation,
            state=row.state,
            issue_time=utc(row.issue_time),  # type: ignore[arg-type]
            revoke_time=utc(row.revoke_time),
            revoke_reason=row.revoke_reason,
        )
