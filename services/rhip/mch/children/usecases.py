"""Child health use cases (DOMAIN §3.3, §3.4): an institution enrols a child (one child health
record per child in the cell), the schedule follows from the birth date, visits fill their
slots (or are tagged with the slot they missed), county-level eye items need the child
eye-care qualification held by a county-level institution, abnormal findings (eye, development
warning signs, anaemia, a hearing referral) open a referral item and the 8-month visit asks
whether the 6-month referral happened. The birth facts that decide the newborn visits come
from the child's delivery record in this cell, else from the enrolling institution; a risk
factor found later, at a visit, adds the extra newborn visits still to come (birth.py). Lists
filter in SQL by the caller's scopes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from rhip.kit.authn import current_principal
from rhip.kit.errors import AlreadyExists, FailedPrecondition, Violations, invalid
from rhip.kit.idempotency import check_reuse, claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page
from rhip.kit.requests import parse_resource_name
from rhip.kit.timestamps import clinical_day
from rhip.mch.access import MchBase
from rhip.mch.child_transfers.domain import ChildTransfer, TransferState
from rhip.mch.child_transfers.store import ChildTransferStore
from rhip.mch.children import birth, domain
from rhip.mch.children.birth import NOTHING_STATED, StatedFacts
from rhip.mch.children.development import DevelopmentResult, check_development
from rhip.mch.children.domain import ChildRecord, ChildVisit, Finding, SlotView
from rhip.mch.children.screening import Hearing, check_screening
from rhip.mch.children.store import ChildStore, ChildTaken
from rhip.mch.indicators.counts import counting
from rhip.mch.pregnancies.usecases import parse_day
from rhip.mch.roles import MCH
from rhip.mch.team_filter import parse_team
from sqlalchemy import Connection


@dataclass(frozen=True)
class ChildView:
    record: ChildRecord
    schedule: list[SlotView]
    # The transfer of the child awaiting the target's answer, shown with the record so that
    # whoever opens it knows the child is on its way elsewhere.
    pending: ChildTransfer | None = None


@dataclass(frozen=True)
class VisitInput:
    visit_date: str
    weight_kg: float
    length_cm: float
    eye: dict[str, Finding | None]
    acuity_left: float
    acuity_right: float
    referral_followed_up: bool
    development: DevelopmentResult | None = None  # None: not assessed
    warning_signs: list[str] = field(default_factory=list)
    haemoglobin_g_l: float = 0.0  # 0: not measured
    hearing_left: Hearing | None = None  # None: not screened
    hearing_right: Hearing | None = None
    # Newborn risk factors found at this visit (birth.RISK_FACTORS; None: not a factor).
    risk_factors_found: list[str | None] = field(default_factory=list)


class ChildUseCases(MchBase):
    def _child_view(self, tx: Connection, r: ChildRecord) -> ChildView:
        visits = ChildStore(tx).visits(r.record_id)
        pending = ChildTransferStore(tx).open_of(r.record_id)
        return ChildView(r, domain.schedule(r, visits, clinical_day(self.clock())), pending)

    def _load_child(
        self, tx: Connection, name: str, method: str, *, field: str = "name", lock: bool = False
    ) -> ChildRecord:
        record_id = parse_resource_name(name, "childRecords", field)
        found = ChildStore(tx).get(record_id, lock=lock)
        self.authz.require_found(
            current_principal(), found.scope_path if found else None, MCH + method,
            self.cell_path, f"childRecords/{record_id} does not exist",
        )  # fmt: skip
        assert found is not None
        return found

    def enroll_child(
        self, child: str, request_id: str, stated: StatedFacts = NOTHING_STATED
    ) -> ChildView:
        """``stated``: the birth facts the institution states; the child's delivery record in
        this cell, if any, has the last word on the facts it holds."""
        principal = current_principal()
        today = clinical_day(self.clock())
        checks = Violations()
        checks.check(parse_resource_name, child, "residents", "child")
        key = checks.check(request_key, request_id) or ""
        discharge = (
            checks.check(parse_day, stated.discharge_date, "birth.discharge_date", today)
            if stated.discharge_date
            else None
        )
        checks.raise_if_any()
        tenant, scope = self._own_tenant(principal, "EnrollChild")
        if key:
            with self.db.read() as tx:
                check_reuse(tx, key)
                earlier = ChildStore(tx).by_request(key)
                if earlier is not None:
                    self._require(principal, earlier.scope_path, "GetChildRecord")
                    return self._child_view(tx, earlier)
        resident = self.identity.resident(child)
        if resident.state == "DECEASED":
            raise FailedPrecondition("the child is deceased", reason="RESIDENT_DECEASED")
        born = resident.birth_date
        if born is None or domain.add_months(born, domain.MAX_AGE_MONTHS) <= today:
            raise FailedPrecondition(
                "child health management covers children under 7", reason="CHILD_TOO_OLD"
            )
        birth.check_stated(stated, discharge, born, checks)
        checks.raise_if_any()
        institution = self._institution(tenant.tenant_id, tenant)
        now = self.clock()
        with self._unit() as tx:
            claim(tx, key)
            store = ChildStore(tx)
            facts = birth.merge(
                store.delivery_facts(resident.resident_id), stated, discharge, checks
            )
            checks.raise_if_any()
            record = ChildRecord(
                new_id(),
                resident.resident_id,
                tenant.tenant_id,
                scope,
                born,
                "",
                None,
                "",
                now,
                facts,
            ).next_from(today, visited=False)
            with counting(tx, children=[record.record_id]):
                try:
                    store.add(record, key)
                except ChildTaken:
                    existing = store.of_child(resident.resident_id)
                    raise AlreadyExists(
                        "the child already has a child health record",
                        reason="CHILD_RECORD_EXISTS",
                        metadata={"managing_tenant": f"tenants/{existing.tenant_id}"}
                        if existing
                        else {},
                    ) from None
            if feed := self._feed(tx):
                feed.enrolled(record, institution)
            self._audit(
                tx, "child.enroll", f"childRecords/{record.record_id}", scope,
                resident=resident.resident_id,
            )  # fmt: skip
            return self._child_view(tx, record)

    def get_child(self, name: str) -> ChildView:
        with self._unit(durable=False) as tx:
            r = self._load_child(tx, name, "GetChildRecord")
            self._audit(
                tx, "child.read", f"childRecords/{r.record_id}", r.scope_path,
                resident=r.resident_id,
            )  # fmt: skip
            return self._child_view(tx, r)

    def list_children(
        self, parent: str, overdue_only: bool, page: Page, team: str = ""
    ) -> tuple[list[ChildView], str]:
        """``team``: only the children contracted to that family-doctor team today."""
        principal = current_principal()
        checks = Violations()
        tenant_id = checks.check(parse_resource_name, parent, "tenants", "parent") or ""
        if team:
            checks.check(parse_team, team)
        checks.raise_if_any()
        self._tenant_parent(principal, tenant_id, "ListChildRecords")
        scopes = self._scopes(principal, "ListChildRecords")
        residents = self._team_residents(principal, tenant_id, team, "ListChildRecords")
        today = clinical_day(self.clock())
        with self._unit(durable=False) as tx:
            rows = ChildStore(tx).find(
                tenant_id, scopes, today if overdue_only else None, page.after, page.size + 1,
                residents,
            )  # fmt: skip
            chunk = rows[: page.size]
            # One read for the page's visits, not one per child (the overdue list's p99).
            ids = [r.record_id for r in chunk]
            visits = ChildStore(tx).visits_of(ids)
            pending = ChildTransferStore(tx).open_of_records(ids)
            views = [
                ChildView(
                    r, domain.schedule(r, visits[r.record_id], today), pending.get(r.record_id)
                )
                for r in chunk
            ]
            self._audit(
                tx, "child.list", f"tenants/{tenant_id}", scopes[0], count=len(chunk), team=team
            )
        token = page.next_token(chunk[-1].record_id if chunk else None, len(rows) > page.size)
        return views, token

    def record_child_visit(self, parent: str, given: VisitInput, request_id: str) -> ChildVisit:
        principal = current_principal()
        today = clinical_day(self.clock())
        checks = Violations()
        checks.check(parse_resource_name, parent, "childRecords", "parent")
        day = checks.check(parse_day, given.visit_date, "visit.visit_date", today)
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        assert day is not None
        institution = self._institution(principal.tenant_id)
        with self._unit() as tx:
            r = self._load_child(tx, parent, "RecordChildVisit", field="parent", lock=True)
            moving = ChildTransferStore(tx).open_of(r.record_id)
            if moving is not None and moving.state is TransferState.HANDING_OVER:
                # On its way to another cell: what is written now would stay behind.
                raise FailedPrecondition(
                    "the child's record is being handed over to another cell",
                    reason="CHILD_HANDING_OVER",
                )
            store = ChildStore(tx)
            if claim(tx, key) and (earlier := store.visit_by_request(key)) is not None:
                return earlier
            if day < r.birth_date:
                raise invalid("visit.visit_date", "is before the birth", "VISIT_BEFORE_BIRTH")
            if domain.add_months(r.birth_date, domain.MAX_AGE_MONTHS) <= day:
                raise invalid("visit.visit_date", "the child was 7 by then", "CHILD_TOO_OLD")
            visits = store.visits(r.record_id)
            done = {v.slot for v in visits if v.slot}
            windows = r.windows()
            slot = domain.slot_on(windows, day, done)
            age = (day - r.birth_date).days
            months = domain.age_months(r.birth_date, day)
            domain.check_visit(
                slot, age, given.weight_kg, given.length_cm, given.eye, given.acuity_left,
                given.acuity_right, checks,
            )  # fmt: skip
            development = check_development(given.development, given.warning_signs, months, checks)
            # Outside every window the screenings may be caught up, as the eye items may.
            anaemia = check_screening(
                slot.blood_routine if slot else True, slot.hearing if slot else True, months,
                given.haemoglobin_g_l, given.hearing_left, given.hearing_right, checks,
            )  # fmt: skip
            found = birth.check_found(given.risk_factors_found, r.facts, checks)
            checks.raise_if_any()
            if any(domain.EYE_ITEMS.get(item) for item in given.eye):
                tenant, _ = self._own_tenant(principal, "RecordChildVisit")
                self._require_qualification(tenant, "CHILD_EYE_CARE")
            eye = {k: f for k, f in given.eye.items() if f is not None}
            reasons = domain.referral_reasons(
                eye, development, anaemia, given.hearing_left, given.hearing_right
            )
            referral = bool(reasons)
            six_month = next((v for v in visits if v.visit_id == r.open_referral), None)
            pending = (
                slot is not None and slot.code == "M8" and six_month is not None
                and six_month.slot == "M6" and not given.referral_followed_up
            )  # fmt: skip
            visit = ChildVisit(
                new_id(), r.record_id, principal.tenant_id or r.tenant_id, day, age,
                slot.code if slot else "",
                "" if slot else domain.missed_slot(windows, day, done),
                given.weight_kg, given.length_cm, eye, given.acuity_left, given.acuity_right,
                referral, given.referral_followed_up, pending, self.clock(), development,
                given.haemoglobin_g_l, anaemia, given.hearing_left, given.hearing_right, reasons,
                found,
            )  # fmt: skip
            # A factor found now turns the child high-risk from this visit's day: the extra
            # newborn visits still to come join the schedule (birth.py: found_at).
            r = replace(r, facts=r.facts.found_at(found, day, r.birth_date, today))
            with counting(tx, children=[r.record_id]):
                store.add_visit(visit, key)
                open_referral = r.open_referral
                if given.referral_followed_up:
                    open_referral = ""
                if referral:
                    open_referral = visit.visit_id
                latest = max([day, *(v.visit_date for v in visits)])
                filled = frozenset(done | {visit.slot} - {""})
                store.save(
                    replace(r, open_referral=open_referral).next_from(
                        latest, visited=True, done=filled
                    )
                )
            if feed := self._feed(tx):
                feed.child_visit(r, visit, institution if principal.tenant_id else "")
            self._audit(
                tx, "child.visit", f"childRecords/{r.record_id}/visits/{visit.visit_id}",
                r.scope_path, resident=r.resident_id, slot=visit.slot, referral=referral,
                reasons=",".join(reasons),
            )  # fmt: skip
            return visit
