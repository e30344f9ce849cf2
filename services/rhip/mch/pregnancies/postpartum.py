"""Postpartum use cases (DOMAIN §3.1, §9): the home visit within a week of discharge and the
42-day check of a delivered pregnancy. The managing institution records both; the 42-day check
of a mother graded orange or red, or with an abnormal home-visit finding, is done at the
delivery institution, which records it on the episode it may otherwise not write (a normal
mother's at the managing, grassroots, institution): elsewhere only with an emergency reason.
A visit outside its window is saved and tagged with the slot it missed."""

from __future__ import annotations

from rhip.kit.authn import Principal, current_principal
from rhip.kit.errors import FailedPrecondition, Violations
from rhip.kit.idempotency import claim
from rhip.kit.ids import new_id
from rhip.kit.requests import parse_resource_name
from rhip.kit.tenancy import tenant_scope
from rhip.kit.timestamps import clinical_day
from rhip.mch.indicators.counts import counting
from rhip.mch.pregnancies.domain import AntenatalVisit, Pregnancy, VisitKind
from rhip.mch.pregnancies.store import PregnancyStore
from rhip.mch.pregnancies.visits import VisitUseCases, check_text
from rhip.mch.roles import MCH
from sqlalchemy import Connection

_RECORD = "RecordPostpartumVisit"


class PostpartumUseCases(VisitUseCases):
    def record_postpartum(
        self, parent: str, kind: VisitKind | None, visit_date: str, measures: dict[str, float],
        guidance: str, request_id: str, name: str = "", abnormal: str = "",
        emergency: str = "",
    ) -> AntenatalVisit:  # fmt: skip
        principal = current_principal()
        checks = Violations()
        if kind not in (VisitKind.POSTPARTUM_HOME, VisitKind.CHECK_42D):
            checks.add(
                "kind", "must be the postpartum home visit or the 42-day check", "VISIT_KIND"
            )
        abnormal = check_text(abnormal, "visit.abnormal_finding", checks)
        emergency = check_text(emergency, "visit.emergency_reason", checks)
        day, kept, guidance, key = self._visit_input(
            parent, visit_date, measures, guidance, request_id, checks, name
        )
        assert kind is not None
        institution = self._institution(principal.tenant_id)
        grace = self.options.check_42d_grace_days
        now = self.clock()
        with self._unit() as tx:
            p = self._postpartum_episode(tx, principal, parent, kind)
            store = PregnancyStore(tx)
            if claim(tx, key) and (earlier := store.visit_by_request(key)) is not None:
                return self._with_newborn_visits(tx, p, [earlier])[0]
            after = p.after_postpartum(kind, day, grace, now, bool(abnormal))
            acting = principal.tenant_id or p.tenant_id
            if kind is VisitKind.CHECK_42D and acting != p.check_42d_tenant and not emergency:
                raise _elsewhere(p)
            start, end = p.postpartum_window(kind, grace)
            number = 6 if kind is VisitKind.POSTPARTUM_HOME else 7
            on_time = start <= day <= end
            visit = AntenatalVisit(
                new_id(), p.pregnancy_id, acting, day, p.ga_on(day),
                number if on_time else 0, kept, guidance, now, kind, 0 if on_time else number,
                abnormal_finding=abnormal, emergency_reason=emergency,
            )  # fmt: skip
            with counting(tx, pregnancies=[p.pregnancy_id]):
                store.add_visit(visit, key)
                store.save(after)
            if feed := self._feed(tx):
                feed.visit(p, visit, institution if principal.tenant_id else "")
            self._audit(
                tx, "pregnancy.postpartum_visit", f"pregnancies/{p.pregnancy_id}/antenatalVisits/"
                f"{visit.visit_id}", p.scope_path, resident=p.resident_id, kind=kind.value,
                on_time=on_time, tenant=acting, emergency=bool(emergency),
            )  # fmt: skip
            # Done together with the newborn home visit (§3.1): the reply names the babies'
            # visits of the same day already recorded.
            return self._with_newborn_visits(tx, p, [visit])[0]

    def _postpartum_episode(
        self, tx: Connection, principal: Principal, parent: str, kind: VisitKind
    ) -> Pregnancy:
        """The episode, locked: as the managing institution's side (its scope), or, for the
        42-day check, as its delivery institution (the caller's own institution delivered her
        and may record postpartum visits there). Anyone else: PERMISSION_DENIED alike for an
        episode out of reach and a missing one."""
        pregnancy_id = parse_resource_name(parent, "pregnancies", "parent")
        found = PregnancyStore(tx).get(pregnancy_id, lock=True)
        delivering = (
            found is not None
            and kind is VisitKind.CHECK_42D
            and bool(principal.tenant_id)
            and principal.tenant_id == found.delivery_tenant_id
            and not self.authz.enforce(principal.subject, found.scope_path, MCH + _RECORD)
        )
        if not delivering:
            return self._load_pregnancy(tx, parent, _RECORD, field="parent", lock=True)
        assert found is not None
        self._require(principal, tenant_scope(principal.region_code, principal.tenant_id), _RECORD)
        return found.as_of(clinical_day(self.clock()))


def _elsewhere(p: Pregnancy) -> FailedPrecondition:
    if p.check_42d_tenant == p.delivery_tenant_id:
        return FailedPrecondition(
            "a mother graded orange or red, or with an abnormal postpartum finding, has the "
            "42-day check at the delivery institution (elsewhere, state the emergency_reason)",
            reason="CHECK_42D_AT_DELIVERY_INSTITUTION",
            metadata={"delivery_tenant": f"tenants/{p.delivery_tenant_id}"},
        )
    return FailedPrecondition(
        "a mother without abnormal findings has the 42-day check at the managing (grassroots) "
        "institution (elsewhere, state the emergency_reason)",
        reason="CHECK_42D_AT_MANAGING_INSTITUTION",
        metadata={"managing_tenant": f"tenants/{p.tenant_id}"},
    )
