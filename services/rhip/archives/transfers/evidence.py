"""Evidence that the resident is present or consents, for a cross-cell transfer request.

Within a cell a practitioner reaches a resident of another county only after proving
presence to identity (a registration with the exact name, or a dynamic card scan, enrols the
resident at their institution). Across cells the destination registers the resident itself,
so the source cell asks for the same proof: the exact name it holds for the document, plus
one piece of evidence: a dynamic e-health-card code scanned at the requesting institution
(the source cell issued it and uses it up when checking it) or the reference of the consent
form the resident signed there (recorded with the transfer and audited in both cells).

Plain rules, no gRPC and no SQL: the use cases (``transfers.py``) call these.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from rhip.kit.errors import FailedPrecondition, NotFound, invalid
from rhip.kit.healthcard import QrRejected, QrType, parse

HEALTH_CARD = "health_card"
CONSENT_FORM = "consent_form"
# The proto oneof member each kind arrives in (and the field named in violations).
FIELDS = {HEALTH_CARD: "health_card_qr", CONSENT_FORM: "consent_form_reference"}
KINDS = {field: kind for kind, field in FIELDS.items()}

REFERENCE_MAX = 200
QR_MAX = 1000  # a payload is ~200 characters; anything far longer is not one


@dataclass(frozen=True)
class Evidence:
    kind: str  # HEALTH_CARD or CONSENT_FORM
    value: str  # the scanned code (never stored, never logged) or the form's reference

    def recorded(self) -> dict[str, str]:
        """What the transfer keeps of it (in its consent document): the kind, and the form's
        reference; a scanned code is a single-use credential and is not kept."""
        reference = self.value if self.kind == CONSENT_FORM else ""
        return {"evidence": self.kind, "evidence_reference": reference}


def check_evidence(field: str, value: str) -> Evidence | None:
    """The evidence sent in oneof member ``field`` ("" when none was sent); None for none.
    A member that is present but malformed is INVALID_ARGUMENT naming it."""
    if not field:
        return None
    kind = KINDS.get(field)
    if kind is None:
        raise invalid("evidence", f"unknown evidence {field}", "EVIDENCE_UNKNOWN")
    value = value.strip()
    if kind == CONSENT_FORM:
        if not value:
            raise invalid(field, "must name the signed consent form", "CONSENT_REFERENCE_REQUIRED")
        if len(value) > REFERENCE_MAX:
            raise invalid(field, f"must be at most {REFERENCE_MAX} characters", "TEXT_TOO_LONG")
        if any(unicodedata.category(c).startswith("C") for c in value):
            raise invalid(field, "must not contain control characters", "TEXT_CHARACTERS")
        return Evidence(kind, value)
    if not value or len(value) > QR_MAX:
        raise invalid(field, "is not an e-health-card QR code", "HEALTH_CARD_QR_MALFORMED")
    try:
        claims, _, _ = parse(value)
    except QrRejected:
        raise invalid(
            field, "is not an e-health-card QR code", "HEALTH_CARD_QR_MALFORMED"
        ) from None
    if claims.qr_type is not QrType.DYNAMIC:
        # A static code is printed and can be copied: it proves nothing about presence.
        raise invalid(
            field, "must be a dynamic code shown by the resident", "HEALTH_CARD_QR_STATIC"
        )
    return Evidence(kind, value)


def evidence_required() -> FailedPrecondition:
    return FailedPrecondition(
        "a cross-cell transfer request needs the resident's dynamic e-health-card code "
        "scanned here (health_card_qr) or the reference of the consent form they signed "
        "(consent_form_reference)",
        reason="EVIDENCE_REQUIRED",
    )


def evidence_invalid(outcome: str) -> FailedPrecondition:
    """The scanned code did not verify at its issuing cell (expired, used before, revoked,
    forged, issued elsewhere). Says nothing about the record: it is checked before it."""
    return FailedPrecondition(
        "the e-health-card code does not verify: ask the resident to show a fresh one",
        reason="EVIDENCE_INVALID",
        metadata={"outcome": outcome},
    )


def no_matching_record() -> NotFound:
    """Source side: the one answer for an unknown document, a name that differs from the one
    held here, a card of another resident and no open record alike, so that a requester
    cannot tell which of them it was (see ``TransferUseCases.open_transfer``)."""
    return NotFound(
        "no open record here matches the resident's document, name and evidence",
        reason="RECORD_NOT_FOUND",
    )
