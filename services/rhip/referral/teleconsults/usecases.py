"""Teleconsultation use cases (远程医疗, docs/domain §5.2): agreements by the inviting
institution's regional administrators; requests only under an agreement in force and with
written consent on file; each move by its side (invited, inviting, either) through the state
machine; the opinion report signed by the consulting physician with the cell's report key;
the recording kept for its retention period (an earlier delete is refused and audited)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

from rhip.kit import audit
from rhip.kit.authn import current_principal
from rhip.kit.authz import Authorizer
from rhip.kit.db import Database
from rhip.kit.errors import (
    FailedPrecondition,
    NotFound,
    PermissionDenied,
    RhipError,
    Unavailable,
    Violations,
    invalid,
)
from rhip.kit.idempotency import claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.institution_names import InstitutionNames
from rhip.kit.pagination import Page
from rhip.kit.parents import ListParents
from rhip.kit.practice import check_credentials
from rhip.kit.requests import check_no_controls, parse_resource_name, validate_reason
from rhip.kit.tenancy import is_region_code, is_within, region_path, tenant_scope
from rhip.kit.timestamps import clinical_day
from rhip.referral.clients import Peers, TenantFacts
from rhip.referral.teleconsults import domain
from rhip.referral.teleconsults.clients import TeleconsultPeers
from rhip.referral.teleconsults.cross_ids import reserve_id
from rhip.referral.teleconsults.domain import Agreement, Teleconsultation, TState
from rhip.referral.teleconsults.signing import ReportSigner
from rhip.referral.teleconsults.store import TeleconsultStore
from rhip.referral.timeline import enqueue_teleconsultation_move

TELE = "rhip.api.referral.v1.TeleconsultationService/"
AUDIT = "_audit"  # what a move's work adds to its audit event (not a column)


class _NotShared(Exception):
    """The other cell answered that it holds no such teleconsultation (``domain.NOT_SHARED``)."""

    def __init__(self, t: Teleconsultation) -> None:
        super().__init__(t.teleconsultation_id)
        self.t = t


class TeleconsultUseCases:
    def __init__(
        self,
        cell: str,
        db: Database,
        authorizer: Authorizer,
        peers: Peers,
        signer: ReportSigner,
        recording_days: int = domain.MIN_RECORDING_DAYS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        practice_years: int = domain.MIN_PRACTICE_YEARS,
        timeline: bool = False,
        issuer: str = "",
        names: InstitutionNames | None = None,
    ) -> None:
        # Whose tokens are this cell's own (another cell's account is a peer: cross_cell.py).
        self.issuer = issuer or f"rhip-identity/{cell}"
        self.tele_peers = TeleconsultPeers(peers)
        # Every request and move also goes to emr's timeline index (the cell runs emr),
        # naming the inviting institution (``names``: asked as the cell, kept a while).
        self.timeline = timeline
        self.names = names
        self.db, self.authz, self.peers, self.signer = db, authorizer, peers, signer
        self.recording_days = recording_days
        self.practice_years = practice_years
        self.clock = clock
        self.cell_path = region_path(cell)
        self.parents = ListParents(authorizer, self.cell_path)

    @contextmanager
    def _unit(self, *, durable: bool = True) -> Iterator[TeleconsultStore]:
        with self.db.transaction(durable=durable) as tx:
            yield TeleconsultStore(tx)

    def _new_id(self, key: str, across: bool) -> str:
        """A new id (UUIDv7); across cells with a request key, the one every retry of that
        request gets (cross_ids: the other cell may hold it from an attempt whose answer was
        lost)."""
        return reserve_id(self.db, key, self.clock()) if across and key else new_id()

    def _event(self, repo: TeleconsultStore, action: str, target: str, scope: str, outcome: str = "OK", **detail: object) -> None:  # fmt: skip
        audit.append(repo.s, audit.AuditEvent(action, target, scope, outcome, detail=detail))

    def _tenant(self, name: str, field: str, region: str = "") -> TenantFacts:
        tenant_id = parse_resource_name(name, "tenants", field)
        try:
            tenant = self.peers.tenant(tenant_id)
        except NotFound:
            raise invalid(field, "no such institution in this cell", "TENANT_NOT_FOUND") from None
        if region and tenant.region_code != region:
            raise invalid(field, "no such institution in that region", "TENANT_NOT_FOUND")
        if not tenant.health_institution:
            raise invalid(
                field, "is a public-security organ, not a health institution",
                "TENANT_NOT_HEALTH_INSTITUTION",
            )  # fmt: skip
        return tenant

    def _across(self, region: str, field: str, checks: Violations) -> bool:
        """Whether ``region`` (the invited institution's, "" when not given) is another
        cell's: that cell then checks the institution and holds the agreement or request too."""
        if not region:
            return False
        if not is_region_code(region):
            checks.add(field, "must be a 6-digit region code", "REGION_CODE")
            return False
        return not is_within(region_path(region), self.cell_path)

    def _invited(self, name: str, region: str, across: bool, field: str) -> TenantFacts:
        """The invited institution: this cell's (in ``region`` when given), or across cells
        what the request says of it (the other cell checks it when it opens its copy)."""
        if across:
            return TenantFacts(parse_resource_name(name, "tenants", field), "", region, True)
        return self._tenant(name, field, region)

    # -- agreements ------------------------------------------------------------------------------
    def create_agreement(self, values: dict[str, str], request_id: str) -> Agreement:
        principal = current_principal()
        checks = Violations()
        key = checks.check(request_key, request_id) or ""
        texts = domain.check_texts(values, domain.AGREEMENT_FIELDS, "agreement", checks)
        first, last = domain.check_period(values["start_date"], values["end_date"], checks)
        inviting = checks.check(
            self._tenant, values["inviting_tenant"], "agreement.inviting_tenant"
        )
        region = values.get("invited_region", "")
        across = self._across(region, "agreement.invited_region", checks)
        invited = checks.check(
            self._invited, values["invited_tenant"], region, across, "agreement.invited_tenant"
        )
        if inviting and invited and inviting.tenant_id == invited.tenant_id:
            checks.add(
                "agreement.invited_tenant", "must be another institution", "SAME_INSTITUTION"
            )
        checks.raise_if_any()
        assert inviting and invited and first and last
        inviting_scope = tenant_scope(inviting.region_code, inviting.tenant_id)
        self.authz.require(principal, inviting_scope, TELE + "CreateCooperationAgreement")
        if across:
            self.peers.require_cross_cell()
        agreement = Agreement(
            self._new_id(key, across), inviting.tenant_id, inviting_scope,
            invited.tenant_id, tenant_scope(invited.region_code, invited.tenant_id),
            texts["scope"], first, last, texts["liability"], self.clock(),
            region if across else "",
        )  # fmt: skip
        with self._unit() as repo:
            if claim(repo.s, key) and (earlier := repo.agreement_by_request(key)):
                return earlier
            if across:  # the invited institution's cell holds it first (same id on a retry)
                self.tele_peers.open_agreement(region, agreement, inviting.region_code)
            repo.add_agreement(agreement, key)
            self._event(
                repo, "teleconsult.agreement", f"cooperationAgreements/{agreement.agreement_id}",
                inviting_scope, invited=invited.tenant_id,
            )  # fmt: skip
        return agreement

    def agreements(self, parent: str, page: Page) -> tuple[list[Agreement], str]:
        principal = current_principal()
        action = TELE + "ListCooperationAgreements"
        tenant_id = parse_resource_name(parent, "tenants", "parent")
        scope = self.parents.tenant(principal, tenant_id, action, self._scope_of)
        with self._unit(durable=False) as repo:
            rows = repo.agreements(scope, self.authz.scopes(principal.subject, action), page.after, page.size + 1)  # fmt: skip
        chunk = rows[: page.size]
        return chunk, page.next_token(chunk[-1].agreement_id if chunk else None, len(rows) > page.size)  # fmt: skip

    def _scope_of(self, tenant_id: str) -> str | None:
        try:
            tenant = self.peers.tenant(tenant_id)
        except NotFound:
            return None
        return tenant_scope(tenant.region_code, tenant.tenant_id)

    # -- request -----------------------------------------------------------------------------
    def request(self, values: dict[str, str], proposed: datetime | None, consent: dict[str, str], request_id: str) -> Teleconsultation:  # fmt: skip
        principal = current_principal()
        now = self.clock()
        checks = Violations()
        key = checks.check(request_key, request_id) or ""
        form = domain.check_texts(values, domain.REQUEST_FIELDS, "teleconsultation", checks)
        on_file = domain.check_consent(
            consent["signer"],
            consent["consent_date"],
            consent["reference"],
            clinical_day(now),
            checks,
        )
        resident_id = checks.check(parse_resource_name, values["resident"], "residents", "teleconsultation.resident")  # fmt: skip
        invited_id = checks.check(parse_resource_name, values["invited_tenant"], "tenants", "teleconsultation.invited_tenant")  # fmt: skip
        region = values.get("invited_region", "")
        across = self._across(region, "teleconsultation.invited_region", checks)
        checks.raise_if_any()
        assert on_file and resident_id and invited_id
        if not principal.tenant_id:
            raise PermissionDenied("only practitioners of an institution invite", reason="TENANT_REQUIRED")  # fmt: skip
        inviting_scope = tenant_scope(principal.region_code, principal.tenant_id)
        self.authz.require(principal, inviting_scope, TELE + "RequestTeleconsultation")
        invited = self._invited(
            values["invited_tenant"], region, across, "teleconsultation.invited_tenant"
        )
        if across:
            self.peers.require_cross_cell()
        self.peers.resident_exists(values["resident"])
        tc_id = self._new_id(key, across)  # before the transaction below: it commits on its own
        with self._unit() as repo:
            if claim(repo.s, key) and (earlier := repo.by_request(key)):
                return earlier
            agreement = repo.agreement_in_force(
                principal.tenant_id, invited.tenant_id, clinical_day(now)
            )
            if agreement is None or agreement.peer_region != (region if across else ""):
                raise FailedPrecondition(
                    "no cooperation agreement with the invited institution is in force",
                    reason="AGREEMENT_REQUIRED",
                )
            t = Teleconsultation(
                tc_id, principal.tenant_id, inviting_scope,
                invited.tenant_id, tenant_scope(invited.region_code, invited.tenant_id),
                agreement.agreement_id, resident_id,
                {**form, "proposed_time": proposed.isoformat() if proposed else ""},
                on_file, TState.REQUESTED, now, now, peer_region=region if across else "",
            )  # fmt: skip
            if across:  # the invited institution's cell opens its copy first (same id on a retry)
                self.tele_peers.open_teleconsultation(region, t, principal.region_code)
            repo.add(t, key)
            if self.timeline:
                enqueue_teleconsultation_move(repo.s, t, t.state.value, now, self.names)
            self._event(repo, "teleconsult.request", f"teleconsultations/{t.teleconsultation_id}", inviting_scope, resident=resident_id)  # fmt: skip
            stored = repo.get(t.teleconsultation_id)
        assert stored is not None
        return stored

    # -- reads -------------------------------------------------------------------------------
    def _load(self, repo: TeleconsultStore, name: str, method: str, side: str, *, lock: bool = False) -> Teleconsultation:  # fmt: skip
        principal = current_principal()
        tc_id = parse_resource_name(name, "teleconsultations")
        t = repo.get(tc_id, lock=lock)
        action = TELE + method
        if t is None:
            if self.authz.enforce(principal.subject, self.cell_path, action):
                raise NotFound(f"teleconsultations/{tc_id} does not exist")
            raise self.authz.denial(principal, action)
        scopes = {"inviting": [t.inviting_scope], "invited": [t.invited_scope]}.get(
            side, [t.inviting_scope, t.invited_scope]
        )
        if not any(self.authz.enforce(principal.subject, s, action) for s in scopes):
            raise self.authz.denial(principal, action)
        return t

    def get(self, name: str) -> Teleconsultation:
        with self._unit(durable=False) as repo:
            t = self._load(repo, name, "GetTeleconsultation", "either")
            self._event(repo, "teleconsult.get", name, t.inviting_scope, resident=t.resident_id)
            return t

    def list_for(
        self, parent: str, page: Page, resident: str = ""
    ) -> tuple[list[Teleconsultation], str]:
        principal = current_principal()
        action = TELE + "ListTeleconsultations"
        checks = Violations()
        tenant_id = checks.check(parse_resource_name, parent, "tenants", "parent")
        resident_id = (
            checks.check(parse_resource_name, resident, "residents", "resident") if resident else ""
        )
        checks.raise_if_any()
        assert tenant_id is not None
        scope = self.parents.tenant(principal, tenant_id, action, self._scope_of)
        with self._unit(durable=False) as repo:
            scopes = self.authz.scopes(principal.subject, action)
            rows = repo.list_for(scope, scopes, page.after, page.size + 1, resident_id or "")
            chunk = rows[: page.size]
            self._event(repo, "teleconsult.list", parent, scope, hits=len(chunk))
        return chunk, page.next_token(chunk[-1].teleconsultation_id if chunk else None, len(rows) > page.size)  # fmt: skip

    # -- moves -------------------------------------------------------------------------------
    def _move(self, name: str, request_id: str, method: str, move: str, checks: Violations | None = None, work: Callable[[Teleconsultation, datetime], dict[str, object]] | None = None) -> Teleconsultation:  # fmt: skip
        checks = checks or Violations()
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        now = self.clock()
        try:
            with self._unit() as repo:
                t = self._load(repo, name, method, domain.MOVES[move][2], lock=True)
                if claim(repo.s, key):
                    return t
                target = domain.move(t.state, move)
                changes = work(t, now) if work else {}
                detail = cast(dict[str, object], changes.pop(AUDIT, {}))
                if t.peer_region:  # across cells: the other cell makes the same move first
                    after = replace(t, state=target, update_time=now, **changes)  # type: ignore[arg-type]
                    changes.update(self._as_held(t, target, self._relay(t, after)))
                repo.update(t.teleconsultation_id, state=target, update_time=now, **changes)
                if self.timeline and t.peer_side != "inviting":  # the resident is in this cell
                    enqueue_teleconsultation_move(repo.s, t, target.value, now, self.names)
                self._event(repo, f"teleconsult.{move}", name, t.inviting_scope, "OK", resident=t.resident_id, state=target.value, **detail)  # fmt: skip
                moved = repo.get(t.teleconsultation_id)
        except _NotShared as missing:  # after the move's transaction rolled back
            raise self._withdraw_unconfirmed(missing.t, now) from None
        assert moved is not None
        return moved

    def _relay(self, t: Teleconsultation, after: Teleconsultation) -> dict[str, object]:
        try:
            return self.tele_peers.relay(t.peer_region, after)
        except NotFound as error:
            if error.reason == domain.NOT_SHARED:
                raise _NotShared(t) from None
            raise

    def _withdraw_unconfirmed(self, t: Teleconsultation, now: datetime) -> RhipError:
        """The other cell does not hold this teleconsultation. An invited cell's copy still
        REQUESTED is one whose request the inviting cell never stored: withdrawn once it is
        older than any commit of it there could take (domain.UNCONFIRMED_AFTER)."""
        if t.peer_side != "inviting" or t.state is not TState.REQUESTED:
            return FailedPrecondition(
                "the other cell does not hold this teleconsultation", reason="PEER_COPY_MISSING"
            )
        if now - t.create_time < domain.UNCONFIRMED_AFTER:
            return Unavailable(
                "the inviting institution's cell has not stored this request yet: try again "
                "in a few minutes",
                reason="REQUEST_NOT_CONFIRMED",
                retry_after_seconds=60,
            )
        name = f"teleconsultations/{t.teleconsultation_id}"
        with self._unit() as repo:
            current = repo.get(t.teleconsultation_id, lock=True)
            if current is not None and current.state is TState.REQUESTED:
                reason = domain.WITHDRAWN_UNCONFIRMED
                repo.update(t.teleconsultation_id, state=TState.CANCELLED, update_time=now, reason_closed=reason)  # fmt: skip
                self._event(repo, "teleconsult.withdraw_unconfirmed", name, t.inviting_scope, "OK", resident=t.resident_id, peer_region=t.peer_region)  # fmt: skip
        return FailedPrecondition(
            "the inviting institution's request was never completed in its cell: it is "
            "withdrawn here (a retry of the request there opens it again)",
            reason="REQUEST_NOT_COMPLETED",
        )

    def _as_held(self, t: Teleconsultation, target: TState, held: dict[str, object]) -> dict[str, object]:  # fmt: skip
        """Across cells, what this move takes from the other cell's answer (cross_cell.py)."""
        return {}

    def accept(self, name: str, physician: str, request_id: str, title: str = "", since: str = "") -> Teleconsultation:  # fmt: skip
        """The accepting physician is the consulting one. The staffing rule (docs/domain §5.2)
        is checked against the physician's practice registration in identity (an
        administrator's record, SetPractitionerRegistration); a declaration in the request must
        then agree with it. Without a registration on file the physician's own declaration is
        checked instead, and the teleconsultation says which it was (``source``)."""
        subject = current_principal().subject
        checks = Violations()
        if physician and f"user:{physician.removeprefix('users/')}" != subject:
            checks.add(
                "consulting_physician", "must be the accepting physician", "PHYSICIAN_NOT_CALLER"
            )
        checks.raise_if_any()  # before asking identity about the caller
        title, since = title.strip(), since.strip()
        registered = self.peers.own_practice()
        source = "declared"
        if registered is not None:
            source = "registered"
            for field, declared, on_file in (
                ("professional_title", title, registered[0]),
                ("independent_practice_since", since, registered[1]),
            ):
                if declared and declared != on_file:
                    checks.add(field, "differs from the practice registration on file", "DECLARATION_MISMATCH")  # fmt: skip
            title, since = registered
        practice_since = check_credentials(title, since, clinical_day(self.clock()), checks)

        def staffed(t: Teleconsultation, now: datetime) -> dict[str, object]:
            assert practice_since is not None
            domain.check_staffing(
                title, practice_since, t.form.get("title_wanted", ""), clinical_day(now),
                self.practice_years,
            )  # fmt: skip
            consultant = {
                "title": title, "practice_since": practice_since.isoformat(), "source": source,
            }  # fmt: skip
            return {
                "physician": subject, "form": {**t.form, "consultant": consultant},
                AUDIT: {"consultant": consultant},
            }  # fmt: skip

        return self._move(name, request_id, "AcceptTeleconsultation", "accept", checks, staffed)

    def decline(self, name: str, reason: str, request_id: str) -> Teleconsultation:
        checks = Violations()
        reason = checks.check(validate_reason, reason) or ""
        return self._move(name, request_id, "DeclineTeleconsultation", "decline", checks, lambda t, now: {"reason_closed": reason})  # fmt: skip

    def cancel(self, name: str, reason: str, request_id: str) -> Teleconsultation:
        checks = Violations()
        reason = checks.check(validate_reason, reason) or ""
        return self._move(name, request_id, "CancelTeleconsultation", "cancel", checks, lambda t, now: {"reason_closed": reason})  # fmt: skip

    def schedule(self, name: str, when: datetime | None, request_id: str) -> Teleconsultation:
        checks = Violations()
        if when is None:
            checks.add("scheduled_time", "must be set", "TIME_REQUIRED")
        return self._move(name, request_id, "ScheduleTeleconsultation", "schedule", checks, lambda t, now: {"scheduled_time": when})  # fmt: skip

    def start(self, name: str, request_id: str) -> Teleconsultation:
        return self._move(name, request_id, "StartTeleconsultation", "start")

    def end(self, name: str, recording: str, request_id: str) -> Teleconsultation:
        checks = Violations()
        recording = recording.strip()
        if len(recording) > 300:
            checks.add("recording", "must be at most 300 characters", "FIELD_TOO_LONG")
        else:
            checks.check(check_no_controls, recording, "recording")
        return self._move(name, request_id, "EndTeleconsultation", "end", checks, lambda t, now: {"recording": recording, "session_end": now})  # fmt: skip

    def report(self, name: str, text: str, inpatient: bool, request_id: str) -> Teleconsultation:
        subject = current_principal().subject
        checks = Violations()
        text = domain.check_texts({"text": text}, {"text": 8000}, "report", checks)["text"]

        def sign(t: Teleconsultation, now: datetime) -> dict[str, object]:
            if subject != t.physician:
                raise PermissionDenied(
                    "only the consulting physician signs the report", reason="REPORT_SIGNER"
                )
            digest = domain.report_digest(t, text, subject, now, inpatient)
            report = {
                "text": text, "physician": subject, "digest": digest, "inpatient": inpatient,
                "signature": self.signer.sign(digest), "key_id": self.signer.key_id,
                "sign_time": now.isoformat(),
            }  # fmt: skip
            return {"report": report}

        return self._move(name, request_id, "SubmitOpinionReport", "report", checks, sign)

    def decide(self, name: str, decision: str, request_id: str) -> Teleconsultation:
        checks = Violations()
        decision = domain.check_texts({"decision": decision}, {"decision": 4000}, "", checks)["decision"]  # fmt: skip
        return self._move(name, request_id, "DecideTeleconsultation", "decide", checks, lambda t, now: {"decision": decision})  # fmt: skip
