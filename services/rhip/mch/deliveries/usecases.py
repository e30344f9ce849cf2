"""Delivery use cases: a midwifery-qualified institution records a delivery of a woman it may
see in the master index; her open pregnancy (if any, in this cell) becomes DELIVERED and each
live-born baby becomes a provisional resident linked to her through identity's
RegisterNewborn, exactly once per newborn however often the delivery is retried (the newborn
ids are stored first; each registration's request id derives from its newborn's id, and the
resident id is stored once identity answered). Women graded yellow or above, or purple,
deliver at secondary-or-higher institutions (DOMAIN §3.2)."""

from __future__ import annotations

from rhip.kit.authn import current_principal
from rhip.kit.errors import Violations, invalid
from rhip.kit.idempotency import check_reuse, claim, request_key
from rhip.kit.ids import new_id
from rhip.kit.requests import check_no_controls, parse_resource_name
from rhip.kit.timestamps import clinical_day
from rhip.mch.clients import NewNewborn
from rhip.mch.deliveries import domain
from rhip.mch.deliveries.domain import Delivery, DeliveryMode, Newborn
from rhip.mch.deliveries.store import DeliveryStore
from rhip.mch.indicators.counts import counting
from rhip.mch.pregnancies.store import PregnancyStore
from rhip.mch.pregnancies.usecases import parse_day
from rhip.mch.risk.domain import grade_of, require_secondary_level
from rhip.mch.risk.usecases import RiskUseCases


class DeliveryUseCases(RiskUseCases):
    def record_delivery(
        self, mother: str, day_text: str, mode: DeliveryMode | None, newborns: list[Newborn],
        request_id: str, discharge_text: str = "", emergency: str = "", pregnancy: str = "",
    ) -> Delivery:  # fmt: skip
        """``pregnancy``: optional; when the request names one, it must be the mother's open
        pregnancy (a request for one episode must not end another silently)."""
        principal = current_principal()
        now = self.clock()
        today = clinical_day(now)
        checks = Violations()
        checks.check(parse_resource_name, mother, "residents", "delivery.mother")
        named = (
            checks.check(parse_resource_name, pregnancy, "pregnancies", "delivery.pregnancy")
            if pregnancy
            else ""
        )
        day = checks.check(parse_day, day_text, "delivery.delivery_date", today)
        if mode is None:
            checks.add("delivery.mode", "must be set", "DELIVERY_MODE_REQUIRED")
        domain.check_newborns(newborns, day, now, self.options.max_newborns, checks)
        discharge = (
            checks.check(parse_day, discharge_text, "delivery.discharge_date", today)
            if discharge_text
            else day
        )
        if day is not None and discharge is not None and discharge < day:
            checks.add(
                "delivery.discharge_date", "is before the delivery", "DISCHARGE_BEFORE_DELIVERY"
            )
        emergency = emergency.strip()
        if len(emergency) > 500:
            checks.add("delivery.emergency_reason", "at most 500 characters", "TEXT_TOO_LONG")
        elif emergency:
            checks.check(check_no_controls, emergency, "delivery.emergency_reason")
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        assert day is not None and mode is not None and discharge is not None
        tenant, scope = self._own_tenant(principal, "RecordDelivery")
        self._require_qualification(tenant, "MIDWIFERY")
        if key:
            with self.db.read() as tx:
                check_reuse(tx, key)
                earlier = DeliveryStore(tx).by_request(key)
            if earlier is not None:
                return self._register_newborns(earlier)
        woman = self._woman(mother, "delivery.mother")
        institution = self._institution(tenant.tenant_id, tenant)
        with self._unit() as tx:
            claim(tx, key)
            pregnancies = PregnancyStore(tx)
            p = pregnancies.open_of(woman.resident_id, lock=True)
            if named and (p is None or p.pregnancy_id != named):
                raise invalid(
                    "delivery.pregnancy", "is not the mother's open pregnancy",
                    "PREGNANCY_MISMATCH",
                )  # fmt: skip
            if p is not None:
                if day < p.registration_date:
                    raise invalid(
                        "delivery.delivery_date", "is before the pregnancy's registration",
                        "DATE_BEFORE_REGISTRATION",
                    )  # fmt: skip
                require_secondary_level(
                    grade_of(p.risk_rank, p.purple), tenant.level, emergency,
                    "DELIVERY_LEVEL_REQUIRED", "her delivery",
                )  # fmt: skip
            delivery = Delivery(
                new_id(), p.pregnancy_id if p else "", woman.resident_id, tenant.tenant_id,
                scope, p.scope_path if p else "", day, mode, p.ga_on(day) if p else 0,
                tuple(
                    Newborn(
                        new_id(), n.birth_order, n.sex, n.birth_time, n.weight_g, n.length_cm,
                        n.apgar_1min, n.live_birth, domain.newborn_name(woman.display_name, n),
                    )
                    for n in sorted(newborns, key=lambda n: n.birth_order)
                ),
                principal.subject, now, discharge, emergency,
            )  # fmt: skip
            with counting(tx, pregnancies=[p.pregnancy_id] if p else []):
                DeliveryStore(tx).add(delivery, key)
                if p is not None:
                    pregnancies.save(
                        p.delivered(
                            delivery.delivery_id, tenant.tenant_id, day, discharge,
                            self.options.check_42d_grace_days, now,
                        )
                    )  # fmt: skip
            if feed := self._feed(tx):
                feed.delivered(delivery, institution)
            self._audit(
                tx, "delivery.record", f"deliveries/{delivery.delivery_id}", scope,
                resident=woman.resident_id, pregnancy=delivery.pregnancy_id,
                newborns=len(delivery.newborns), emergency=bool(emergency),
            )  # fmt: skip
        return self._register_newborns(delivery)

    def _register_newborns(self, delivery: Delivery) -> Delivery:
        """Registers each live-born baby not yet linked; an error leaves the rest for the
        next retry (the delivery itself is recorded)."""
        babies = []
        for n in delivery.newborns:
            if n.live_birth and not n.resident_id:
                assert n.sex is not None and n.birth_time is not None
                resident_id = self.identity.register_newborn(
                    delivery.mother_id,
                    NewNewborn(n.newborn_id, n.display_name, n.sex.value, delivery.delivery_date),
                )
                with self._unit() as tx:
                    # The baby's own child record, if enrolled already, may hold the
                    # newborn visit that now counts for the mother's pregnancy.
                    with counting(
                        tx,
                        pregnancies=[delivery.pregnancy_id] if delivery.pregnancy_id else [],
                        newborns=[resident_id],
                    ):
                        DeliveryStore(tx).link_newborn(n.newborn_id, resident_id)
                    self._audit(
                        tx, "delivery.newborn.register",
                        f"deliveries/{delivery.delivery_id}/newborns/{n.newborn_id}",
                        delivery.scope_path, resident=resident_id, mother=delivery.mother_id,
                    )  # fmt: skip
                n = n.registered(resident_id)
            babies.append(n)
        return Delivery(**{**delivery.__dict__, "newborns": tuple(babies)})

    def get_delivery(self, name: str) -> Delivery:
        principal = current_principal()
        delivery_id = parse_resource_name(name, "deliveries")
        with self._unit(durable=False) as tx:
            found = DeliveryStore(tx).get(delivery_id)
            if found is None:
                self.authz.require_found(
                    principal,
                    None,
                    _GET,
                    self.cell_path,
                    f"deliveries/{delivery_id} does not exist",
                )
            assert found is not None
            # The delivering institution and the pregnancy's managing one both see it.
            allowed = [s for s in found.scopes if self.authz.enforce(principal.subject, s, _GET)]
            if not allowed:
                raise self.authz.denial(principal, _GET)
            self._audit(
                tx, "delivery.read", f"deliveries/{delivery_id}", allowed[0],
                resident=found.mother_id,
            )  # fmt: skip
            return found


_GET = "rhip.api.mch.v1.MchService/GetDelivery"
