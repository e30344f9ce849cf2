"""The delivery plan (DOMAIN §3.2): the managing institution records where the woman of an open
pregnancy plans to deliver — a health institution of the cell with the midwifery
qualification; graded yellow or above (or purple), a secondary-or-higher one unless an
emergency reason is stated (the rule the delivery itself follows: risk/domain.py
require_secondary_level). A later grade that the plan no longer meets shows on the plan
(``meets_grade``) rather than silently changing it."""

from __future__ import annotations

from dataclasses import replace

from rhip.kit.authn import current_principal
from rhip.kit.errors import FailedPrecondition, NotFound, PermissionDenied, Violations, invalid
from rhip.kit.requests import parse_resource_name
from rhip.mch.clients import TenantFacts
from rhip.mch.pregnancies.domain import DeliveryPlan
from rhip.mch.pregnancies.schedule import PregnancyView
from rhip.mch.pregnancies.store import PregnancyStore
from rhip.mch.pregnancies.usecases import PregnancyUseCases
from rhip.mch.pregnancies.visits import check_text
from rhip.mch.risk.domain import grade_of, require_secondary_level


class DeliveryPlanUseCases(PregnancyUseCases):
    def plan_delivery(self, name: str, delivery_tenant: str, emergency: str) -> PregnancyView:
        principal = current_principal()
        checks = Violations()
        checks.check(parse_resource_name, name, "pregnancies")
        tenant_id = checks.check(parse_resource_name, delivery_tenant, "tenants", "delivery_tenant")
        emergency = check_text(emergency, "emergency_reason", checks)
        checks.raise_if_any()
        assert tenant_id is not None
        with self.db.read() as tx:  # permission before anything about the institution
            self._load_pregnancy(tx, name, "PlanDelivery")
        target = self._delivering(tenant_id)
        now = self.clock()
        with self._unit() as tx:
            p = self._load_pregnancy(tx, name, "PlanDelivery", lock=True)
            p.require_open()
            require_secondary_level(
                grade_of(p.risk_rank, p.purple), target.level, emergency,
                "DELIVERY_LEVEL_REQUIRED", "her delivery",
            )  # fmt: skip
            plan = DeliveryPlan(target.tenant_id, target.level, emergency, principal.subject, now)
            planned = replace(p, plan=plan, update_time=now)
            PregnancyStore(tx).save(planned)
            self._audit(
                tx, "pregnancy.plan_delivery", f"pregnancies/{p.pregnancy_id}", p.scope_path,
                resident=p.resident_id, tenant=target.tenant_id, emergency=bool(emergency),
            )  # fmt: skip
            return self._view(tx, planned)

    def _delivering(self, tenant_id: str) -> TenantFacts:
        """The planned institution: of this cell, a health institution, active, with the
        midwifery qualification (only such an institution records a delivery)."""
        try:
            found, held = self.identity.other_tenant(tenant_id)
        except (NotFound, PermissionDenied):
            raise NotFound("no such institution in this cell", reason="TARGET_NOT_FOUND") from None
        if not found.health_institution:
            raise invalid(
                "delivery_tenant", "is a public-security organ, not a health institution",
                "TENANT_NOT_HEALTH_INSTITUTION",
            )  # fmt: skip
        if not found.active:
            raise FailedPrecondition(
                "the planned institution is suspended", reason="TARGET_INACTIVE"
            )
        if "MIDWIFERY" not in held:
            raise FailedPrecondition(
                "the planned institution holds no midwifery qualification: it records no delivery",
                reason="DELIVERY_INSTITUTION_NOT_QUALIFIED",
                metadata={"qualification": "MIDWIFERY"},
            )
        return found
