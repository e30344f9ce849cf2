"""The certificate table and its repository. ``valid_child`` holds the child's key while the
certificate is VALID and is NULL afterwards: its unique constraint is "one child, one valid
certificate" in the database itself, whatever races above it. The printed fields (names,
document numbers) are sealed with the cell's key, bound to the certificate number; the
child's name is kept only as a keyed hash, for verification. A first issue's applicant (DOMAIN
§4.3) is kept beside them: the kind, an authorized person's relationship and authorization
reference in the clear, their name sealed like the printed fields (NULL when the mother
applied, and on every certificate of before: migration mch_0013a)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rhip.kit.db import utc
from rhip.kit.pii import PiiVault
from rhip.kit.scopes import within_scopes
from rhip.mch.certificates.domain import (
    Applicant,
    ApplicantKind,
    Certificate,
    CertificateState,
    Designation,
    Ground,
    IssuanceType,
    Pages,
    Printed,
)
from rhip.mch.store import StoreBase, metadata
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Index,
    LargeBinary,
    String,
    Table,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

CERTIFICATE = Table(
    "bmc_certificate",
    metadata,
    Column("number", String(10), primary_key=True),
    Column("child_key", String(80), nullable=False),
    Column("valid_child", String(80), unique=True),
    Column("newborn_id", String(36), nullable=False),
    Column("child_resident_id", String(36), nullable=False),
    Column("type", String(12), nullable=False),
    Column("state", String(12), nullable=False),
    Column("issuer_tenant_id", String(36), nullable=False),
    Column("scope_path", String(200), nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("supersedes", String(10), nullable=False),
    Column("superseded_by", String(10), nullable=False),
    Column("ground", String(30), nullable=False),
    Column("pages", String(20), nullable=False),
    Column("loss_ref", String(100), nullable=False),
    Column("parentage_test_ref", String(100), nullable=False),
    Column("void_reason", String(500), nullable=False),
    Column("name_hash", String(64), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("printed", LargeBinary, nullable=False),
    Column("issued_by", String(80), nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Column("update_time", DateTime(timezone=True), nullable=False),
    Column("request_id", String(36), unique=True),
    Column("applicant_kind", String(20), nullable=False, server_default=""),
    Column("applicant_name", LargeBinary),
    Column("applicant_relationship", String(20), nullable=False, server_default=""),
    Column("authorization_ref", String(100), nullable=False, server_default=""),
    Column("late_explanation", String(500), nullable=False, server_default=""),
    Column("household_region_code", String(6), nullable=False, server_default=""),
    Index("ix_bmc_certificate_child_key", "child_key"),
    Index("ix_bmc_certificate_scope_time", "scope_path", "create_time"),
)
_C = CERTIFICATE
# One row per county: the institution it designated (DOMAIN §4.2, §4.3); a new designation
# replaces the row (the audit log keeps each one).
DESIGNATION = Table(
    "bmc_issuer_designation",
    metadata,
    Column("county", String(6), primary_key=True),
    Column("tenant_id", String(36), nullable=False),
    Column("document_ref", String(100), nullable=False),
    Column("designated_by", String(80), nullable=False),
    Column("update_time", DateTime(timezone=True), nullable=False),
)
_D = DESIGNATION


class CertificateStore(StoreBase):
    def __init__(self, connection: Any, vault: PiiVault) -> None:
        super().__init__(connection)
        self.vault = vault

    def _certificate(self, row: Any) -> Certificate:
        printed = Printed.from_json(self.vault.open(row.printed, f"bmc:{row.number}"))
        return Certificate(
            row.number, row.child_key, row.newborn_id, row.child_resident_id,
            IssuanceType(row.type), CertificateState(row.state), row.issuer_tenant_id,
            row.scope_path, row.issue_date, printed, row.issued_by,
            utc(row.create_time), utc(row.update_time),  # type: ignore[arg-type]
            row.supersedes, row.superseded_by, Ground(row.ground) if row.ground else None,
            Pages(row.pages), row.loss_ref, row.parentage_test_ref, row.void_reason,
            row.name_hash, self._applicant(row), row.late_explanation,
            row.household_region_code,
        )  # fmt: skip

    def _applicant(self, row: Any) -> Applicant | None:
        if not row.applicant_kind:
            return None  # a replacement or reissue, or a certificate of before
        name = row.applicant_name
        return Applicant(
            ApplicantKind(row.applicant_kind),
            self.vault.open(name, f"bmc-applicant:{row.number}") if name else "",
            row.applicant_relationship, row.authorization_ref,
        )  # fmt: skip

    def add(self, c: Certificate, request_id: str) -> None:
        a = c.applicant or Applicant()
        name = self.vault.seal(a.name, f"bmc-applicant:{c.number}") if a.name else None
        # Values as parameters, not .values(): the INSERT is compiled once, not per call.
        self.s.execute(
            insert(_C),
            dict(
                number=c.number, child_key=c.child_key,
                valid_child=c.child_key if c.state is CertificateState.VALID else None,
                newborn_id=c.newborn_id, child_resident_id=c.child_resident_id,
                type=c.type.value, state=c.state.value, issuer_tenant_id=c.issuer_tenant_id,
                scope_path=c.scope_path, issue_date=c.issue_date, supersedes=c.supersedes,
                superseded_by=c.superseded_by, ground=c.ground.value if c.ground else "",
                pages=c.pages.value, loss_ref=c.loss_ref,
                parentage_test_ref=c.parentage_test_ref, void_reason=c.void_reason,
                name_hash=c.name_hash, digest=c.printed.digest(),
                printed=self.vault.seal(c.printed.to_json(), f"bmc:{c.number}"),
                issued_by=c.issued_by, create_time=c.create_time, update_time=c.update_time,
                request_id=request_id or None,
                applicant_kind=a.kind.value if a.kind else "", applicant_name=name,
                applicant_relationship=a.relationship, authorization_ref=a.authorization_ref,
                late_explanation=c.late_explanation,
                household_region_code=c.household_region_code,
            ),
        )  # fmt: skip

    def end(
        self, number: str, state: CertificateState, superseded_by: str, reason: str,
        now: datetime,
    ) -> bool:  # fmt: skip
        """VALID → ``state``, only if still VALID (a racing second supersession loses)."""
        done = self.s.execute(
            update(_C)
            .where(_C.c.number == number, _C.c.state == CertificateState.VALID.value)
            .values(
                state=state.value, valid_child=None, superseded_by=superseded_by,
                void_reason=reason, update_time=now,
            )
        )  # fmt: skip
        return bool(done.rowcount)

    def get(self, number: str) -> Certificate | None:
        row = self.s.execute(select(_C).where(_C.c.number == number)).first()
        return self._certificate(row) if row else None

    def by_request(self, request_id: str) -> Certificate | None:
        row = self.s.execute(select(_C).where(_C.c.request_id == request_id)).first()
        return self._certificate(row) if row else None

    def valid_for(self, child_key: str) -> str | None:
        return self.s.execute(
            select(_C.c.number).where(_C.c.valid_child == child_key)
        ).scalar_one_or_none()

    def summary(self, number: str) -> Any:
        """State, issue date, successor and name hash, without opening the sealed fields."""
        return self.s.execute(
            select(_C.c.number, _C.c.state, _C.c.issue_date, _C.c.superseded_by,
                   _C.c.name_hash, _C.c.digest, _C.c.scope_path)
            .where(_C.c.number == number)
        ).first()  # fmt: skip

    def find(
        self, scopes: Sequence[str], tenant_id: str, after: str | None, limit: int
    ) -> list[Certificate]:
        query = select(_C).where(within_scopes(_C.c.scope_path, scopes))
        if tenant_id:
            query = query.where(_C.c.issuer_tenant_id == tenant_id)
        if after is not None:
            query = query.where(_C.c.number < after)
        rows = self.s.execute(query.order_by(_C.c.number.desc()).limit(limit))
        return [self._certificate(r) for r in rows]


class DesignationStore(StoreBase):
    def get(self, county: str) -> Designation | None:
        row = self.s.execute(select(_D).where(_D.c.county == county)).first()
        if row is None:
            return None
        return Designation(
            row.county, row.tenant_id, row.document_ref, row.designated_by,
            utc(row.update_time),  # type: ignore[arg-type]
        )  # fmt: skip

    def issuer_of(self, county: str) -> str:
        """The designated institution's id, "" while the county designated none."""
        found = self.s.execute(select(_D.c.tenant_id).where(_D.c.county == county)).scalar()
        return str(found or "")

    def put(self, d: Designation) -> None:
        """Insert or replace the county's row (two designations racing: the later wins, each
        whole)."""
        values = {"tenant_id": d.tenant_id, "document_ref": d.document_ref,
                  "designated_by": d.designated_by, "update_time": d.update_time}  # fmt: skip
        insert_ = postgresql.insert if self.s.dialect.name == "postgresql" else sqlite.insert
        self.s.execute(
            insert_(_D)
            .values(county=d.county, **values)
            .on_conflict_do_update(index_elements=[_D.c.county], set_=values)
        )
