"""The indicator counts, per managing institution, of a region subtree or one institution,
always also within the caller's scopes (a regional administrator's figures never count another
region): ``counts`` sums the counts maintained on write (counts.py, a few rows per
institution); ``exact_counts`` recomputes them in SQL from every row, the definition that the
maintained counts must always equal (tests/mch/test_indicator_counts.py), too slow to serve."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from rhip.kit.day_counts import as_of_rows
from rhip.kit.scopes import like_prefix, within_scopes
from rhip.kit.timestamps import CHINA_STANDARD_TIME
from rhip.mch.children.store import CHILD, CHILD_VISIT
from rhip.mch.deliveries.store import DELIVERY, NEWBORN
from rhip.mch.indicators.counts import COUNT, METRICS
from rhip.mch.indicators.domain import (
    NEWBORN_VISIT_SLOTS,
    POOR_VISION_6Y,
    POSTPARTUM_VISIT_DAYS,
    Period,
)
from rhip.mch.pregnancies.store import PREGNANCY, VISIT
from rhip.mch.risk.reports import REPORT
from rhip.mch.store import StoreBase
from sqlalchemy import String, and_, bindparam, case, exists, func, or_, select

_P, _V, _D, _N, _C, _CV, _R = PREGNANCY, VISIT, DELIVERY, NEWBORN, CHILD, CHILD_VISIT, REPORT


def _yes(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _literal(name: str, value: str) -> Any:
    # Rendered into the statement: a prepared generic plan cannot turn a bound LIKE prefix
    # into an index range.
    return bindparam(name, value, String, literal_execute=True)


class IndicatorStore(StoreBase):
    def counts(
        self, root: str, tenant_id: str, scopes: Sequence[str], period: Period
    ) -> dict[str, dict[str, int]]:
        """tenant id → counts (domain.COUNT_KEYS) of the subtree ``root`` or, with
        ``tenant_id``, of that institution, as of the period's end; only institutions within
        ``scopes``. Summed from mch_indicator_count: at most ~50 rows per institution."""
        _K = COUNT
        own = or_(
            _K.c.scope_path == _literal("root", root),
            _K.c.scope_path.like(_literal("below", like_prefix(root)), escape="\\"),
        )
        if tenant_id:
            own = and_(own, _K.c.tenant_id == _literal("tenant", tenant_id))
        sums = [func.sum(_K.c[m]).label(m) for m in METRICS]
        rows = self.s.execute(
            select(_K.c.tenant_id, *sums)
            .where(own, within_scopes(_K.c.scope_path, scopes), as_of_rows(_K, period.end))
            .group_by(_K.c.tenant_id)
        ).all()
        return {
            r.tenant_id: {m: int(getattr(r, m) or 0) for m in METRICS}
            for r in rows
            if any(getattr(r, m) for m in METRICS)
        }

    def exact_counts(
        self, root: str, tenant_id: str, scopes: Sequence[str], period: Period
    ) -> dict[str, dict[str, int]]:
        """The same recomputed from every row of the subtree (or the institution)."""
        per: dict[str, dict[str, int]] = {}

        def where(table: Any) -> Any:
            own = (
                table.c.tenant_id == tenant_id
                if tenant_id
                else within_scopes(table.c.scope_path, [root])
            )
            return and_(own, within_scopes(table.c.scope_path, scopes))

        def put(rows: Any, *keys: str) -> None:
            for row in rows:
                into = per.setdefault(row[0], {})
                for key, value in zip(keys, row[1:], strict=True):
                    into[key] = into.get(key, 0) + int(value or 0)

        start, end = period.start, period.end
        # Early registration: pregnancies registered in the period, early ones (< 13w0d).
        put(
            self.s.execute(
                select(_P.c.tenant_id, func.count(), _yes(_P.c.early))
                .where(where(_P), _P.c.registration_date.between(start, end))
                .group_by(_P.c.tenant_id)
            ),
            "registered", "early",
        )  # fmt: skip
        # Postpartum visits: deliveries in the period with a live birth; the mother visited at
        # home within 28 days of discharge.
        live = exists().where(_N.c.delivery_id == _D.c.id, _N.c.live_birth.is_(True))
        if self.s.dialect.name == "sqlite":
            gap = func.julianday(_V.c.visit_date) - func.julianday(_D.c.discharge_date)
        else:
            gap = _V.c.visit_date - _D.c.discharge_date
        visited = exists().where(
            _V.c.pregnancy_id == _P.c.id, _V.c.kind == "POSTPARTUM_HOME",
            _V.c.visit_date >= _D.c.discharge_date, gap <= POSTPARTUM_VISIT_DAYS,
        )  # fmt: skip
        put(
            self.s.execute(
                select(_P.c.tenant_id, func.count(), _yes(visited))
                .select_from(_P.join(_D, _D.c.pregnancy_id == _P.c.id))
                .where(where(_P), _D.c.delivery_date.between(start, end), live)
                .group_by(_P.c.tenant_id)
            ),
            "live_deliveries", "postpartum_visited",
        )  # fmt: skip
        # Newborn visits: live births in the period; the child had a newborn home visit in
        # its window (the first or, for a high-risk newborn, one of the extra ones).
        newborn_seen = exists().where(
            _C.c.resident_id == _N.c.resident_id, _CV.c.record_id == _C.c.id,
            _CV.c.slot.in_(NEWBORN_VISIT_SLOTS),
        )  # fmt: skip
        put(
            self.s.execute(
                select(_P.c.tenant_id, func.count(), _yes(newborn_seen))
                .select_from(
                    _N.join(_D, _D.c.id == _N.c.delivery_id).join(_P, _P.c.id == _D.c.pregnancy_id)
                )
                .where(where(_P), _N.c.live_birth.is_(True), _D.c.delivery_date.between(start, end))
                .group_by(_P.c.tenant_id)
            ),
            "live_births", "newborns_visited",
        )  # fmt: skip
        # The China days' bounds, as UTC (what is stored).
        since = datetime.combine(start, time(), CHINA_STANDARD_TIME).astimezone(UTC)
        until = datetime.combine(end + timedelta(days=1), time(), CHINA_STANDARD_TIME).astimezone(
            UTC
        )
        # Children 0–6 enrolled by the as-of date; seen in the period; eye items checked in it.
        in_period = and_(_CV.c.record_id == _C.c.id, _CV.c.visit_date.between(start, end))
        seen = exists().where(in_period)
        eye_checked = exists().where(in_period, _CV.c.eye != "{}")
        put(
            self.s.execute(
                select(_C.c.tenant_id, func.count(), _yes(seen), _yes(eye_checked))
                .where(
                    where(_C), _C.c.birth_date > period.born_after, _C.c.birth_date <= end,
                    _C.c.create_time < until,
                )
                .group_by(_C.c.tenant_id)
            ),
            "children", "children_seen", "children_eye_checked",
        )  # fmt: skip
        # 6-year visits in the period with acuity measured; poor vision in either eye.
        left, right = _CV.c.acuity_left, _CV.c.acuity_right
        poor = or_(and_(left > 0, left < POOR_VISION_6Y), and_(right > 0, right < POOR_VISION_6Y))
        put(
            self.s.execute(
                select(_C.c.tenant_id, func.count(), _yes(poor))
                .select_from(_CV.join(_C, _C.c.id == _CV.c.record_id))
                .where(
                    where(_C), _CV.c.slot == "Y6", _CV.c.visit_date.between(start, end),
                    or_(left > 0, right > 0),
                )
                .group_by(_C.c.tenant_id)
            ),
            "acuity_6y", "poor_vision_6y",
        )  # fmt: skip
        # High risk: pregnancies with an orange or red report filed in the period; managed
        # when none of their reports filed by the period's end was still open at its end (a
        # report acknowledged later counts as open for that period: the rate of a past period
        # does not change with today's acknowledgements).
        reported = exists().where(
            _R.c.pregnancy_id == _P.c.id, _R.c.create_time >= since, _R.c.create_time < until
        )
        still_open = exists().where(
            _R.c.pregnancy_id == _P.c.id, _R.c.create_time < until,
            or_(_R.c.state == "OPEN", _R.c.acknowledge_time >= until),
        )  # fmt: skip
        put(
            self.s.execute(
                select(_P.c.tenant_id, func.count(), _yes(~still_open))
                .where(where(_P), reported)
                .group_by(_P.c.tenant_id)
            ),
            "high_risk", "high_risk_managed",
        )  # fmt: skip
        return per
