"""Consents and break-glass accesses (SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rhip.emr.documents.domain import DocumentKind
from rhip.emr.reading.domain import BreakGlass, Consent, ReviewState
from rhip.emr.reading.guardians import ConsentGiver, GuardianRelationship
from rhip.emr.store import StoreBase, at, break_glass, consent
from rhip.kit.db import utc
from rhip.kit.scopes import within_scopes
from sqlalchemy import insert, select, update


def _consent(r: Any) -> Consent:
    return Consent(
        r.id, r.resident_id, r.grantee_tenant_id, r.scope_path, r.purpose,
        tuple(DocumentKind(k) for k in r.kinds.split(",") if k), r.start_date, r.end_date,
        r.reference, r.recorded_by, at(r.create_time), utc(r.revoke_time), r.revoke_reason,
        ConsentGiver(r.given_by),
        GuardianRelationship(r.guardian_relationship) if r.guardian_relationship else None,
    )  # fmt: skip


def _access(r: Any) -> BreakGlass:
    return BreakGlass(
        r.id, r.resident_id, r.subject, r.tenant_id, r.scope_path, r.reason,
        at(r.start_time), at(r.expire_time), r.uses, ReviewState(r.review_state),
        r.review_note, r.reviewer,
    )  # fmt: skip


class AccessStore(StoreBase):
    # -- consents ---------------------------------------------------------------------------
    def add_consent(self, c: Consent, key: str) -> None:
        self.s.execute(
            insert(consent).values(
                id=c.consent_id, resident_id=c.resident_id, grantee_tenant_id=c.grantee_tenant_id,
                scope_path=c.scope_path, purpose=c.purpose,
                kinds=",".join(k.value for k in c.kinds), start_date=c.start_date,
                end_date=c.end_date, reference=c.reference, revoke_time=None, revoke_reason="",
                recorded_by=c.recorded_by, create_time=c.create_time, request_key=key or None,
                given_by=c.given_by.value,
                guardian_relationship=(
                    c.guardian_relationship.value if c.guardian_relationship else None
                ),
            )
        )  # fmt: skip

    def consent(self, consent_id: str) -> Consent | None:
        row = self.s.execute(select(consent).where(consent.c.id == consent_id)).first()
        return _consent(row) if row else None

    def consent_by_request(self, key: str) -> Consent | None:
        row = self.s.execute(select(consent).where(consent.c.request_key == key)).first()
        return _consent(row) if row else None

    def save_consent(self, c: Consent) -> None:
        self.s.execute(
            update(consent)
            .where(consent.c.id == c.consent_id)
            .values(revoke_time=c.revoke_time, revoke_reason=c.revoke_reason)
        )

    def live_consents(self, resident_ids: Sequence[str], tenant_id: str) -> list[Consent]:
        """The unrevoked consents of any of ``resident_ids`` (a resident and the survivors it
        is merged into) for ``tenant_id``."""
        c = consent.c
        rows = self.s.execute(
            select(consent).where(
                c.resident_id.in_(sorted(set(resident_ids))),
                c.grantee_tenant_id == tenant_id,
                c.revoke_time.is_(None),
            )
        )
        return [_consent(r) for r in rows]

    # -- break-glass ------------------------------------------------------------------------
    def add_access(self, a: BreakGlass, key: str) -> None:
        self.s.execute(
            insert(break_glass).values(
                id=a.access_id, resident_id=a.resident_id, subject=a.subject,
                tenant_id=a.tenant_id, scope_path=a.scope_path, reason=a.reason,
                start_time=a.start_time, expire_time=a.expire_time, uses=0,
                review_state=a.review_state.value, review_note="", reviewer="",
                request_key=key or None,
            )
        )  # fmt: skip

    def access(self, access_id: str) -> BreakGlass | None:
        row = self.s.execute(select(break_glass).where(break_glass.c.id == access_id)).first()
        return _access(row) if row else None

    def access_by_request(self, key: str) -> BreakGlass | None:
        row = self.s.execute(select(break_glass).where(break_glass.c.request_key == key)).first()
        return _access(row) if row else None

    def active_access(
        self, resident_ids: Sequence[str], subject: str, now: datetime
    ) -> BreakGlass | None:
        """``subject``'s access for any of ``resident_ids`` running at ``now``, the one that
        lasts longest."""
        b = break_glass.c
        row = self.s.execute(
            select(break_glass)
            .where(
                b.resident_id.in_(sorted(set(resident_ids))), b.subject == subject,
                b.start_time <= now, b.expire_time > now,
            )
            .order_by(b.expire_time.desc())
            .limit(1)
        ).first()  # fmt: skip
        return _access(row) if row else None

    def count_use(self, access_id: str) -> None:
        b = break_glass.c
        self.s.execute(update(break_glass).where(b.id == access_id).values(uses=b.uses + 1))

    def save_review(self, a: BreakGlass) -> None:
        self.s.execute(
            update(break_glass)
            .where(break_glass.c.id == a.access_id)
            .values(
                review_state=a.review_state.value, review_note=a.review_note, reviewer=a.reviewer
            )
        )

    def accesses(
        self, scopes: Sequence[str], state: ReviewState | None, after: str | None, limit: int
    ) -> list[BreakGlass]:
        b = break_glass.c
        query = select(break_glass).where(within_scopes(b.scope_path, scopes))
        if state is not None:
            query = query.where(b.review_state == state.value)
        if after:
            query = query.where(b.id < after)
        rows = self.s.execute(query.order_by(b.id.desc()).limit(limit))
        return [_access(r) for r in rows]
