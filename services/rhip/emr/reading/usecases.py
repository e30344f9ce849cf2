"""Reading rules (issue 16): the basis of a read of another institution's documents, consents
(recorded at the institution they let read, revocable at once) and break-glass accesses
(time-limited, every use counted, reviewed by the county administrator)."""

from __future__ import annotations

from datetime import timedelta

from rhip.emr.access import ALL_KINDS, Basis, UseCaseBase
from rhip.emr.documents.domain import DocumentKind
from rhip.emr.reading import domain
from rhip.emr.reading.domain import BreakGlass, Consent, ReviewState
from rhip.emr.reading.guardians import ConsentGiver, GuardianRelationship, check_giver
from rhip.emr.repository import EmrRepository
from rhip.kit.authn import Principal, PrincipalKind, current_principal
from rhip.kit.errors import NotFound, PermissionDenied, Violations
from rhip.kit.idempotency import claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page
from rhip.kit.requests import parse_resource_name, validate_reason
from rhip.kit.timestamps import clinical_day, parse_iso_date

EMR_READS = ("GetDocument", "ListDocuments", "ListDocumentVersions", "ListTimeline")


class AccessUseCases(UseCaseBase):
    # -- the basis of a read --------------------------------------------------------------
    def basis_for(
        self,
        repo: EmrRepository,
        principal: Principal,
        resident_id: str,
        method: str,
        kind: DocumentKind | None = None,
        asked: dict[str, str] | None = None,
    ) -> Basis | None:
        """The caller's basis for reading ``resident_id``'s documents of other institutions,
        or None: consent first, then break-glass, then a care relationship (rhip.emr.care). Only
        for practitioners and systems of an institution allowed ``method`` at it.

        While identity's merge of the resident into a survivor stands (as the timeline follows
        it: rhip.emr.timeline.merges), the merged resident's documents are the survivor's: the
        caller's basis for the survivor counts for them too (its consents, a break-glass for
        it, a care relationship with it, such as managing the record that moved to it), beside
        the resident's own (a consent is the person's, and the resident is the same person);
        and so do the consents given under any resident merged into the survivor (or into
        the resident itself), never their break-glass or care relationships. After an undo
        only the resident's own counts again. ``kind``: only what opens that kind
        counts (a document's read names the consent that opened it). ``asked``: the care
        relationships already asked in this request, by resident (a timeline asks for the
        survivor and for each resident merged into it)."""
        if not principal.tenant_id:
            return None
        try:
            self._own_scope(principal, method)
        except PermissionDenied:
            return None
        whose = (resident_id, *repo.survivors(resident_id))
        # A consent is the person's: the consents given under any resident of the person (the
        # last survivor and every resident merged into it while the merges stand) count, so one
        # given under a merged resident opens the survivor's documents too; break-glass and
        # care relationships stay the resident's and its survivors' only.
        person = repo.shown_residents(whose[-1]).residents
        consenting = (*whose, *(r for r in person if r not in whose))
        now = self.clock()
        today = clinical_day(now)
        wanted = ALL_KINDS if kind is None else frozenset({kind})
        kinds: set[DocumentKind] = set()
        first: Consent | None = None
        consents = repo.live_consents(consenting, principal.tenant_id)
        # The resident's own first, then the nearest survivor's, then those of the residents
        # merged into the person; the oldest first within each.
        consents.sort(key=lambda c: (consenting.index(c.resident_id), c.create_time, c.consent_id))
        for c in consents:
            covered = {
                k for k in c.kinds if k in wanted and c.covers(principal.tenant_id, k, today)
            }
            if covered:
                kinds |= covered
                first = first or c
        if first is not None and kinds == wanted:
            return Basis(f"consent:{first.consent_id}", frozenset(kinds), "", first.resident_id)
        if principal.kind is PrincipalKind.PRACTITIONER:
            access = repo.active_access(whose, principal.subject, now)
            if access is not None:
                return Basis(
                    f"break_glass:{access.access_id}", ALL_KINDS, access.access_id,
                    access.resident_id,
                )  # fmt: skip
        if self.care is not None:
            asked = {} if asked is None else asked
            for rid in whose:
                if rid not in asked:
                    asked[rid] = self.care.basis(principal.tenant_id, rid)
                if asked[rid]:
                    return Basis(asked[rid], ALL_KINDS, "", rid)
        if first is not None:
            return Basis(f"consent:{first.consent_id}", frozenset(kinds), "", first.resident_id)
        return None

    # -- consents -------------------------------------------------------------------------
    def record_consent(
        self,
        parent: str,
        purpose: str,
        kinds: list[str],
        start: str,
        end: str,
        reference: str,
        request_id: str,
        giver: ConsentGiver = ConsentGiver.RESIDENT,
        relationship: GuardianRelationship | None = None,
    ) -> Consent:
        principal = current_principal()
        today = clinical_day(self.clock())
        checks = Violations()
        start_day = checks.check(parse_iso_date, start, "consent.start_date") if start else None
        end_day = checks.check(parse_iso_date, end, "consent.end_date") if end else None
        terms = domain.check_consent_terms(
            purpose, kinds, start_day, end_day, reference, today, checks
        )
        key = checks.check(request_key, request_id) or ""
        parse_resource_name(parent, "residents", "parent")
        checks.raise_if_any()
        scope = self._own_scope(principal, "RecordConsent")
        resident_id, birth = self._visible_birth_date(principal, parent, "RecordConsent")
        purpose, kind_set, start_day, end_day, reference = terms
        checks = Violations()
        check_giver(giver, relationship, birth, start_day, checks)  # PIPL art. 31
        checks.raise_if_any()
        with self._unit() as repo:
            if claim(repo.s, key) and (earlier := repo.consent_by_request(key)):
                return earlier
            consent = Consent(
                new_id(), resident_id, principal.tenant_id, scope, purpose, kind_set,
                start_day, end_day, reference, principal.subject, self.clock(),
                given_by=giver, guardian_relationship=relationship,
            )  # fmt: skip
            repo.add_consent(consent, key)
            self._audit(
                repo, "consent.record", f"consents/{consent.consent_id}", scope,
                resident=resident_id, given_by=giver.value,
            )  # fmt: skip
            return consent

    def revoke_consent(self, name: str, reason: str) -> Consent:
        principal = current_principal()
        consent_id = parse_resource_name(name, "consents")
        reason = validate_reason(reason)
        with self._unit() as repo:
            consent = repo.consent(consent_id)
            self.authz.require_found(
                principal, consent.scope_path if consent else None, "rhip.api.emr.v1.EmrService/RevokeConsent",
                self.cell_path, f"{name} does not exist",
            )  # fmt: skip
            assert consent is not None
            revoked = consent.revoked(self.clock(), reason)
            repo.save_consent(revoked)
            self._audit(
                repo, "consent.revoke", name, consent.scope_path, resident=consent.resident_id
            )
            return revoked

    # -- break-glass ----------------------------------------------------------------------
    def start_break_glass(self, parent: str, reason: str, request_id: str) -> BreakGlass:
        principal = current_principal()
        checks = Violations()
        reason = checks.check(validate_reason, reason) or ""
        key = checks.check(request_key, request_id) or ""
        checks.check(parse_resource_name, parent, "residents", "parent")
        checks.raise_if_any()
        if principal.kind is not PrincipalKind.PRACTITIONER:
            raise PermissionDenied(
                "only a practitioner breaks the glass", reason="PRACTITIONER_REQUIRED"
            )
        scope = self._own_scope(principal, "StartBreakGlass")
        resident_id = self._visible_resident(principal, parent, "StartBreakGlass")
        now = self.clock()
        with self._unit() as repo:
            if claim(repo.s, key) and (earlier := repo.access_by_request(key)):
                return earlier
            access = BreakGlass(
                new_id(), resident_id, principal.subject, principal.tenant_id, scope, reason,
                now, now + timedelta(hours=self.options.break_glass_hours),
            )  # fmt: skip
            repo.add_access(access, key)
            self._audit(
                repo, "break_glass.start", f"breakGlassAccesses/{access.access_id}", scope,
                resident=resident_id,
            )  # fmt: skip
            return access

    def break_glass_accesses(
        self, parent: str, state: ReviewState | None, page: Page
    ) -> tuple[list[BreakGlass], str]:
        principal = current_principal()
        method = "ListBreakGlassAccesses"
        if parent.startswith("regions/"):
            code = parse_resource_name(parent, "regions", "parent")
            scope = self.parents.region(
                principal, code, "rhip.api.emr.v1.EmrService/" + method
            ).path
        else:
            scope = self._own_tenant_parent(principal, parent, method)
        with self._unit(durable=False) as repo:
            found = repo.accesses([scope], state, page.after, page.size + 1)
            self._audit(repo, "break_glass.list", parent, scope, hits=min(len(found), page.size))
        chunk = found[: page.size]
        return chunk, page.next_token(
            chunk[-1].access_id if chunk else None, len(found) > page.size
        )

    def review_break_glass(self, name: str, state: ReviewState | None, note: str) -> BreakGlass:
        principal = current_principal()
        checks = Violations()
        access_id = checks.check(parse_resource_name, name, "breakGlassAccesses") or ""
        note = checks.check(validate_reason, note, "review_note") or ""
        if state is None or state is ReviewState.PENDING:
            checks.add("review_state", "must be JUSTIFIED or UNJUSTIFIED", "REVIEW_STATE")
        checks.raise_if_any()
        assert state is not None
        with self._unit() as repo:
            access = repo.access(access_id)
            self.authz.require_found(
                principal, access.scope_path if access else None,
                "rhip.api.emr.v1.EmrService/ReviewBreakGlassAccess", self.cell_path,
                f"{name} does not exist",
            )  # fmt: skip
            assert access is not None
            if access.subject == principal.subject:
                raise PermissionDenied("nobody reviews their own access", reason="SELF_REVIEW")
            reviewed = access.reviewed(state, note, principal.subject)
            repo.save_review(reviewed)
            self._audit(
                repo, "break_glass.review", name, access.scope_path,
                resident=access.resident_id, state=state.value,
            )  # fmt: skip
            return reviewed


__all__ = ["EMR_READS", "AccessUseCases", "NotFound"]
