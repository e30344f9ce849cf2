"""Creating and completing referral drafts: every field of a complete outward referral checked
at once (the forms' mandatory fields, the consent, the receiver in this cell or another), by
the sender's institution."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from rhip.kit.authn import current_principal
from rhip.kit.errors import FailedPrecondition, PermissionDenied, Violations, invalid
from rhip.kit.idempotency import claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.requests import check_update_mask, parse_resource_name
from rhip.kit.tenancy import is_region_code, is_within, region_path, tenant_scope
from rhip.kit.timestamps import clinical_day
from rhip.referral.clients import TenantFacts
from rhip.referral.referrals import domain
from rhip.referral.referrals.domain import (
    Consent,
    Direction,
    Draft,
    Referral,
    State,
)
from rhip.referral.referrals.usecases import ReferralUseCases
from rhip.referral.roles import REFERRAL

# UpdateReferral's mask paths → the Draft field each replaces ("consent": all three).
UPDATABLE = {
    "direction": "direction",
    "receiving_tenant": "receiving_tenant",
    "receiving_region": "receiving_region",
    "receiving_department": "department",
    "receiving_doctor": "receiving_doctor",
    "outward": "outward",
    "consent": "consent_method",
}


@dataclass(frozen=True)
class Shaped:
    """A complete outward referral's checked fields."""

    direction: Direction
    resident_id: str
    receiver: TenantFacts
    peer_region: str
    department: str
    doctor: str
    outward: Mapping[str, str]
    consent: Consent


def referral_as_draft(r: Referral) -> Draft:
    c = r.consent
    return Draft(
        direction=r.direction, resident=f"residents/{r.resident_id}",
        receiving_tenant=f"tenants/{r.receiver_tenant_id}" if r.receiver_tenant_id else "",
        department=r.department, receiving_doctor=r.receiving_doctor, outward=r.outward,
        consent_method=c.method if c else "",
        consent_date=c.consent_date.isoformat() if c else "",
        consent_reference=c.reference if c else "",
        receiving_region=r.receiver_region if r.peer_region else "",
    )  # fmt: skip


class DraftUseCases(ReferralUseCases):
    def _shape(self, draft: Draft, sender_tenant_id: str, checks: Violations) -> Shaped:
        """Every field of a complete outward referral checked (all bad fields at once), then
        the receiver: in this cell (looked up) or in another one (checked there on submit)."""
        now = self.clock()
        if draft.direction is None:
            checks.add("referral.direction", "must be up or down", "DIRECTION_REQUIRED")
        resident_id = checks.check(
            parse_resource_name, draft.resident, "residents", "referral.resident"
        )
        receiver_id = checks.check(
            parse_resource_name, draft.receiving_tenant, "tenants", "referral.receiving_tenant"
        )
        department = domain.check_short(
            draft.department, "department", "referral.receiving_department", checks
        )
        doctor = domain.check_short(
            draft.receiving_doctor, "receiving_doctor", "referral.receiving_doctor", checks
        )
        outward = domain.check_form(
            draft.outward, domain.OUTWARD_FIELDS, domain.OUTWARD_REQUIRED,
            "referral.outward", checks,
        )  # fmt: skip
        consent = domain.check_consent(
            draft.consent_method,
            draft.consent_date,
            draft.consent_reference,
            clinical_day(now),
            checks,
        )
        region = draft.receiving_region
        if region and not is_region_code(region):
            checks.add("referral.receiving_region", "must be a 6-digit region code", "REGION_CODE")
        checks.raise_if_any()
        assert draft.direction and resident_id and receiver_id and consent
        if receiver_id == sender_tenant_id:
            raise invalid(
                "referral.receiving_tenant", "must be another institution", "SAME_INSTITUTION"
            )
        across = bool(region) and not is_within(region_path(region), self.cell_path)
        if across:  # the receiving cell checks the institution when the referral is opened there
            self.peers.require_cross_cell()
            receiver = TenantFacts(receiver_id, "", region, True)
        else:
            receiver = self._receiver(receiver_id, region)
        if draft.direction is Direction.DOWN and not across and not receiver.grassroots:
            raise invalid(
                "referral.direction",
                "a downward referral goes to a grassroots institution",
                "DOWN_TO_GRASSROOTS",
            )
        return Shaped(
            draft.direction, resident_id, receiver, region if across else "", department,
            doctor, outward, consent,
        )  # fmt: skip

    def create(self, draft: Draft, request_id: str, checks: Violations) -> Referral:
        principal = current_principal()
        now = self.clock()
        key = checks.check(request_key, request_id) or ""
        if not principal.tenant_id:
            checks.raise_if_any()
            raise PermissionDenied(
                "only practitioners of an institution refer patients", reason="TENANT_REQUIRED"
            )
        shaped = self._shape(draft, principal.tenant_id, checks)
        sender_scope = tenant_scope(principal.region_code, principal.tenant_id)
        self.authz.require(principal, sender_scope, REFERRAL + "CreateReferral")
        self.peers.resident_exists(draft.resident)  # the sender may see the resident
        receiver = shaped.receiver
        referral = Referral(
            referral_id=new_id(),
            direction=shaped.direction,
            resident_id=shaped.resident_id,
            sender_tenant_id=principal.tenant_id,
            sender_region=principal.region_code,
            sender_scope=sender_scope,
            receiver_tenant_id=receiver.tenant_id,
            receiver_scope=tenant_scope(receiver.region_code, receiver.tenant_id),
            department=shaped.department,
            receiving_doctor=shaped.doctor,
            outward=shaped.outward,
            consent=shaped.consent,
            state=State.DRAFT,
            create_time=now,
            update_time=now,
            receiver_region=receiver.region_code,
            peer_region=shaped.peer_region,
        )
        with self._unit() as repo:
            if claim(repo.s, key) and (earlier := repo.by_request(key)):
                return earlier
            repo.add(referral, key)
            repo.transition(referral.referral_id, State.DRAFT, principal.subject, now)
            self._audit(repo, "referral.create", referral, receiver=receiver.tenant_id)
            stored = repo.get(referral.referral_id)
        assert stored is not None
        return stored

    def update(self, name: str, changes: Draft, mask: Sequence[str]) -> Referral:
        """A DRAFT's receiver, direction, forms or consent (the paths in ``mask``), by the
        sender: a draft archives' rules opened is completed this way before it is sent."""
        checks = Violations()
        check_update_mask(checks, mask, UPDATABLE)
        checks.raise_if_any()
        now = self.clock()
        with self._unit() as repo:
            referral = self._load(repo, name, "UpdateReferral", "s", lock=True)
            if referral.state is not State.DRAFT:
                raise FailedPrecondition("only a DRAFT is edited", reason="REFERRAL_STATE")
            merged = replace(
                referral_as_draft(referral),
                **{UPDATABLE[path]: getattr(changes, UPDATABLE[path]) for path in mask},
            )
            consent_fields = ("consent_method", "consent_date", "consent_reference")
            if "consent" in mask:
                merged = replace(merged, **{f: getattr(changes, f) for f in consent_fields})
            shaped = self._shape(merged, referral.sender_tenant_id, checks)
            receiver = shaped.receiver
            repo.update_draft(
                referral.referral_id,
                direction=shaped.direction.value,
                receiver_tenant_id=receiver.tenant_id,
                receiver_scope=tenant_scope(receiver.region_code, receiver.tenant_id),
                receiver_region=receiver.region_code,
                peer_region=shaped.peer_region,
                department=shaped.department,
                receiving_doctor=shaped.doctor,
                outward=shaped.outward,
                consent=shaped.consent,
                update_time=now,
            )
            self._audit(repo, "referral.update", referral, fields=sorted(mask))
            stored = repo.get(referral.referral_id)
        assert stored is not None
        return stored
