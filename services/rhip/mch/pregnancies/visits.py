"""Visit use cases: the antenatal checks of an open pregnancy and the postpartum home visit
and 42-day check of a delivered one, by the managing institution (antenatal checks also by the
secondary-or-higher midwifery institution her delivery plan names, where she is sent). A visit inside a window
fulfils its slot; one outside is saved and tagged with the slot it missed; the next expected
slot (the overdue list's key) moves on by the rules of the schedule (DOMAIN §3.1, §9). An
abnormal antenatal finding opens a referral item due in 2 weeks, closed by a later visit's
follow-up; a woman graded yellow or above is seen below secondary level only with an
emergency reason, and a grassroots institution without midwifery does no mid- or
late-pregnancy check (DOMAIN §3.1, §3.2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from rhip.kit.authn import current_principal
from rhip.kit.errors import FailedPrecondition, NotFound, PermissionDenied, Violations, invalid
from rhip.kit.idempotency import claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page
from rhip.kit.requests import check_no_controls, parse_resource_name
from rhip.kit.tenancy import tenant_scope
from rhip.kit.timestamps import clinical_day
from rhip.mch.clients import TenantFacts
from rhip.mch.indicators.counts import counting
from rhip.mch.pregnancies import domain
from rhip.mch.pregnancies.domain import AntenatalVisit, Pregnancy, VisitKind
from rhip.mch.pregnancies.labs import already_recorded, check_labs
from rhip.mch.pregnancies.measures import check_measures
from rhip.mch.pregnancies.newborn_visits import with_newborn_visits
from rhip.mch.pregnancies.store import PregnancyStore
from rhip.mch.pregnancies.usecases import PregnancyUseCases, parse_day
from rhip.mch.risk.domain import SECONDARY_LEVEL, grade_of, require_secondary_level
from rhip.mch.roles import MCH
from sqlalchemy import Connection

MAX_GUIDANCE = 1000
MAX_TEXT = 500
# The mid- and late-pregnancy checks (2nd–5th) begin after the early window (13w0d): a
# grassroots institution without midwifery sends her to a qualified one for them (§3.1).
MID_PREGNANCY_DAYS = domain.SLOTS[0].end_days + 1
_RECORD = "RecordAntenatalVisit"
CHILD_READ = "GetChildRecord"


def check_text(text: str, field: str, checks: Violations) -> str:
    text = text.strip()
    if len(text) > MAX_TEXT:
        checks.add(field, f"at most {MAX_TEXT} characters", "TEXT_TOO_LONG")
    elif text:
        checks.check(check_no_controls, text, field)
    return text


class VisitUseCases(PregnancyUseCases):
    def _visit_input(
        self, parent: str, visit_date: str, measures: dict[str, float], guidance: str,
        request_id: str, checks: Violations, name: str = "",
    ) -> tuple[date, dict[str, float], str, str]:  # fmt: skip
        """``name``: the visit's own name, set by the server; a request may leave it empty, or
        echo one of the parent's, but one of another pregnancy is a mistake to refuse, not a
        field to ignore."""
        today = clinical_day(self.clock())
        pregnancy_id = checks.check(parse_resource_name, parent, "pregnancies", "parent")
        if name and pregnancy_id and not name.startswith(f"{parent}/antenatalVisits/"):
            checks.add("visit.name", "names a visit of another pregnancy", "PREGNANCY_MISMATCH")
        day = checks.check(parse_day, visit_date, "visit.visit_date", today)
        kept = check_measures(measures, checks)
        if len(guidance) > MAX_GUIDANCE:
            checks.add("visit.guidance", f"at most {MAX_GUIDANCE} characters", "TEXT_TOO_LONG")
        else:
            checks.check(check_no_controls, guidance, "visit.guidance", multiline=True)
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        assert day is not None
        return day, kept, guidance.strip(), key

    def record_visit(
        self, parent: str, visit_date: str, measures: dict[str, float], guidance: str,
        request_id: str, name: str = "", abnormal: str = "", followed_up: bool = False,
        emergency: str = "", labs: dict[str, object] | None = None,
    ) -> AntenatalVisit:  # fmt: skip
        principal = current_principal()
        checks = Violations()
        kept_labs = check_labs(labs or {}, "visit.labs", checks)
        abnormal = check_text(abnormal, "visit.abnormal_finding", checks)
        emergency = check_text(emergency, "visit.emergency_reason", checks)
        day, kept, guidance, key = self._visit_input(
            parent, visit_date, measures, guidance, request_id, checks, name
        )
        # Who sees her (level, type, midwifery), asked before the transaction: identity is
        # another service and the pregnancy's row lock should not wait on it. A secondary or
        # higher institution may see her on another's behalf (her delivery plan names it):
        # its midwifery is asked for too.
        seeing = self.identity.tenant(principal.tenant_id) if principal.tenant_id else None
        asks = seeing is not None and (seeing.grassroots or seeing.level >= SECONDARY_LEVEL)
        held = self.identity.qualifications(seeing.tenant_id) if asks and seeing else set()
        midwifery = seeing is None or not seeing.grassroots or "MIDWIFERY" in held
        institution = self._institution(principal.tenant_id, seeing)
        now = self.clock()
        with self._unit() as tx:
            p = self._antenatal_episode(tx, parent, seeing, held)
            store = PregnancyStore(tx)
            if claim(tx, key) and (earlier := store.visit_by_request(key)) is not None:
                return earlier
            p.require_open()
            if day < p.registration_date:
                raise invalid(
                    "visit.visit_date", "is before the registration", "VISIT_BEFORE_REGISTRATION"
                )
            ga_days = p.ga_on(day)
            if not midwifery and ga_days >= MID_PREGNANCY_DAYS:
                raise PermissionDenied(
                    "a grassroots institution without the midwifery qualification sends her to "
                    "a qualified one for the mid- and late-pregnancy checks",
                    reason="QUALIFICATION_REQUIRED",
                    metadata={"qualification": "MIDWIFERY", "for": "MID_LATE_PREGNANCY_CHECK"},
                )
            if seeing is not None:
                require_secondary_level(
                    grade_of(p.risk_rank, p.purple), seeing.level, emergency,
                    "ANTENATAL_LEVEL_REQUIRED", "antenatal care",
                )  # fmt: skip
            if followed_up and not p.open_referral:
                raise FailedPrecondition(
                    "no referral of an abnormal finding is open", reason="NO_OPEN_REFERRAL"
                )
            earlier_visits = [
                v for v in store.visits(p.pregnancy_id) if v.kind is VisitKind.ANTENATAL
            ]
            done = {v.slot for v in earlier_visits if v.slot}
            visit = AntenatalVisit(
                new_id(), p.pregnancy_id, principal.tenant_id or p.tenant_id, day, ga_days,
                domain.slot_of(ga_days), kept, guidance, now,
                missed_slot=domain.missed_slot(ga_days, done), abnormal_finding=abnormal,
                referral_followed_up=followed_up, emergency_reason=emergency, labs=kept_labs,
            )  # fmt: skip
            with counting(tx, pregnancies=[p.pregnancy_id]):
                store.add_visit(visit, key)
                latest = max([ga_days, *(v.ga_days for v in earlier_visits)])
                after = p.after_visit(latest, now)
                store.save(after.after_referral(visit.visit_id, day, bool(abnormal), followed_up))
            if feed := self._feed(tx):
                feed.visit(p, visit, institution if principal.tenant_id else "")
            self._audit(
                tx, "pregnancy.visit", f"pregnancies/{p.pregnancy_id}/antenatalVisits/"
                f"{visit.visit_id}", p.scope_path, resident=p.resident_id, slot=visit.slot,
                referral=bool(abnormal), emergency=bool(emergency),
            )  # fmt: skip
            return visit

    def record_lab_results(
        self, name: str, labs: dict[str, object], request_id: str
    ) -> AntenatalVisit:
        """Results that came back after an antenatal check, added to that check: by whoever
        may record her antenatal checks, while the pregnancy is open; a result the check has
        already is never overwritten (FAILED_PRECONDITION ``LAB_RESULT_RECORDED``)."""
        principal = current_principal()
        checks = Violations()
        parts = name.split("/")
        if len(parts) != 4 or parts[2] != "antenatalVisits":
            checks.add(
                "name", "must look like pregnancies/{id}/antenatalVisits/{id}", "RESOURCE_NAME"
            )
        else:
            checks.check(parse_resource_name, "/".join(parts[:2]), "pregnancies", "name")
            checks.check(parse_resource_name, "/".join(parts[2:]), "antenatalVisits", "name")
        kept = check_labs(labs, "labs", checks)
        if not any(labs.values()):  # every item 0 or unset
            checks.add("labs", "give at least one result", "LAB_RESULTS_REQUIRED")
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        parent, visit_id = "/".join(parts[:2]), parts[3]
        seeing = self.identity.tenant(principal.tenant_id) if principal.tenant_id else None
        asks = seeing is not None and seeing.level >= SECONDARY_LEVEL
        held = self.identity.qualifications(seeing.tenant_id) if asks and seeing else set()
        with self._unit() as tx:
            p = self._antenatal_episode(tx, parent, seeing, held)
            store = PregnancyStore(tx)
            visit = store.visit(visit_id)
            if visit is None or visit.pregnancy_id != p.pregnancy_id:
                raise NotFound("no such antenatal check", reason="NOT_FOUND")
            if claim(tx, key):
                return visit  # a retry: the results are there
            p.require_open()
            if visit.kind is not VisitKind.ANTENATAL:
                raise FailedPrecondition(
                    "laboratory results belong to antenatal checks", reason="NOT_ANTENATAL_CHECK"
                )
            if taken := already_recorded(visit.labs, kept):
                raise FailedPrecondition(
                    "the check has these results already", reason="LAB_RESULT_RECORDED",
                    metadata={"items": ",".join(taken)},
                )  # fmt: skip
            store.add_labs(visit.visit_id, {**visit.labs, **kept})
            self._audit(
                tx, "pregnancy.labs", name, p.scope_path, resident=p.resident_id,
                items=sorted(kept),
            )  # fmt: skip
            return replace(visit, labs={**visit.labs, **kept})

    def _antenatal_episode(
        self, tx: Connection, parent: str, seeing: TenantFacts | None, held: set[str]
    ) -> Pregnancy:
        """The open episode, locked: as the managing institution's side (its scope), or as the
        institution her delivery plan names when that is a secondary-or-higher one with
        midwifery (DOMAIN §3.1–§3.2: sent there for her mid- and late-pregnancy checks, or
        because she is graded yellow or above; it records them on the episode it does not
        manage). A plan naming an unqualified one: PERMISSION_DENIED naming what it lacks.
        Any other practitioner: PERMISSION_DENIED ``NOT_CARING_INSTITUTION``, alike for an
        episode out of reach and a missing one."""
        principal = current_principal()
        pregnancy_id = parse_resource_name(parent, "pregnancies", "parent")
        found = PregnancyStore(tx).get(pregnancy_id, lock=True)
        planned = (
            found is not None
            and seeing is not None
            and found.plan is not None
            and found.plan.tenant_id == seeing.tenant_id
            and not self.authz.enforce(principal.subject, found.scope_path, MCH + _RECORD)
        )
        if not planned:
            try:
                return self._load_pregnancy(tx, parent, _RECORD, field="parent", lock=True)
            except PermissionDenied as refused:
                if seeing is None or refused.reason != "PERMISSION_DENIED":
                    raise
                own = tenant_scope(seeing.region_code, seeing.tenant_id)
                if not self.authz.enforce(principal.subject, own, MCH + _RECORD):
                    raise
                raise PermissionDenied(
                    "only the managing institution, or the secondary-or-higher institution "
                    "with midwifery that her delivery plan names, records her antenatal checks",
                    reason="NOT_CARING_INSTITUTION",
                ) from None
        assert found is not None and seeing is not None
        self._require(principal, tenant_scope(seeing.region_code, seeing.tenant_id), _RECORD)
        if not seeing.active:
            raise PermissionDenied("the institution is suspended", reason="SUBJECT_BLOCKED")
        if seeing.level < SECONDARY_LEVEL:
            raise PermissionDenied(
                "only a secondary-or-higher institution records the checks of a woman another "
                "institution manages", reason="INSTITUTION_LEVEL_REQUIRED",
                metadata={"level": "TENANT_LEVEL_SECONDARY"},
            )  # fmt: skip
        if "MIDWIFERY" not in held:
            raise PermissionDenied(
                "recording the checks of a woman another institution manages needs the "
                "midwifery qualification", reason="QUALIFICATION_REQUIRED",
                metadata={"qualification": "MIDWIFERY", "for": "PLANNED_DELIVERY_INSTITUTION"},
            )  # fmt: skip
        return found.as_of(clinical_day(self.clock()))

    def list_visits(self, parent: str, page: Page) -> tuple[list[AntenatalVisit], str]:
        with self._unit(durable=False) as tx:
            p = self._load_pregnancy(tx, parent, "ListAntenatalVisits", field="parent")
            rows = PregnancyStore(tx).visits(p.pregnancy_id, page.after, page.size + 1)
            chunk = self._with_newborn_visits(tx, p, rows[: page.size])
            self._audit_read(
                tx, "pregnancy.visits.read", f"pregnancies/{p.pregnancy_id}", p.scope_path,
                resident=p.resident_id,
            )  # fmt: skip
        return chunk, page.next_token(chunk[-1].visit_id if chunk else None, len(rows) > page.size)

    def _with_newborn_visits(
        self, tx: Connection, p: Pregnancy, visits: list[AntenatalVisit]
    ) -> list[AntenatalVisit]:
        """Each postpartum home visit with the newborn home visits of its day that the caller
        may read (newborn_visits.py)."""
        subject = current_principal().subject
        return with_newborn_visits(
            tx, p, visits, lambda scope: self.authz.enforce(subject, scope, MCH + CHILD_READ)
        )
