"""The resident master index (docs/domain §1.4, §9): one person, one resident, keyed by the
citizen ID number with other documents as aliases. Rules and state as plain Python.

States: PROVISIONAL (no identity document yet, e.g. a newborn) → VERIFIED → MERGED (an alias
of a survivor) or DECEASED.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from difflib import SequenceMatcher
from enum import Enum
from typing import Any

from rhip.identity.links.domain import Link
from rhip.identity.residents.documents import Document, DocumentType, Sex
from rhip.kit.errors import FailedPrecondition, Violations, invalid
from rhip.kit.requests import check_no_controls


class ResidentState(Enum):
    PROVISIONAL = "provisional"
    VERIFIED = "verified"
    MERGED = "merged"
    DECEASED = "deceased"


class ResidenceType(Enum):
    """常住类型 on the personal basic information form."""

    UNSPECIFIED = "unspecified"
    HOUSEHOLD = "household"  # 户籍: registered household here
    NON_HOUSEHOLD = "non_household"  # 非户籍: lives here, registered elsewhere


# GB 3304 ethnicity codes 01–56, plus 97 (other) and 98 (naturalised foreigner).
ETHNICITY_CODES = frozenset({f"{n:02d}" for n in range(1, 57)} | {"97", "98"})
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
NAME_MAX = 50


@dataclass(frozen=True)
class HeldDocument:
    """A document on file: ``number`` is clear text only inside the service (sealed at rest)."""

    document_id: str
    doc_type: DocumentType
    number: str
    issuing_country: str
    primary: bool  # the document the resident was verified with; others are aliases
    origin: str  # "registered", "legacy_15", "merged_from:<resident_id>", "newborn_link"


@dataclass(frozen=True)
class Holder:
    """Who holds a document, as a batch lookup answers and audits it: the resident and where
    she lives (the scope of the lookup's audit event), nothing else read or unsealed."""

    resident_id: str
    home_path: str


@dataclass(frozen=True)
class Resident:
    resident_id: str
    state: ResidentState
    name: str
    sex: Sex
    birth_date: date
    phone: str
    region_code: str  # permanent residence (常住地), a county or lower of this cell
    address: str
    ethnicity: str
    residence_type: ResidenceType
    home_path: str  # region path of region_code: who may see the resident
    mother_id: str
    sex_override_reason: str
    death_date: date | None
    merged_into: str
    create_time: datetime
    update_time: datetime
    version: int
    documents: tuple[HeldDocument, ...] = field(default=())
    # The same person's residents in other cells (links/; filled in by the reads that show it).
    links: tuple[Link, ...] = field(default=())

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'

    @property
    def name_key(self) -> str:
        return normalise_name(self.name)

    def primary_document(self) -> HeldDocument | None:
        return next((d for d in self.documents if d.primary), None)

    def require_living(self, action: str) -> None:
        if self.state is ResidentState.DECEASED:
            raise FailedPrecondition(
                f"the resident is deceased: cannot {action}", reason="RESIDENT_DECEASED"
            )
        if self.state is ResidentState.MERGED:
            raise FailedPrecondition(
                f"the resident was merged into residents/{self.merged_into}: {action} there",
                reason="RESIDENT_MERGED",
                metadata={"survivor": f"residents/{self.merged_into}"},
            )

    def deceased(self, on: date, now: datetime) -> Resident:
        return replace(
            self,
            state=ResidentState.DECEASED,
            death_date=on,
            update_time=now,
            version=self.version + 1,
        )


@dataclass(frozen=True)
class Demographics:
    """What a registration states about the person (before the rules have run)."""

    name: str
    sex: Sex
    birth_date: date | None
    phone: str = ""
    region_code: str = ""
    address: str = ""
    ethnicity: str = ""
    residence_type: ResidenceType = ResidenceType.UNSPECIFIED


def normalise_name(name: str) -> str:
    """The form names are compared in: NFKC (full-width → half-width), no spaces, the
    middle dot of minority and foreign names unified, case folded."""
    text = unicodedata.normalize("NFKC", name).casefold()
    return re.sub(r"\s+", "", text).replace("•", "·").replace(".", "·")


def validate_name(name: str, field: str) -> str:
    name = name.strip()
    if not name:
        raise invalid(field, "must not be empty", "NAME_REQUIRED")
    if len(name) > NAME_MAX:
        raise invalid(field, f"must be at most {NAME_MAX} characters", "NAME_TOO_LONG")
    if any(unicodedata.category(c).startswith("C") or c.isdigit() for c in name):
        raise invalid(field, "must not contain digits or control characters", "NAME_CHARACTERS")
    return name


ADDRESS_MAX = 200


def validate_address(address: str, field: str) -> str:
    """A street address: one line of at most ``ADDRESS_MAX`` characters."""
    address = address.strip()
    if len(address) > ADDRESS_MAX:
        raise invalid(field, f"must be at most {ADDRESS_MAX} characters", "ADDRESS_TOO_LONG")
    return check_no_controls(address, field)


def validate_phone(phone: str, field: str) -> str:
    phone = phone.strip().replace(" ", "")
    if phone and not (_MOBILE.match(phone) or _LANDLINE.match(phone)):
        raise invalid(
            field, "must be an 11-digit mobile number or a landline with area code", "PHONE_FORMAT"
        )
    return phone


def check_demographics(
    stated: Demographics,
    document: Document | None,
    sex_override_reason: str,
    today: date,
    checks: Violations,
    prefix: str = "resident",
    require_birth_date: bool = True,
) -> tuple[str, Sex, date | None]:
    """Name, sex and birth date after the document's rules (docs/domain §1.1 rules 3 and 5).

    The document's birth date wins when none is stated and must agree when one is; a stated
    sex that disagrees with the ID's sex digit needs an explicit override reason (kept on the
    resident, never silently overwritten). ``require_birth_date`` is off when the document
    itself was refused: its birth date is unknown, not missing."""
    name = checks.check(validate_name, stated.name, f"{prefix}.name") or ""
    checks.check(validate_phone, stated.phone, f"{prefix}.phone")
    checks.check(validate_address, stated.address, f"{prefix}.address")
    if stated.ethnicity and stated.ethnicity not in ETHNICITY_CODES:
        checks.add(f"{prefix}.ethnicity", "must be a GB 3304 code 01–56, 97 or 98", "ETHNICITY")
    born = stated.birth_date
    if born is not None and born > today:
        checks.add(f"{prefix}.birth_date", "must not be in the future", "BIRTH_DATE_FUTURE")
    sex = stated.sex
    if document is not None and document.birth_date is not None:
        if born is None:
            born = document.birth_date
        elif born != document.birth_date:
            checks.add(
                f"{prefix}.birth_date",
                "does not match the birth date in the document number",
                "BIRTH_DATE_MISMATCH",
            )
    if document is not None and document.sex is not None:
        if sex in (Sex.UNKNOWN, Sex.UNSTATED):
            sex = document.sex
        elif sex is not document.sex and not sex_override_reason.strip():
            checks.add(
                f"{prefix}.sex",
                "does not match the sex digit of the ID number; give sex_override_reason to "
                "record it as stated",
                "ID_SEX_MISMATCH",
            )
    if born is None and require_birth_date:
        checks.add(f"{prefix}.birth_date", "must be set", "BIRTH_DATE_REQUIRED")
    return name, sex, born


# -- ranked candidates ---------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    resident: Resident
    score: float  # 0..1
    reasons: tuple[str, ...]  # NAME_EXACT, NAME_SIMILAR, BIRTH_DATE, BIRTH_YEAR_MONTH, SEX


def score_candidate(
    resident: Resident, name_key: str, birth_date: date | None, sex: Sex | None
) -> Candidate:
    """Weights: name 0.5 (exact) or up to 0.35 (similar), birth date 0.35 (0.15 for the same
    year and month, a common data-entry slip), sex 0.15."""
    reasons: list[str] = []
    score = 0.0
    if resident.name_key == name_key:
        score += 0.5
        reasons.append("NAME_EXACT")
    else:
        similarity = SequenceMatcher(None, resident.name_key, name_key).ratio()
        if similarity >= 0.5:
            score += 0.35 * similarity
            reasons.append("NAME_SIMILAR")
    if birth_date is not None:
        if resident.birth_date == birth_date:
            score += 0.35
            reasons.append("BIRTH_DATE")
        elif (resident.birth_date.year, resident.birth_date.month) == (
            birth_date.year,
            birth_date.month,
        ):
            score += 0.15
            reasons.append("BIRTH_YEAR_MONTH")
    if sex is not None and resident.sex is sex:
        score += 0.15
        reasons.append("SEX")
    return Candidate(resident, round(score, 4), tuple(reasons))


def rank(candidates: list[Candidate], limit: int, minimum: float = 0.3) -> list[Candidate]:
    kept = [c for c in candidates if c.score >= minimum]
    kept.sort(key=lambda c: (-c.score, c.resident.resident_id))
    return kept[:limit]


def surname_prefix(name_key: str) -> str:
    """The first character: most Chinese surnames are one character, and a misspelt given
    name still shares it."""
    return name_key[:1]


# ---- read models (the store returns them; the use cases hand them on) ------------------------
@dataclass(frozen=True)
class MergeRecord:
    merge_id: str
    survivor_id: str
    merged_id: str
    state: str  # "active" or "undone"
    reason: str
    moved: dict[str, Any]
    create_time: datetime
    undo_time: datetime | None
    undo_reason: str


@dataclass(frozen=True)
class HealthCard:
    card_id: str
    resident_id: str
    generation: int
    state: str  # "active" or "revoked"
    issue_time: datetime
    revoke_time: datetime | None
    revoke_reason: str


# ---- the cell's resident change feed (change_store.py writes and reads it) ---------------------
class ChangeKind(Enum):
    DECEASED = "DECEASED"
    MERGED = "MERGED"
    MERGE_UNDONE = "MERGE_UNDONE"


@dataclass(frozen=True)
class ResidentChange:
    seq: int
    kind: ChangeKind
    resident_id: str
    change_time: datetime
    actor: str
    death_date: date | None = None
    survivor_id: str = ""
    merge_id: str = ""
