"""Tables and repository of the resident master index: residents, their documents, enrollments
and history (merges: merge_store.py; health cards: card_store.py).

Document and phone numbers are stored sealed (``PiiVault``) and found by their keyed hash; the
unique index on that hash is what makes "one resident per document" hold under concurrent
registrations. Every query that can return residents takes the caller's visible roots and
filters in SQL. Nothing here commits: the use case owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from functools import cache
from typing import Any, cast

from rhip.identity.directory.store import Base
from rhip.identity.residents.documents import DocumentType, Sex
from rhip.identity.residents.domain import (
    HeldDocument,
    Holder,
    ResidenceType,
    Resident,
    ResidentState,
)
from rhip.kit.db import utc
from rhip.kit.driver_reads import DriverRead
from rhip.kit.history import EventHistory, ResourceEvent
from rhip.kit.ids import new_id
from rhip.kit.keyed_reads import rows_by_keys
from rhip.kit.pagination import Page
from rhip.kit.pii import PiiVault
from rhip.kit.scopes import scope_params, within_bound_scopes, within_scopes
from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    and_,
    bindparam,
    delete,
    exists,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column


class ResidentRow(Base):
    __tablename__ = "resident"
    __table_args__ = (Index("ix_resident_name_birth", "name_key", "birth_date"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(50))
    name_key: Mapped[str] = mapped_column(String(50))
    sex: Mapped[str] = mapped_column(String(10))
    birth_date: Mapped[date] = mapped_column(Date, index=True)
    phone_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    region_code: Mapped[str] = mapped_column(String(6))
    address: Mapped[str] = mapped_column(String(200))
    ethnicity: Mapped[str] = mapped_column(String(2))
    residence_type: Mapped[str] = mapped_column(String(16))
    home_path: Mapped[str] = mapped_column(String(120), index=True)
    mother_id: Mapped[str] = mapped_column(String(36), index=True)
    sex_override_reason: Mapped[str] = mapped_column(String(500))
    death_date: Mapped[date | None] = mapped_column(Date)
    merged_into: Mapped[str] = mapped_column(String(36))
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    update_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(36), unique=True)


class ResidentDocumentRow(Base):
    __tablename__ = "resident_document"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    resident_id: Mapped[str] = mapped_column(String(36), index=True)
    doc_type: Mapped[str] = mapped_column(String(40))
    lookup_hash: Mapped[str] = mapped_column(String(64), unique=True)
    number_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    issuing_country: Mapped[str] = mapped_column(String(3))
    is_primary: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(60))
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ResidentEnrollmentRow(Base):
    """A tenant where the resident presented themselves (registration or a card scan): the
    tenant's region may see the resident from then on."""

    __tablename__ = "resident_enrollment"
    resident_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    scope_path: Mapped[str] = mapped_column(String(120), index=True)
    create_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ResidentEventRow(Base):
    """The resident's explainable history: registration, verification, merges, death, cards."""

    __tablename__ = "resident_event"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    resident_id: Mapped[str] = mapped_column(String(36), index=True)
    event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(80))
    detail: Mapped[str] = mapped_column(Text)


_RES = cast(Any, ResidentRow.__table__)
_DOC = cast(Any, ResidentDocumentRow.__table__)
_ENR = cast(Any, ResidentEnrollmentRow.__table__)
HISTORY = EventHistory(cast(Any, ResidentEventRow.__table__), "resident_id")
# Document columns labelled for a join with the resident row (``doc_id`` …).
_DOC_COLUMNS = tuple(
    _DOC.c[name].label(f"doc_{name}")
    for name in ("id", "doc_type", "number_sealed", "issuing_country", "is_primary", "origin")
)


def _utc(value: datetime) -> datetime:
    return utc(value)  # type: ignore[return-value]


class DocumentTaken(Exception):
    """The document's keyed hash is already on file (maybe by a concurrent registration)."""


@cache
def _resident_query(roots: int, by_hash: bool, lock: bool) -> DriverRead:
    """The resident read of ``get_visible``, built once per shape and run on the driver
    (rhip.kit.driver_reads): building the statement per call and SQLAlchemy's execution layer
    cost more than running it (as for the tenant read)."""
    enrolled = exists().where(
        _ENR.c.resident_id == _RES.c.id, within_bound_scopes(_ENR.c.scope_path, roots)
    )
    query = (
        select(
            _RES,
            or_(within_bound_scopes(_RES.c.home_path, roots), enrolled).label("is_visible"),
            *_DOC_COLUMNS,
        )
        .select_from(_RES.outerjoin(_DOC, _DOC.c.resident_id == _RES.c.id))
        .order_by(_DOC.c.id)
    )
    if by_hash:
        held = _DOC.alias("held")
        owner = select(held.c.resident_id).where(held.c.lookup_hash == bindparam("key"))
        query = query.where(_RES.c.id == owner.scalar_subquery())
    else:
        query = query.where(_RES.c.id == bindparam("rid"))
    return DriverRead(query.with_for_update(of=_RES) if lock else query)


def visible(roots: Sequence[str]) -> Any:
    """SQL filter: the resident lives under one of ``roots`` or enrolled at a tenant there."""
    enrolled = exists().where(
        _ENR.c.resident_id == _RES.c.id, within_scopes(_ENR.c.scope_path, list(roots))
    )
    return or_(within_scopes(_RES.c.home_path, list(roots)), enrolled)


class ResidentRepository:
    def __init__(self, connection: Connection, vault: PiiVault) -> None:
        self.s = connection
        self.vault = vault

    # -- residents ---------------------------------------------------------------------------
    def add(self, resident: Resident, request_id: str) -> None:
        self.s.execute(
            insert(_RES).values(
                id=resident.resident_id,
                **self._columns(resident),
                create_time=resident.create_time,
                request_id=request_id or None,
            )
        )

    def save(self, resident: Resident, expected_version: int) -> bool:
        result = self.s.execute(
            update(_RES)
            .where(_RES.c.id == resident.resident_id, _RES.c.version == expected_version)
            .values(**self._columns(resident))
        )
        return bool(cast(CursorResult, result).rowcount)

    def _columns(self, r: Resident) -> dict[str, object]:
        return {
            "state": r.state.value,
            "name": r.name,
            "name_key": r.name_key,
            "sex": r.sex.value,
            "birth_date": r.birth_date,
            "phone_sealed": self.vault.seal(r.phone, f"phone:{r.resident_id}") if r.phone else None,
            "region_code": r.region_code,
            "address": r.address,
            "ethnicity": r.ethnicity,
            "residence_type": r.residence_type.value,
            "home_path": r.home_path,
            "mother_id": r.mother_id,
            "sex_override_reason": r.sex_override_reason,
            "death_date": r.death_date,
            "merged_into": r.merged_into,
            "update_time": r.update_time,
            "version": r.version,
        }

    def get(self, resident_id: str, *, for_update: bool = False) -> Resident | None:
        query = select(_RES).where(_RES.c.id == resident_id)
        if for_update:
            query = query.with_for_update()
        row = self.s.execute(query).first()
        return self._resident(row) if row else None

    def by_request(self, request_id: str) -> Resident | None:
        row = self.s.execute(select(_RES).where(_RES.c.request_id == request_id)).first()
        return self._resident(row) if row else None

    def scope_paths(self, resident_id: str) -> list[str]:
        """Where the resident may be seen from: the home region and every enrolling tenant."""
        home = self.s.execute(select(_RES.c.home_path).where(_RES.c.id == resident_id)).scalar()
        tenants = self.s.execute(
            select(_ENR.c.scope_path).where(_ENR.c.resident_id == resident_id)
        ).scalars()
        return [p for p in (home, *tenants) if p]

    def home_paths(self, resident_ids: Sequence[str]) -> dict[str, str]:
        """Each resident's home region path (audit scopes), by id; unknown ids left out."""
        rows = self.s.execute(
            select(_RES.c.id, _RES.c.home_path).where(_RES.c.id.in_(list(resident_ids)))
        ).all()
        return {row.id: row.home_path for row in rows}

    def get_visible(
        self,
        roots: Sequence[str],
        *,
        resident_id: str = "",
        lookup_hash: str = "",
        lock: bool = False,
    ) -> tuple[Resident | None, bool]:
        """One round trip: the resident (by id or by a document's keyed hash) with its
        documents, and whether ``roots`` may see it."""
        params = scope_params(roots)
        params.update({"key": lookup_hash} if lookup_hash else {"rid": resident_id})
        query = _resident_query(len(roots), bool(lookup_hash), lock)
        rows = query.all(self.s, params)
        if not rows:
            return None, False
        documents = tuple(self._document(r, prefix="doc_") for r in rows if r.doc_id)
        resident = replace(self._resident(rows[0], with_documents=False), documents=documents)
        return resident, bool(rows[0].is_visible)

    def holders_visible(self, roots: Sequence[str], keys: Sequence[str]) -> dict[str, Holder]:
        """Keyed hash → the resident holding that document, for each of ``keys`` whose holder
        ``roots`` may see (unknown and invisible alike left out): one query for a whole batch
        of lookups, by the same visibility as ``get_visible``, where ``get_visible`` reads one
        resident with all her documents (each unsealed) per key."""
        if not keys:
            return {}
        held = rows_by_keys(self.s, _DOC, _DOC.c.lookup_hash, sorted(set(keys)))
        query = (
            select(held.c.lookup_hash, _RES.c.id, _RES.c.home_path)
            .select_from(held.join(_RES, _RES.c.id == held.c.resident_id))
            .where(visible(roots))
        )
        return {r.lookup_hash: Holder(r.id, r.home_path) for r in self.s.execute(query)}

    def is_visible(self, resident_id: str, roots: Sequence[str]) -> bool:
        query = select(_RES.c.id).where(_RES.c.id == resident_id, visible(roots))
        return self.s.execute(query).first() is not None

    def candidates(
        self, name_key: str, surname: str, birth_date: date | None, roots: Sequence[str], limit: int
    ) -> list[Resident]:
        """Residents worth scoring: the same normalised name, or (with a birth date) the same
        birth date and surname. Both arms use ix_resident_name_birth / ix_resident_birth_date."""
        arms = [_RES.c.name_key == name_key]
        if birth_date is not None:
            arms.append(and_(_RES.c.birth_date == birth_date, _RES.c.name_key.startswith(surname)))
        query = (
            select(_RES)
            .where(or_(*arms), _RES.c.state != ResidentState.MERGED.value, visible(roots))
            .order_by(_RES.c.id)
            .limit(limit)
        )
        return [self._resident(row) for row in self.s.execute(query)]

    def children_of(self, mother_id: str) -> list[str]:
        return list(
            self.s.execute(select(_RES.c.id).where(_RES.c.mother_id == mother_id)).scalars()
        )

    def set_mother(self, child_ids: Sequence[str], mother_id: str) -> None:
        if child_ids:
            self.s.execute(
                update(_RES).where(_RES.c.id.in_(list(child_ids))).values(mother_id=mother_id)
            )

    def _resident(self, row: Any, with_documents: bool = True) -> Resident:
        phone = self.vault.open(row.phone_sealed, f"phone:{row.id}") if row.phone_sealed else ""
        return Resident(
            resident_id=row.id,
            state=ResidentState(row.state),
            name=row.name,
            sex=Sex(row.sex),
            birth_date=row.birth_date,
            phone=phone,
            region_code=row.region_code,
            address=row.address,
            ethnicity=row.ethnicity,
            residence_type=ResidenceType(row.residence_type),
            home_path=row.home_path,
            mother_id=row.mother_id,
            sex_override_reason=row.sex_override_reason,
            death_date=row.death_date,
            merged_into=row.merged_into,
            create_time=utc(row.create_time),  # type: ignore[arg-type]
            update_time=utc(row.update_time),  # type: ignore[arg-type]
            version=row.version,
            documents=tuple(self.documents(row.id)) if with_documents else (),
        )

    # -- documents ---------------------------------------------------------------------------
    def add_document(
        self,
        resident_id: str,
        doc_type: DocumentType,
        number: str,
        lookup_hash: str,
        *,
        issuing_country: str = "",
        primary: bool,
        origin: str,
        now: datetime,
    ) -> str:
        """Raises DocumentTaken when the hash is on file; the savepoint keeps the
        transaction usable for the caller's next step."""
        document_id = new_id()
        try:
            with self.s.begin_nested():
                self.s.execute(  # values as parameters: compiled once, not per call
                    insert(_DOC),
                    {
                        "id": document_id,
                        "resident_id": resident_id,
                        "doc_type": doc_type.value,
                        "lookup_hash": lookup_hash,
                        "number_sealed": self.vault.seal(number, f"doc:{document_id}"),
                        "issuing_country": issuing_country,
                        "is_primary": int(primary),
                        "origin": origin,
                        "create_time": now,
                    },
                )
        except IntegrityError:
            raise DocumentTaken from None
        return document_id

    def resident_by_hash(self, lookup_hash: str) -> str | None:
        return self.s.execute(
            select(_DOC.c.resident_id).where(_DOC.c.lookup_hash == lookup_hash)
        ).scalar()

    def documents(self, resident_id: str) -> list[HeldDocument]:
        rows = self.s.execute(
            select(_DOC).where(_DOC.c.resident_id == resident_id).order_by(_DOC.c.id)
        )
        return [self._document(r) for r in rows]

    def _document(self, row: Any, prefix: str = "") -> HeldDocument:
        def field(name: str) -> Any:
            return getattr(row, prefix + name)

        document_id = field("id")
        return HeldDocument(
            document_id=document_id,
            doc_type=DocumentType(field("doc_type")),
            number=self.vault.open(field("number_sealed"), f"doc:{document_id}"),
            issuing_country=field("issuing_country"),
            primary=bool(field("is_primary")),
            origin=field("origin"),
        )

    def move_documents(
        self, document_ids: Sequence[str], to_resident: str, primary: bool, *, origin: str | None
    ) -> None:
        """Re-point documents (a merge, or its undo), with their origin when one is given."""
        if document_ids:
            values: dict[str, object] = {"resident_id": to_resident, "is_primary": int(primary)}
            if origin is not None:
                values["origin"] = origin
            self.s.execute(update(_DOC).where(_DOC.c.id.in_(list(document_ids))).values(**values))

    def set_primary(self, document_id: str, primary: bool) -> None:
        self.s.execute(update(_DOC).where(_DOC.c.id == document_id).values(is_primary=int(primary)))

    # -- enrollments -------------------------------------------------------------------------
    def enroll(self, resident_id: str, tenant_id: str, scope_path: str, now: datetime) -> bool:
        """True when the enrollment is new."""
        present = self.s.execute(
            select(_ENR.c.tenant_id).where(
                _ENR.c.resident_id == resident_id, _ENR.c.tenant_id == tenant_id
            )
        ).first()
        if present:
            return False
        try:
            with self.s.begin_nested():
                self.s.execute(
                    insert(_ENR).values(
                        resident_id=resident_id,
                        tenant_id=tenant_id,
                        scope_path=scope_path,
                        create_time=now,
                    )
                )
        except IntegrityError:
            return False  # a concurrent registration at the same tenant enrolled it
        return True

    def enrollments(self, resident_id: str) -> list[tuple[str, str]]:
        return [
            (r.tenant_id, r.scope_path)
            for r in self.s.execute(
                select(_ENR.c.tenant_id, _ENR.c.scope_path).where(_ENR.c.resident_id == resident_id)
            )
        ]

    def remove_enrollments(self, resident_id: str, tenant_ids: Sequence[str]) -> None:
        if tenant_ids:
            self.s.execute(
                delete(_ENR).where(
                    _ENR.c.resident_id == resident_id, _ENR.c.tenant_id.in_(list(tenant_ids))
                )
            )

    # -- history -----------------------------------------------------------------------------
    def record(
        self, resident_id: str, kind: str, actor: str, now: datetime, **detail: object
    ) -> None:
        HISTORY.append(self.s, resident_id, kind, actor, now, detail)

    def history(self, resident_id: str, page: Page) -> tuple[list[ResourceEvent], str]:
        return HISTORY.page(self.s, resident_id, page)
