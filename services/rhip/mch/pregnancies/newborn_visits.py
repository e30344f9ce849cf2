"""The postpartum home visit done together with the newborn home visit (DOMAIN §3.1, §3.3: one
trip, mother and baby). Each is recorded with its own call, as each has its own record and
window (RecordPostpartumVisit on the pregnancy, RecordChildVisit on the child's record), in
either order; a postpartum home visit, as read, names the newborn home visits of the same day
of the live-born babies of her delivery enrolled in mch — read from the dates, so nothing is
stored twice and the link shows whichever visit came second. Only the children whose records
the caller may read are named (a baby moved to another institution is not its business)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from rhip.mch.children.store import ChildStore
from rhip.mch.pregnancies.domain import AntenatalVisit, Pregnancy, VisitKind
from sqlalchemy import Connection


def with_newborn_visits(
    tx: Connection, p: Pregnancy, visits: list[AntenatalVisit], may_read: Callable[[str], bool]
) -> list[AntenatalVisit]:
    """``visits`` of ``p``, each postpartum home visit with the newborn home visits of its day;
    ``may_read(scope)``: whether the caller reads a child health record at ``scope``."""
    days = {v.visit_date for v in visits if v.kind is VisitKind.POSTPARTUM_HOME}
    if not days or not p.delivery_id:
        return visits
    found = [
        (day, f"childRecords/{record}/visits/{visit}")
        for day, record, visit, scope in ChildStore(tx).newborn_visits(p.delivery_id, days)
        if may_read(scope)
    ]
    return [
        replace(v, newborn_visits=tuple(name for day, name in found if day == v.visit_date))
        if v.kind is VisitKind.POSTPARTUM_HOME
        else v
        for v in visits
    ]
