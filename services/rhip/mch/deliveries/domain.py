"""Deliveries and their newborns as plain Python: the checks of a delivery record and the
newborn's registration name. A newborn keeps its own id (``deliveries/{d}/newborns/{n}``) for
the birth certificate that will name it (issue 15). No gRPC, no SQL."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import Enum

from rhip.kit.errors import Violations
from rhip.kit.timestamps import clinical_day


class DeliveryMode(Enum):
    VAGINAL = "VAGINAL"
    ASSISTED = "ASSISTED"
    CAESAREAN = "CAESAREAN"


class NewbornSex(Enum):
    MALE = "MALE"
    FEMALE = "FEMALE"
    UNDETERMINED = "UNDETERMINED"


@dataclass(frozen=True)
class Newborn:
    newborn_id: str
    birth_order: int
    sex: NewbornSex | None
    birth_time: datetime | None
    weight_g: int
    length_cm: float
    apgar_1min: int
    live_birth: bool
    display_name: str
    resident_id: str = ""  # set once identity registered the baby

    def registered(self, resident_id: str) -> Newborn:
        return replace(self, resident_id=resident_id)


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    pregnancy_id: str
    mother_id: str
    tenant_id: str
    scope_path: str  # the delivering institution's scope
    pregnancy_scope: str  # the managing institution's scope ("" without a pregnancy)
    delivery_date: date
    mode: DeliveryMode
    ga_days: int
    newborns: tuple[Newborn, ...]
    recorded_by: str
    create_time: datetime
    discharge_date: date
    emergency_reason: str = ""

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(s for s in (self.scope_path, self.pregnancy_scope) if s)


def check_newborns(
    newborns: list[Newborn], delivery_date: date | None, now: datetime, maximum: int,
    checks: Violations,
) -> None:  # fmt: skip
    if not newborns:
        checks.add("delivery.newborns", "at least one baby", "NEWBORNS_REQUIRED")
        return
    if len(newborns) > maximum:
        checks.add("delivery.newborns", f"at most {maximum}", "TOO_MANY_ITEMS")
        return
    orders = sorted(n.birth_order for n in newborns)
    if orders != list(range(1, len(newborns) + 1)):
        checks.add("delivery.newborns", "birth orders must be 1…n, each once", "BIRTH_ORDER")
    for i, n in enumerate(newborns):
        field = f"delivery.newborns[{i}]"
        if n.sex is None:
            checks.add(f"{field}.sex", "must be male, female or undetermined", "SEX_REQUIRED")
        if n.birth_time is None:
            checks.add(f"{field}.birth_time", "must be set", "BIRTH_TIME_REQUIRED")
        elif n.birth_time > now:
            checks.add(f"{field}.birth_time", "must not be in the future", "DATE_IN_FUTURE")
        elif (
            delivery_date is not None and abs((clinical_day(n.birth_time) - delivery_date).days) > 1
        ):
            checks.add(f"{field}.birth_time", "must fall on the delivery date", "BIRTH_TIME_DATE")
        if not 300 <= n.weight_g <= 7000:
            checks.add(f"{field}.weight_g", "must be 300–7000 g", "WEIGHT_OUT_OF_RANGE")
        if n.length_cm and not 20 <= n.length_cm <= 65:  # NaN fails too
            checks.add(f"{field}.length_cm", "must be 20–65 cm", "LENGTH_OUT_OF_RANGE")
        if not 0 <= n.apgar_1min <= 10:
            checks.add(f"{field}.apgar_1min", "must be 0–10", "APGAR_OUT_OF_RANGE")
        if len(n.display_name) > 50:
            checks.add(f"{field}.display_name", "at most 50 characters", "NAME_TOO_LONG")


def newborn_name(mother_name: str, n: Newborn) -> str:
    """The name to register the baby under: as given, else the mother's + 之子/之女/之婴."""
    if n.display_name.strip():
        return n.display_name.strip()
    suffix = {NewbornSex.MALE: "之子", NewbornSex.FEMALE: "之女"}.get(n.sex, "之婴")  # type: ignore[arg-type]
    return (mother_name or "新生儿")[:40] + suffix
