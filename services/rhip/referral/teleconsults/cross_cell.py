"""The cross-cell side of teleconsultation (a Xuzhou clinic inviting a Zaozhuang hospital,
through the gateway; docs/architecture.md §1): the invited cell's copies of the agreement and
of the request, opened by the inviting cell, and the moves each side relays to the other
before committing its own. Only another cell's own account calls these, on behalf of one of
its users, and only for that user's side; every call is idempotent (by the id both cells
share, derived from the first caller's request key), so a retry after a lost answer leaves
one teleconsultation in one state on both sides. A relayed opinion report is stored only when
its digest is this cell's own view of the teleconsultation and its signature verifies with
the signing cell's published key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rhip.kit.authn import Principal
from rhip.kit.crosscell import require_peer_cell
from rhip.kit.errors import FailedPrecondition, NotFound, PermissionDenied, Violations, invalid
from rhip.kit.requests import parse_resource_name
from rhip.kit.tenancy import is_region_code, is_within, region_path, tenant_scope
from rhip.kit.timestamps import clinical_day
from rhip.referral.teleconsults import domain
from rhip.referral.teleconsults.domain import Agreement, Teleconsultation, TState
from rhip.referral.teleconsults.recordings import RecordingUseCases
from rhip.referral.teleconsults.signing import signature_valid
from rhip.referral.teleconsults.store import TeleconsultStore
from rhip.referral.timeline import enqueue_teleconsultation_move

_REUSED = "was already used for a different request"


def _refused(message: str) -> PermissionDenied:
    return PermissionDenied(message, reason="CROSS_CELL_CALLER")


class CrossCellTeleconsults(RecordingUseCases):
    def _any_peer(self, checks: Violations) -> None:
        """Permission before validation: another cell's account, for one of its users."""
        caller, original = require_peer_cell(self.issuer)
        if original.subject == caller.subject:
            raise _refused("only another cell, on behalf of one of its users, calls this")
        checks.raise_if_any()

    def _peer_caller(self, region: str, field: str) -> tuple[Principal, Principal]:
        """The other cell's account and its user, when ``region`` (the user's side's region)
        is that cell's and not this one's."""
        caller, original = require_peer_cell(self.issuer)
        if not is_region_code(region):
            raise invalid(field, "must be a 6-digit region code", "REGION_CODE")
        path = region_path(region)
        if not is_within(path, region_path(caller.region_code)) or is_within(path, self.cell_path):
            raise _refused("a cell speaks for its own regions' institutions only")
        return caller, original

    # -- openings ------------------------------------------------------------------------------
    def open_agreement(self, values: dict[str, str], inviting_region: str, checks: Violations) -> Agreement:  # fmt: skip
        """Invited side: the agreement the inviting institution's regional administrator
        recorded in the other cell (the administrator's region holds the inviting institution)."""
        self._any_peer(checks)
        _, original = self._peer_caller(inviting_region, "inviting_region")
        if not is_within(region_path(inviting_region), region_path(original.region_code)):
            raise _refused("the administrator's region does not hold the inviting institution")
        texts = domain.check_texts(values, domain.AGREEMENT_FIELDS, "agreement", checks)
        first, last = domain.check_period(values["start_date"], values["end_date"], checks)
        inviting_id = checks.check(
            parse_resource_name, values["inviting_tenant"], "tenants", "agreement.inviting_tenant"
        )
        invited = checks.check(
            self._tenant, values["invited_tenant"], "agreement.invited_tenant",
            values["invited_region"],
        )  # fmt: skip
        checks.raise_if_any()
        assert first and last and inviting_id and invited
        sent = Agreement(
            values["id"], inviting_id, tenant_scope(inviting_region, inviting_id),
            invited.tenant_id, tenant_scope(invited.region_code, invited.tenant_id),
            texts["scope"], first, last, texts["liability"], self.clock(), inviting_region,
        )  # fmt: skip
        with self._unit() as repo:
            earlier = repo.agreement(sent.agreement_id)
            if earlier is not None:  # a retry of the opening
                if not (earlier.peer_region == inviting_region and earlier.same_terms(sent)):
                    raise invalid("agreement.name", _REUSED, "REQUEST_ID_REUSED")
                return earlier
            repo.add_agreement(sent, "")
            self._event(
                repo, "teleconsult.agreement_open", f"cooperationAgreements/{sent.agreement_id}",
                sent.invited_scope, inviting=inviting_id, peer_region=inviting_region,
            )  # fmt: skip
        return sent

    def open_copy(self, values: dict[str, Any], inviting_region: str, checks: Violations) -> Teleconsultation:  # fmt: skip
        """Invited side: the request an institution of the other cell made, under an agreement
        this cell holds too and in force, with the written consent on file there."""
        self._any_peer(checks)
        _, original = self._peer_caller(inviting_region, "inviting_region")
        if original.tenant_id != values["inviting_tenant_id"] or original.region_code != inviting_region:  # fmt: skip
            raise _refused("a cell opens requests of its own clinicians' institutions only")
        now = self.clock()
        form = domain.check_texts(values["form"], domain.REQUEST_FIELDS, "teleconsultation", checks)  # fmt: skip
        c = values["consent"]
        consent = domain.check_consent(c["signer"], c["consent_date"], c["reference"], clinical_day(now), checks)  # fmt: skip
        invited = checks.check(self._tenant, f"tenants/{values['invited_tenant_id']}", "teleconsultation.invited_tenant")  # fmt: skip
        checks.raise_if_any()
        assert consent and invited
        proposed = values["proposed_time"]
        sent = Teleconsultation(
            values["id"], original.tenant_id, tenant_scope(inviting_region, original.tenant_id),
            invited.tenant_id, tenant_scope(invited.region_code, invited.tenant_id),
            values["agreement_id"], values["resident_id"],
            {**form, "proposed_time": proposed.isoformat() if proposed else ""}, consent,
            TState.REQUESTED, now, now, peer_region=inviting_region,
        )  # fmt: skip
        with self._unit() as repo:
            earlier = repo.get(sent.teleconsultation_id, lock=True)
            if earlier is not None:  # a retry of the opening
                if not (earlier.peer_region == inviting_region and earlier.same_request(sent)):
                    raise invalid("teleconsultation.name", _REUSED, "REQUEST_ID_REUSED")
                if earlier.reason_closed == domain.WITHDRAWN_UNCONFIRMED:  # requested after all
                    repo.update(earlier.teleconsultation_id, state=TState.REQUESTED, update_time=now, reason_closed="")  # fmt: skip
                    self._event(
                        repo, "teleconsult.reopen", f"teleconsultations/{sent.teleconsultation_id}",
                        sent.inviting_scope, resident=sent.resident_id, peer_region=inviting_region,
                    )  # fmt: skip
                    reopened = repo.get(sent.teleconsultation_id)
                    assert reopened is not None
                    return reopened
                return earlier
            agreement = repo.agreement(sent.agreement_id)
            if (
                agreement is None
                or agreement.peer_region != inviting_region
                or (agreement.inviting_tenant_id, agreement.invited_tenant_id)
                != (sent.inviting_tenant_id, sent.invited_tenant_id)
                or not agreement.in_force(clinical_day(now))
            ):
                raise FailedPrecondition(
                    "no cooperation agreement with the inviting institution is in force here",
                    reason="AGREEMENT_REQUIRED",
                )
            repo.add(sent, "")
            self._event(
                repo, "teleconsult.open", f"teleconsultations/{sent.teleconsultation_id}",
                sent.inviting_scope, resident=sent.resident_id, peer_region=inviting_region,
            )  # fmt: skip
            stored = repo.get(sent.teleconsultation_id)
        assert stored is not None
        return stored

    # -- relayed moves -------------------------------------------------------------------------
    def relay_in(self, tc_id: str, target: TState | None, moved: dict[str, Any], checks: Violations) -> Teleconsultation:  # fmt: skip
        """Either side: the move the other side's institution made, made here too."""
        self._any_peer(checks)
        name = domain.MOVE_INTO.get(target) if target is not None else None
        if name is None or target is None or target is TState.REQUESTED:
            raise invalid("state", "is not a move another cell relays", "TELECONSULTATION_STATE")
        with self._unit(durable=False) as repo:
            t = self._shared(repo, tc_id)
        _, original = self._peer_caller(t.peer_region, "teleconsultation_id")
        side = domain.MOVES[name][2]
        party = t.inviting_tenant_id if t.peer_side == "inviting" else t.invited_tenant_id
        if side not in ("either", t.peer_side) or original.tenant_id != party:
            raise _refused("only the other side's institution makes this move")
        key = ""
        if target is TState.REPORTED and (report := moved["report"]):  # asked before locking
            key = self.tele_peers.report_key(t.peer_region, report["key_id"]) or ""
        now = self.clock()
        with self._unit() as repo:
            t = self._shared(repo, tc_id, lock=True)
            if t.state is target and (
                target is not TState.SCHEDULED or t.scheduled_time == moved["scheduled_time"]
            ):  # a retry: made already
                return t
            domain.move(t.state, name)
            changes = self._taken(t, target, moved, key)
            repo.update(t.teleconsultation_id, state=target, update_time=now, **changes)
            if self.timeline and t.peer_side == "invited":  # the resident is in this cell
                enqueue_teleconsultation_move(repo.s, t, target.value, now, self.names)
            self._event(
                repo, f"teleconsult.{name}", f"teleconsultations/{tc_id}", t.inviting_scope,
                resident=t.resident_id, state=target.value, peer_region=t.peer_region,
            )  # fmt: skip
            stored = repo.get(tc_id)
        assert stored is not None
        return stored

    def relay_recording_deletion(self, tc_id: str, checks: Violations) -> Teleconsultation:
        """Either side: the other side's practitioner deletes the session recording; this
        cell's reference goes too, under this cell's retention period (refused and audited
        within it, and then the other side keeps its reference as well)."""
        self._any_peer(checks)
        with self._unit(durable=False) as repo:
            t = self._shared(repo, tc_id)
        _, original = self._peer_caller(t.peer_region, "teleconsultation_id")
        party = t.inviting_tenant_id if t.peer_side == "inviting" else t.invited_tenant_id
        if original.tenant_id != party:
            raise _refused("only the other side's institution deletes the recording from there")
        if not t.recording:  # a retry: deleted already
            return t
        name, now = f"teleconsultations/{tc_id}", self.clock()
        self._check_retention(t, name, now, peer_region=t.peer_region)
        return self._forget_recording(t, name, now, peer_region=t.peer_region)

    def _as_held(self, t: Teleconsultation, target: TState, held: dict[str, Any]) -> dict[str, object]:  # fmt: skip
        """The other cell had made this move already (its answer to an earlier attempt was
        lost, and this attempt signed or named anew): what it holds wins, so both sides keep
        one report, one physician, one decision. Checked as a relayed move is; a report is
        this cell's own, so it verifies with this cell's key of its id (current or retired)."""
        if held["state"] is not target:
            return {}
        report = held["report"] if target is TState.REPORTED else None
        key = self.signer.public_key_of(report["key_id"]) if report else ""
        taken = self._taken(t, target, held, key)
        taken.pop("session_end", None)  # the other cell's time of the relay, not of the end
        return taken

    def _shared(self, repo: TeleconsultStore, tc_id: str, *, lock: bool = False) -> Teleconsultation:  # fmt: skip
        t = repo.get(tc_id, lock=lock)
        if t is None or not t.peer_region:
            raise NotFound(
                f"teleconsultations/{tc_id} does not cross cells here", reason=domain.NOT_SHARED
            )
        return t

    def _taken(self, t: Teleconsultation, target: TState, moved: dict[str, Any], key: str) -> dict[str, object]:  # fmt: skip
        """What the relayed move sets here, checked as the move itself checks it."""
        checks = Violations()
        if target is TState.ACCEPTED:
            consultant = moved["consultant"]
            if not (moved["physician"].startswith("user:") and consultant["title"]):
                checks.add("teleconsultation.consulting_physician", "must be set", "FIELD_REQUIRED")  # fmt: skip
            checks.raise_if_any()
            return {"physician": moved["physician"], "form": {**t.form, "consultant": consultant}}
        if target in (TState.DECLINED, TState.CANCELLED):
            reason = moved["reason_closed"].strip()
            if not reason:
                checks.add("teleconsultation.reason_closed", "must be set", "REASON_REQUIRED")
            checks.raise_if_any()
            return {"reason_closed": reason}
        if target is TState.SCHEDULED:
            if moved["scheduled_time"] is None:
                checks.add("teleconsultation.scheduled_time", "must be set", "TIME_REQUIRED")
            checks.raise_if_any()
            return {"scheduled_time": moved["scheduled_time"]}
        if target is TState.AWAITING_REPORT:
            return {"recording": moved["recording"][:300], "session_end": moved["update_time"] or self.clock()}  # fmt: skip
        if target is TState.REPORTED:
            return {"report": self._verified(t, moved["report"], key)}
        if target is TState.CLOSED:
            return {"decision": moved["decision"]}
        return {}

    def _verified(self, t: Teleconsultation, report: dict[str, Any], key: str) -> dict[str, Any]:
        """The relayed report, when it is the consulting physician's report of this
        teleconsultation (its digest recomputed here) signed by the other cell's published key."""
        if not report or not report["sign_time"]:
            raise invalid("teleconsultation.report", "must be set", "FIELD_REQUIRED")
        signed = datetime.fromisoformat(report["sign_time"])
        digest = domain.report_digest(t, report["text"], t.physician, signed, report["inpatient"])
        if (
            report["physician"] != t.physician
            or report["digest"] != digest
            or not key
            or not signature_valid(key, report["signature"], digest)
        ):
            raise FailedPrecondition(
                "the opinion report's signature does not verify with the consulting cell's "
                "published key",
                reason="REPORT_SIGNATURE_INVALID",
            )
        return {**report, "sign_time": signed.isoformat()}
