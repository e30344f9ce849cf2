"""Pregnancy use cases: registration (a verified, living, female resident; one open
pregnancy per woman in the cell), reading and listing (filtered in SQL by the caller's
scopes, with the overdue and high-risk filters), antenatal visits and termination. Each
validates every field first, checks the caller on the episode's own scope, writes in one
transaction and appends an audit event (ids and codes only)."""

from __future__ import annotations

from datetime import date

from rhip.kit.authn import current_principal
from rhip.kit.errors import AlreadyExists, FailedPrecondition, Violations, invalid
from rhip.kit.idempotency import check_reuse, claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.pagination import Page
from rhip.kit.requests import check_no_controls, parse_resource_name
from rhip.kit.timestamps import clinical_day, parse_iso_date
from rhip.mch.access import MchBase
from rhip.mch.indicators.counts import counting
from rhip.mch.pregnancies import domain, schedule
from rhip.mch.pregnancies.domain import (
    AntenatalVisit,
    Pregnancy,
    PregnancyState,
    TerminationReason,
)
from rhip.mch.pregnancies.labs import check_labs
from rhip.mch.pregnancies.schedule import PregnancyView
from rhip.mch.pregnancies.store import PregnancyStore, PregnancyTaken
from rhip.mch.pregnancy_transfers.store import PregnancyTransferStore
from rhip.mch.team_filter import parse_team
from sqlalchemy import Connection


def parse_day(text: str, field: str, today: date, *, default_today: bool = False) -> date | None:
    """A date not in the future; today when empty and ``default_today``."""
    if not text:
        if default_today:
            return today
        raise invalid(field, "must be set", "DATE_REQUIRED")
    value = parse_iso_date(text, field)
    if value > today:
        raise invalid(field, "must not be in the future", "DATE_IN_FUTURE")
    return value


class PregnancyUseCases(MchBase):
    def _pregnancy_exists(self, existing: Pregnancy) -> AlreadyExists:
        return AlreadyExists(
            "the woman already has an open pregnancy managed by an institution",
            reason="PREGNANCY_EXISTS",
            metadata={"managing_tenant": f"tenants/{existing.tenant_id}"},
        )

    def _view(self, tx: Connection, p: Pregnancy) -> PregnancyView:
        return schedule.view(
            p,
            PregnancyStore(tx).visits(p.pregnancy_id),
            clinical_day(self.clock()),
            self.options.check_42d_grace_days,
            PregnancyTransferStore(tx).open_of(p.pregnancy_id),
        )

    # -- registration ------------------------------------------------------------------------
    def register(
        self, resident_name: str, handbook: str, registration: str, lmp: str,
        ga: tuple[int, int] | None, request_id: str, labs: dict[str, object] | None = None,
    ) -> PregnancyView:  # fmt: skip
        principal = current_principal()
        today = clinical_day(self.clock())
        checks = Violations()
        first_labs = check_labs(labs or {}, "first_check_labs", checks)
        checks.check(parse_resource_name, resident_name, "residents", "resident")
        handbook = checks.check(domain.validate_handbook, handbook) or ""
        day = checks.check(parse_day, registration, "registration_date", today, default_today=True)
        lmp_day = checks.check(parse_day, lmp, "lmp_date", today) if lmp else None
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        assert day is not None
        weeks, days = ga if ga is not None else (None, None)
        lmp_day = domain.dating(day, lmp_day, weeks, days, checks)
        checks.raise_if_any()
        assert lmp_day is not None
        tenant, scope = self._own_tenant(principal, "RegisterPregnancy")
        institution = self._institution(tenant.tenant_id, tenant)
        if key:
            with self.db.read() as tx:
                check_reuse(tx, key)
                earlier = PregnancyStore(tx).by_request(key)
                if earlier is not None:
                    self._require(principal, earlier.scope_path, "GetPregnancy")
                    return self._view(tx, earlier)
        woman = self._woman(resident_name, "resident")
        if woman.state != "VERIFIED":
            raise FailedPrecondition(
                "pregnancies are registered for residents with a verified identity",
                reason="RESIDENT_NOT_VERIFIED",
                metadata={"state": woman.state},
            )
        now = self.clock()
        with self._unit() as tx:
            claim(tx, key)
            store = PregnancyStore(tx)
            existing = store.open_of(woman.resident_id)
            if existing is not None:
                raise self._pregnancy_exists(existing)
            p = domain.new_pregnancy(
                new_id(), woman.resident_id, tenant.tenant_id, scope, handbook, day, lmp_day,
                self.options.local_registration_weeks, now,
            )  # fmt: skip
            with counting(tx, pregnancies=[p.pregnancy_id]):
                try:
                    store.add(p, key)
                except PregnancyTaken as taken:
                    raced = store.open_of(woman.resident_id)
                    if taken.field == "resident" and raced is not None:
                        raise self._pregnancy_exists(raced) from None
                    raise AlreadyExists(
                        "the handbook number is already in use", reason="HANDBOOK_NUMBER_TAKEN"
                    ) from None
                ga_days = p.registration_ga
                # The registration check is the first antenatal check (DOMAIN §3.1); a late one is
                # tagged with the slot it missed.
                store.add_visit(
                    AntenatalVisit(
                        new_id(), p.pregnancy_id, tenant.tenant_id, day, ga_days,
                        domain.slot_of(ga_days), {}, "", now,
                        missed_slot=domain.missed_slot(ga_days, set()), labs=first_labs,
                    ),
                    "",
                )  # fmt: skip
            if feed := self._feed(tx):
                feed.registered(p, institution)
            self._audit(
                tx, "pregnancy.register", f"pregnancies/{p.pregnancy_id}", scope,
                resident=woman.resident_id, early=p.early,
            )  # fmt: skip
            return self._view(tx, p)

    # -- reads ---------------------------------------------------------------------------------
    def get(self, name: str) -> PregnancyView:
        with self._unit(durable=False) as tx:
            p = self._load_pregnancy(tx, name, "GetPregnancy")
            view = self._view(tx, p)
            self._audit_read(
                tx, "pregnancy.read", f"pregnancies/{p.pregnancy_id}", p.scope_path,
                resident=p.resident_id,
            )  # fmt: skip
            return view

    def list_pregnancies(
        self, parent: str, state: PregnancyState | None, overdue_only: bool, min_risk: int,
        purple_only: bool, page: Page, team: str = "",
    ) -> tuple[list[PregnancyView], str]:  # fmt: skip
        """``team``: only the women contracted to that family-doctor team today."""
        principal = current_principal()
        checks = Violations()
        tenant_id = checks.check(parse_resource_name, parent, "tenants", "parent") or ""
        if team:
            checks.check(parse_team, team)
        checks.raise_if_any()
        self._tenant_parent(principal, tenant_id, "ListPregnancies")
        scopes = self._scopes(principal, "ListPregnancies")
        residents = self._team_residents(principal, tenant_id, team, "ListPregnancies")
        today = clinical_day(self.clock())
        with self._unit(durable=False) as tx:
            rows = PregnancyStore(tx).find(
                tenant_id, scopes, state, today if overdue_only else None, today, min_risk,
                purple_only, page.after, page.size + 1, residents,
            )  # fmt: skip
            # The page's visits come with it, and her latest screening with her row
            # (PregnancyStore.save_screening): one read for the page; its open transfers in
            # one more, not one per woman.
            chunk = [p for p, _ in rows[: page.size]]
            grace = self.options.check_42d_grace_days
            pending = PregnancyTransferStore(tx).open_of_pregnancies(
                [p.pregnancy_id for p in chunk]
            )
            views = [
                schedule.view(p, visits, today, grace, pending.get(p.pregnancy_id))
                for p, visits in rows[: page.size]
            ]
            self._audit_read(
                tx, "pregnancy.list", f"tenants/{tenant_id}", scopes[0], count=len(chunk),
                team=team,
            )  # fmt: skip
        token = page.next_token(chunk[-1].pregnancy_id if chunk else None, len(rows) > page.size)
        return views, token

    # -- termination ------------------------------------------------------------------------
    def terminate(
        self, name: str, reason: TerminationReason | None, day_text: str, note: str
    ) -> PregnancyView:
        today = clinical_day(self.clock())
        checks = Violations()
        checks.check(parse_resource_name, name, "pregnancies")
        if reason is None:
            checks.add("reason", "must say why the pregnancy ended", "TERMINATION_REASON_REQUIRED")
        if not day_text:
            checks.add("termination_date", "must be set", "TERMINATION_DATE_REQUIRED")
            day = None
        else:
            day = checks.check(parse_day, day_text, "termination_date", today)
        note = note.strip()
        if len(note) > 500:
            checks.add("note", "at most 500 characters", "TEXT_TOO_LONG")
        elif note:
            checks.check(check_no_controls, note, "note", multiline=True)
        if reason is TerminationReason.OTHER and not note:
            checks.add("note", "say what happened", "NOTE_REQUIRED")
        checks.raise_if_any()
        assert reason is not None and day is not None
        acting = current_principal().tenant_id
        institution = self._institution(acting)
        with self._unit() as tx:
            p = self._load_pregnancy(tx, name, "TerminatePregnancy", lock=True)
            ended = p.terminated(reason, day, note, self.clock())
            with counting(tx, pregnancies=[p.pregnancy_id]):
                PregnancyStore(tx).save(ended)
            if feed := self._feed(tx):
                feed.terminated(p, day, acting or p.tenant_id, institution if acting else "")
            self._audit(
                tx, "pregnancy.terminate", f"pregnancies/{p.pregnancy_id}", p.scope_path,
                resident=p.resident_id, reason=reason.value,
            )  # fmt: skip
            return self._view(tx, ended)
