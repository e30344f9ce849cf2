"""Indicator use cases: the mch indicators of a region subtree or an institution as of a
date, and the ranking of a region's institutions by one of them. Permission first (a
regional administrator reaches exactly their subtree, a practitioner their institution),
then counts in SQL within the caller's scopes."""

from __future__ import annotations

from datetime import date

from rhip.kit.authn import current_principal
from rhip.kit.errors import Violations
from rhip.kit.requests import parse_resource_name
from rhip.kit.timestamps import clinical_day
from rhip.mch.access import MchBase
from rhip.mch.indicators import domain
from rhip.mch.indicators.store import IndicatorStore
from rhip.mch.pregnancies.usecases import parse_day
from rhip.mch.roles import MCH


def _region_of_scope(scope: str) -> str:
    """The region code of a tenant scope ``86/32/3203/320311/t-{id}``."""
    parts = scope.split("/")
    segment = parts[-2] if len(parts) >= 3 else ""
    return segment.ljust(6, "0") if segment.isdigit() else ""


class IndicatorUseCases(MchBase):
    def _indicator_scope(self, parent: str, method: str) -> tuple[str, str, str]:
        """(scope path, tenant id or '', region code) of ``regions/{code}`` or
        ``tenants/{id}``, once the caller may ``method`` there."""
        principal = current_principal()
        if parent.startswith("tenants/"):
            tenant_id = parse_resource_name(parent, "tenants", "parent")
            scope = self._tenant_parent(principal, tenant_id, method)
            return scope, tenant_id, _region_of_scope(scope)
        code = parse_resource_name(parent, "regions", "parent")
        region = self.parents.region(principal, code, MCH + method)
        return region.path, "", code

    def _as_of(self, text: str, checks: Violations) -> date | None:
        return checks.check(
            parse_day, text, "as_of", clinical_day(self.clock()), default_today=True
        )

    def indicators(
        self, parent: str, as_of_text: str
    ) -> tuple[domain.Period, list[domain.Indicator]]:
        checks = Violations()
        as_of = self._as_of(as_of_text, checks)
        checks.raise_if_any()
        assert as_of is not None
        scope, tenant_id, code = self._indicator_scope(parent, "GetMchIndicators")
        scopes = self._scopes(current_principal(), "GetMchIndicators")
        period = domain.period_of(as_of)
        with self._unit(durable=False) as tx:
            counts = IndicatorStore(tx).counts(scope, tenant_id, scopes, period)
            self._audit(tx, "mch.indicators.read", parent, scope, as_of=as_of.isoformat())
        target = self.options.eye_target(code) / 100
        return period, domain.indicators(domain.sum_counts(counts.values()), target)

    def rank(
        self, parent: str, kind: str | None, as_of_text: str
    ) -> tuple[list[tuple[str, domain.Indicator]], list[tuple[str, domain.Indicator]]]:
        checks = Violations()
        if kind not in domain.KINDS:
            checks.add("kind", "must name an indicator", "INDICATOR_KIND")
        if not parent.startswith("regions/"):
            checks.add("parent", "must look like regions/{code}", "RESOURCE_NAME")
        as_of = self._as_of(as_of_text, checks)
        checks.raise_if_any()
        assert as_of is not None and kind is not None
        scope, _, code = self._indicator_scope(parent, "RankMchInstitutions")
        scopes = self._scopes(current_principal(), "RankMchInstitutions")
        with self._unit(durable=False) as tx:
            counts = IndicatorStore(tx).counts(scope, "", scopes, domain.period_of(as_of))
            self._audit(tx, "mch.indicators.rank", parent, scope, kind=kind)
        return domain.rank(counts, kind, self.options.eye_target(code) / 100)
