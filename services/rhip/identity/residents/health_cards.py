"""Electronic health cards (docs/domain §7.1): issue, revoke, re-issue, QR payloads, scans.

One card per resident with a stable id; revoking and re-issuing moves the card to a new
generation, so payloads of the old one fail. A dynamic payload expires after the TTL of the
resident's region and is single-use; a valid dynamic scan is proof that the resident is
present, so it enrolls the resident at the scanning tenant (as a registration with the ID
would) and is remembered as the resident's last presence there (``presence``: emr's care
relationship for 24 hours). A static payload only answers callers who may already see the
resident.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from rhip.identity.directory.domain import validate_reason
from rhip.identity.residents.access import ResidentAccess
from rhip.identity.residents.card_store import CardRepository
from rhip.identity.residents.domain import HealthCard, Resident, ResidentState
from rhip.identity.residents.store import ResidentRepository
from rhip.kit.authn import current_principal
from rhip.kit.errors import FailedPrecondition, NotFound, PermissionDenied, invalid
from rhip.kit.healthcard import (
    CardSigner,
    QrClaims,
    QrOutcome,
    QrRejected,
    QrType,
    parse,
    verify_offline,
)
from rhip.kit.tenancy import tenant_scope

CARD_SUFFIX = "/healthCard"
DEFAULT_PRESENCE_HOURS = 24  # a scan at the institution is a care relationship for a day
MAX_PRESENCE_HOURS = 72


@dataclass(frozen=True)
class QrCode:
    payload: str
    qr_type: QrType
    expire_time: datetime | None


@dataclass(frozen=True)
class ScanResult:
    outcome: QrOutcome
    resident_id: str = ""
    card_id: str = ""
    qr_type: QrType | None = None


def card_owner(name: str, field: str = "name") -> str:
    """``residents/{id}/healthCard`` → ``residents/{id}``."""
    if not name.endswith(CARD_SUFFIX):
        raise invalid(field, "must look like residents/{id}/healthCard", "RESOURCE_NAME")
    return name[: -len(CARD_SUFFIX)]


class HealthCards:
    def __init__(self, residents: ResidentAccess, signer: CardSigner) -> None:
        self.residents = residents
        self.signer = signer

    def _require_card(self, cards: CardRepository, resident: Resident) -> HealthCard:
        card = cards.card_of(resident.resident_id, for_update=True)
        if card is None:
            raise NotFound("the resident has no health card")
        return card

    def issue(self, parent: str, request_id: str) -> HealthCard:
        """Idempotent: an active card is returned as it is; a revoked one is re-issued."""
        principal = current_principal()
        uc = self.residents
        now = uc.clock()
        with uc.unit() as repo:
            resident = uc.load(repo, parent, "IssueHealthCard", field="parent", lock=True)
            cards = CardRepository(repo.s)
            resident.require_living("issue a health card")
            if resident.state is not ResidentState.VERIFIED:
                raise FailedPrecondition(
                    "a card needs a verified resident", reason="RESIDENT_NOT_VERIFIED"
                )
            card = cards.card_of(resident.resident_id, for_update=True)
            if card is not None and card.state == "active":
                return card
            if card is None:
                card = HealthCard(
                    self.signer.card_id(resident.resident_id), resident.resident_id, 1,
                    "active", now, None, "",
                )  # fmt: skip
                if not cards.add_card(card):
                    raise FailedPrecondition("the card is being issued; retry", reason="CARD_RACE")
            else:
                card = replace(
                    card, state="active", generation=card.generation + 1, issue_time=now,
                    revoke_time=None, revoke_reason="",
                )  # fmt: skip
                cards.save_card(card)
            repo.record(
                resident.resident_id, "CARD_ISSUED", principal.subject, now,
                generation=card.generation,
            )  # fmt: skip
            uc.audit_change(repo, "card.issue", resident, generation=card.generation)
            return card

    def get(self, name: str) -> HealthCard:
        uc = self.residents
        with uc.reading() as repo:
            resident = uc.load(repo, card_owner(name), "GetHealthCard")
            card = CardRepository(repo.s).card_of(resident.resident_id)
        if card is None:
            raise NotFound("the resident has no health card")
        uc.audit_read("card.read", resident)
        return card

    def presence(self, name: str, within_hours: int) -> datetime | None:
        """When the resident's card was last scanned (dynamic, valid) at the caller's own
        institution, if within the last ``within_hours`` (default 24, at most 72); None
        otherwise. Only practitioners and systems of an institution ask it."""
        principal = current_principal()
        if not 0 <= within_hours <= MAX_PRESENCE_HOURS:
            raise invalid(
                "within_hours", f"must be between 1 and {MAX_PRESENCE_HOURS}", "HOURS_RANGE"
            )
        if not principal.tenant_id:
            raise PermissionDenied(
                "presence is asked by an institution about itself", reason="TENANT_REQUIRED"
            )
        uc = self.residents
        now = uc.clock()
        with uc.reading() as repo:
            resident = uc.load(repo, card_owner(name), "CheckHealthCardPresence")
            seen = CardRepository(repo.s).last_presence(resident.resident_id, principal.tenant_id)
        uc.audit_read("card.presence", resident)
        window = timedelta(hours=within_hours or DEFAULT_PRESENCE_HOURS)
        return seen if seen is not None and now - seen <= window else None

    def revoke(self, name: str, reason: str) -> HealthCard:
        principal = current_principal()
        uc = self.residents
        reason = validate_reason(reason)
        now = uc.clock()
        with uc.unit() as repo:
            resident = uc.load(repo, card_owner(name), "RevokeHealthCard", lock=True)
            cards = CardRepository(repo.s)
            card = self._require_card(cards, resident)
            if card.state == "revoked":
                return card
            card = revoke_card(cards, card, reason, now)
            repo.record(resident.resident_id, "CARD_REVOKED", principal.subject, now)
            uc.audit_change(repo, "card.revoke", resident, generation=card.generation)
            return card

    def create_qr(self, name: str, qr_type: QrType | None) -> QrCode:
        if qr_type is None:
            raise invalid("type", "must be dynamic or static", "QR_TYPE_REQUIRED")
        uc = self.residents
        now = uc.clock()
        with uc.unit() as repo:
            resident = uc.load(repo, card_owner(name), "CreateHealthCardQrCode")
            resident.require_living("show a health card")
            card = CardRepository(repo.s).card_of(resident.resident_id)
            if card is None or card.state != "active":
                raise FailedPrecondition("the card is not active", reason="CARD_NOT_ACTIVE")
        expire = None
        valid_until, nonce = 0, "-"
        if qr_type is QrType.DYNAMIC:
            ttl = uc.options.card_qr_ttl(resident.region_code)
            expire = now + timedelta(seconds=ttl)
            valid_until, nonce = int(expire.timestamp()), secrets.token_hex(8)
        claims = QrClaims(
            card.card_id, qr_type, valid_until, uc.settings.cell, card.generation, nonce,
            self.signer.kid,
        )  # fmt: skip
        return QrCode(self.signer.sign(claims), qr_type, expire)

    def verify(self, payload: str) -> ScanResult:
        """Checks in the order a scanner can explain: format, region, signature, expiry, then
        revocation and reuse (which need this cell). Every scan is audited with its outcome."""
        principal = current_principal()
        uc = self.residents
        roots = uc.roots(principal, "VerifyHealthCardQrCode")
        if not payload.strip():
            raise invalid("payload", "must not be empty", "PAYLOAD_REQUIRED")
        now = uc.clock()
        try:
            claims, _, _ = parse(payload)
        except QrRejected as rejected:
            return self._scan_audited(ScanResult(rejected.outcome))
        seen = ScanResult(QrOutcome.VALID, "", claims.card_id, claims.qr_type)
        if claims.region != uc.settings.cell:
            return self._scan_audited(replace(seen, outcome=QrOutcome.WRONG_REGION))
        try:
            verify_offline(payload, self.signer.keys, now.timestamp())
        except QrRejected as rejected:
            return self._scan_audited(replace(seen, outcome=rejected.outcome))
        with uc.unit() as repo:
            cards = CardRepository(repo.s)
            card = cards.card(claims.card_id)
            if card is None:
                outcome = QrOutcome.FORGED
            elif card.state != "active" or card.generation != claims.generation:
                outcome = QrOutcome.REVOKED
            elif claims.qr_type is QrType.DYNAMIC and not cards.use_nonce(
                claims.nonce, card.card_id, now
            ):
                outcome = QrOutcome.REUSED
            else:
                outcome = QrOutcome.VALID
            result = replace(seen, outcome=outcome)
            if outcome is QrOutcome.VALID and card is not None:
                result = self._present(repo, card, claims, roots, now)
            self._record_scan(repo, result)
            return result

    def _present(
        self,
        repo: ResidentRepository,
        card: HealthCard,
        claims: QrClaims,
        roots: list[str],
        now: datetime,
    ) -> ScanResult:
        principal = current_principal()
        resident_id = card.resident_id
        if claims.qr_type is QrType.DYNAMIC and principal.tenant_id:
            scope = tenant_scope(principal.region_code, principal.tenant_id)
            CardRepository(repo.s).record_presence(resident_id, principal.tenant_id, now)
            if repo.enroll(resident_id, principal.tenant_id, scope, now):
                repo.record(
                    resident_id, "ENROLLED", principal.subject, now,
                    tenant=principal.tenant_id, via="card_scan",
                )  # fmt: skip
        elif not repo.is_visible(resident_id, roots):
            raise PermissionDenied("a static code answers only callers who may see the resident")
        return ScanResult(QrOutcome.VALID, resident_id, card.card_id, claims.qr_type)

    def _record_scan(self, repo: ResidentRepository, result: ScanResult) -> None:
        resident = repo.get(result.resident_id) if result.resident_id else None
        self.residents.audit_change(
            repo, "card.scan", resident, f"healthCards/{result.card_id or '-'}",
            "OK" if result.outcome is QrOutcome.VALID else result.outcome.value.upper(),
        )  # fmt: skip

    def _scan_audited(self, result: ScanResult) -> ScanResult:
        with self.residents.unit() as repo:
            self._record_scan(repo, result)
        return result

    def public_keys(self) -> list[dict[str, str]]:
        return self.signer.public_jwks()  # current first, then the retired keys


def revoke_card(cards: CardRepository, card: HealthCard, reason: str, now: datetime) -> HealthCard:
    revoked = replace(card, state="revoked", revoke_time=now, revoke_reason=reason)
    cards.save_card(revoked)
    return revoked


def revoke_on_death(repo: ResidentRepository, resident: Resident, now: datetime) -> None:
    """A deceased resident's card stops working at once."""
    cards = CardRepository(repo.s)
    card = cards.card_of(resident.resident_id, for_update=True)
    if card is not None and card.state == "active":
        revoke_card(cards, card, "deceased", now)
