"""Referral use cases, one method per use case: validate every field at once, check the
caller against the scope the action belongs to (the sender's institution for sending and
cancelling, the receiver's for accepting, admitting and returning, any of both plus the
record's managing institution for reading), one transaction, the state machine, one
transition with actor, time and reason, and an audit event (ids only: never a name, an ID
number or a phone)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from rhip.kit import audit
from rhip.kit.authn import current_principal
from rhip.kit.authz import Authorizer
from rhip.kit.db import Database
from rhip.kit.errors import FailedPrecondition, NotFound, PermissionDenied, Violations, invalid
from rhip.kit.idempotency import claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page, foreign_page_token
from rhip.kit.parents import ListParents
from rhip.kit.requests import check_update_mask, parse_resource_name, validate_reason
from rhip.kit.tenancy import is_region_code, is_within, region_path, tenant_scope
from rhip.referral.clients import Peers, TenantFacts
from rhip.referral.referrals import domain
from rhip.referral.referrals.domain import (
    Action,
    Consent,
    Direction,
    Draft,
    Referral,
    Snapshot,
    State,
)
from rhip.referral.referrals.store import ReferralStore
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


class ReferralUseCases:
    def __init__(
        self,
        cell: str,
        db: Database,
        authorizer: Authorizer,
        peers: Peers,
        limits: domain.TimeLimits,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        issuer: str = "",
    ) -> None:
        self.issuer = issuer or f"rhip-identity/{cell}"
        self.db = db
        self.authz = authorizer
        self.peers = peers
        self.limits = limits
        self.clock = clock
        self.cell_path = region_path(cell)
        self.parents = ListParents(authorizer, self.cell_path)

    @contextmanager
    def _unit(self, *, durable: bool = True) -> Iterator[ReferralStore]:
        with self.db.transaction(durable=durable) as tx:
            yield ReferralStore(tx)

    def _audit(
        self, repo: ReferralStore, action: str, referral: Referral, **detail: object
    ) -> None:
        audit.append(
            repo.s,
            audit.AuditEvent(
                action,
                f"referrals/{referral.referral_id}",
                referral.sender_scope,
                detail={"resident": referral.resident_id, **detail},
            ),
        )

    def _load(
        self, repo: ReferralStore, name: str, method: str, sides: str, *, lock: bool = False
    ) -> Referral:
        """Permission before existence: a referral out of reach and a missing one look alike
        (PERMISSION_DENIED) except to callers who reach the whole cell. ``sides``: whose
        scope the action needs — ``s`` sender, ``r`` receiver, ``m`` the record's managing
        institution (any of them)."""
        principal = current_principal()
        referral_id = parse_resource_name(name, "referrals")
        referral = repo.get(referral_id, lock=lock)
        action = REFERRAL + method
        if referral is None:
            if self.authz.enforce(principal.subject, self.cell_path, action):
                raise NotFound(f"referrals/{referral_id} does not exist")
            raise self.authz.denial(principal, action)
        scopes = {
            "s": referral.sender_scope,
            "r": referral.receiver_scope,
            "m": referral.managing_scope,
        }
        if not any(
            scopes[side] and self.authz.enforce(principal.subject, scopes[side], action)
            for side in sides
        ):
            raise self.authz.denial(principal, action)
        return referral

    # -- create and update ------------------------------------------------------------------------
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
            draft.consent_method, draft.consent_date, draft.consent_reference, now.date(), checks
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

    def _receiver(self, tenant_id: str, region: str) -> TenantFacts:
        try:
            receiver = self.peers.tenant(tenant_id)
        except NotFound:
            raise invalid(
                "referral.receiving_tenant", "no such institution in this cell", "TENANT_NOT_FOUND"
            ) from None
        if region and receiver.region_code != region:
            raise invalid(
                "referral.receiving_tenant", "no such institution in that region",
                "TENANT_NOT_FOUND",
            )  # fmt: skip
        if not receiver.active:
            raise FailedPrecondition(
                "the receiving institution is suspended", reason="RECEIVER_INACTIVE"
            )
        return receiver

    # -- reads -----------------------------------------------------------------------------------
    def get(self, name: str) -> Referral:
        with self._unit(durable=False) as repo:
            referral = self._load(repo, name, "GetReferral", "srm")
            self._audit(repo, "referral.get", referral)
            return referral

    def list_referrals(
        self, parent: str, box: str, state: State | None, page: Page
    ) -> tuple[list[Referral], str]:
        principal = current_principal()
        tenant_id = parse_resource_name(parent, "tenants", "parent")
        action = REFERRAL + "ListReferrals"
        scope = self.parents.tenant(principal, tenant_id, action, self._tenant_scope)
        scopes = self.authz.scopes(principal.subject, action)
        with self._unit(durable=False) as repo:
            rows = repo.list_referrals(scope, box, state, scopes, page.after, page.size + 1)
            chunk = rows[: page.size]
            audit.append(
                repo.s,
                audit.AuditEvent("referral.list", parent, scope, detail={"hits": len(chunk)}),
            )
        last = chunk[-1].referral_id if chunk else None
        return chunk, page.next_token(last, len(rows) > page.size)

    def _tenant_scope(self, tenant_id: str) -> str | None:
        try:
            tenant = self.peers.tenant(tenant_id)
        except NotFound:
            return None
        return tenant_scope(tenant.region_code, tenant.tenant_id)

    def overdue(
        self, parent: str, as_of: datetime | None, page: Page
    ) -> tuple[list[Referral], datetime, str]:
        """Overdue referrals sent by ``tenants/{id}`` or by the institutions of
        ``regions/{code}`` (the county administrator's list)."""
        principal = current_principal()
        action = REFERRAL + "ListOverdueReferrals"
        if parent.startswith("regions/"):
            code = parse_resource_name(parent, "regions", "parent")
            root, below = self.parents.region(principal, code, action).path, True
        elif parent.startswith("tenants/"):
            tenant_id = parse_resource_name(parent, "tenants", "parent")
            root = self.parents.tenant(principal, tenant_id, action, self._tenant_scope)
            below = False
        else:
            raise invalid(
                "parent", "must look like tenants/{id} or regions/{code}", "RESOURCE_NAME"
            )
        as_of = as_of or self.clock()
        after = None
        if page.after:
            when, _, key = page.after.partition("|")
            try:
                after = (datetime.fromisoformat(when), key)
            except ValueError:  # a forged token with the right fingerprint
                raise foreign_page_token() from None
        scopes = self.authz.scopes(principal.subject, action)
        with self._unit(durable=False) as repo:
            rows = repo.overdue(root, below, scopes, as_of, after, page.size + 1)
            chunk = rows[: page.size]
            audit.append(
                repo.s,
                audit.AuditEvent("referral.overdue", parent, root, detail={"hits": len(chunk)}),
            )
        last = None
        if chunk and chunk[-1].deadline is not None:
            last = f"{chunk[-1].deadline.isoformat()}|{chunk[-1].referral_id}"
        return chunk, as_of, page.next_token(last, len(rows) > page.size)

    # -- transitions -----------------------------------------------------------------------------
    def _move(
        self,
        name: str,
        request_id: str,
        method: str,
        sides: str,
        action: Action,
        checks: Violations | None = None,
        reason: str = "",
        work: Callable[[Referral, datetime], dict[str, object]] | None = None,
    ) -> Referral:
        """One transition: checks, the caller's side, the state machine, ``work`` (what else
        the move writes), the transition row, the audit event. A retry with the same request id
        answers the referral as it is."""
        checks = checks or Violations()
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        principal = current_principal()
        now = self.clock()
        with self._unit() as repo:
            referral = self._load(repo, name, method, sides, lock=True)
            if claim(repo.s, key):
                return referral
            target = domain.next_state(referral.state, action)
            changes = work(referral, now) if work else {}
            deadline = self.limits.deadline(target, referral.sender_region, now)
            if referral.peer_region:  # the other cell makes the same move first
                changes.update(self._tell_peer(referral, action, target, reason, deadline, changes))
            self._in_history(referral, changes.get("snapshot"), target, principal.subject)
            repo.move(referral, target, principal.subject, now, reason, deadline, **changes)
            self._audit(repo, f"referral.{action.value}", referral, state=target.value)
            moved = repo.get(referral.referral_id)
        assert moved is not None
        return moved

    def _in_history(self, referral: Referral, taken: object, target: State, actor: str) -> None:
        """Every move from submission on appears in the resident's record history (§5.1),
        when the record is in this cell (RETURNED is written with the follow-up task)."""
        snapshot = taken if isinstance(taken, Snapshot) else referral.snapshot
        if snapshot is None or not referral.sender_here or target is State.RETURNED:
            return
        self.peers.referral_event(snapshot.record_id, referral.referral_id, target.value, actor)

    def _tell_peer(
        self,
        referral: Referral,
        action: Action,
        target: State,
        reason: str,
        deadline: datetime | None,
        changes: Mapping[str, object],
    ) -> dict[str, object]:
        """Across cells: open the receiving cell's copy on submission, relay every other move;
        idempotent there, so a retry after either side died ends in one consistent state."""
        now = self.clock()
        if action is Action.SUBMIT:
            snapshot = changes.get("snapshot")
            opened = replace(
                referral, state=target, deadline=deadline, update_time=now,
                snapshot=snapshot if isinstance(snapshot, Snapshot) else None,
            )  # fmt: skip
            self.peers.open_referral(referral.peer_region, opened, now)
            return {}
        form = changes.get("return_form")
        answer = self.peers.relay(
            referral.peer_region, referral.referral_id, target, reason,
            form if isinstance(form, dict) else {}, deadline,
        )  # fmt: skip
        if target is State.RETURNED and answer.follow_up_task:  # made in the sender's cell
            return {"follow_up_task": answer.follow_up_task, "follow_up_due": answer.follow_up_due}
        return {}

    def submit(self, name: str, request_id: str) -> Referral:
        def snapshot(referral: Referral, now: datetime) -> dict[str, object]:
            gaps = Violations()
            for field, description, reason in referral.missing():
                gaps.add(field, description, reason)
            gaps.raise_if_any()  # a draft archives' rules opened, not completed yet
            summary = self.peers.record_summary(f"residents/{referral.resident_id}")
            if summary is None:  # the sender sees no open record: nothing travels
                return {}
            managing = self.peers.tenant(summary.managing_tenant_id)
            return {
                "snapshot": Snapshot(
                    summary.record_id, summary.record_number, summary.managing_tenant_id,
                    summary.birth_date, summary.blood_type_abo, summary.blood_type_rh,
                    summary.drug_allergies, summary.past_diseases, now,
                ),
                "managing_scope": tenant_scope(managing.region_code, managing.tenant_id),
            }  # fmt: skip

        return self._move(name, request_id, "SubmitReferral", "s", Action.SUBMIT, work=snapshot)

    def accept(self, name: str, request_id: str) -> Referral:
        def timed(referral: Referral, now: datetime) -> dict[str, object]:
            return {"accept_seconds": referral.seconds_since_submitted(now)}

        return self._move(name, request_id, "AcceptReferral", "r", Action.ACCEPT, work=timed)

    def reject(self, name: str, reason: str, request_id: str) -> Referral:
        checks = Violations()
        reason = checks.check(validate_reason, reason) or ""
        return self._move(name, request_id, "RejectReferral", "r", Action.REJECT, checks, reason)

    def cancel(self, name: str, reason: str, request_id: str) -> Referral:
        checks = Violations()
        reason = checks.check(validate_reason, reason) or ""
        return self._move(name, request_id, "CancelReferral", "s", Action.CANCEL, checks, reason)

    def admit(self, name: str, request_id: str, card_code: str = "") -> Referral:
        checks = Violations()
        if len(card_code) > 2000:
            checks.add("health_card_code", "must be at most 2000 characters", "FIELD_TOO_LONG")

        def scanned(referral: Referral, now: datetime) -> dict[str, object]:
            if not card_code:
                return {}  # the receiver's admission
            outcome, holder = self.peers.scan_card(card_code)
            if outcome != "VALID":
                raise FailedPrecondition(
                    f"the scanned health-card code is not valid ({outcome})",
                    reason="HEALTH_CARD_" + outcome,
                )
            if holder != referral.resident_id:
                raise FailedPrecondition(
                    "the scanned health card is not the referred patient's",
                    reason="HEALTH_CARD_NOT_PATIENT",
                )
            return {}

        return self._move(
            name, request_id, "AdmitReferral", "r", Action.ADMIT, checks, work=scanned
        )

    def complete(self, name: str, request_id: str) -> Referral:
        return self._move(name, request_id, "CompleteReferral", "r", Action.COMPLETE)

    def return_(self, name: str, form: Mapping[str, str], request_id: str) -> Referral:
        checks = Violations()
        clean = domain.check_form(
            form, domain.RETURN_FIELDS, domain.RETURN_REQUIRED, "return_form", checks
        )

        def follow_up(referral: Referral, now: datetime) -> dict[str, object]:
            if referral.direction is not Direction.UP:
                raise FailedPrecondition(
                    "only an upward referral is returned (回转); complete this one",
                    reason="RETURN_ONLY_UPWARD",
                )
            changes: dict[str, object] = {"return_form": clean}
            if referral.snapshot is not None and referral.sender_here:
                # The managing institution follows the patient up within 14 days (§5.1).
                due = now.date() + timedelta(days=domain.FOLLOW_UP_DAYS)
                task = self.peers.referral_task(
                    referral.snapshot.record_id, referral.referral_id, due
                )
                changes.update(follow_up_task=task.name, follow_up_due=task.due_date)
            return changes

        return self._move(
            name, request_id, "ReturnReferral", "r", Action.RETURN, checks, work=follow_up
        )

    def close(self, name: str, request_id: str) -> Referral:
        def followed_up(referral: Referral, now: datetime) -> dict[str, object]:
            if (
                referral.snapshot is not None
                and referral.follow_up_due is not None
                and not referral.peer_region
            ):
                task = self.peers.referral_task(
                    referral.snapshot.record_id, referral.referral_id, referral.follow_up_due
                )
                if task.state != "done":
                    raise FailedPrecondition(
                        "the grassroots follow-up after the return is not recorded yet",
                        reason="FOLLOW_UP_NOT_RECORDED",
                        metadata={"task": task.name},
                    )
            return {}

        return self._move(name, request_id, "CloseReferral", "sm", Action.CLOSE, work=followed_up)
