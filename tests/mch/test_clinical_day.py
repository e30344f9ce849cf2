"""A day of care is a day of China Standard Time, whatever the UTC date of the moment.

Deliveries happen at night: at 06:30 in Xuzhou it is 22:30 UTC of the day before, and a
service that took "today" from its UTC clock refused a delivery dated today (DATE_IN_FUTURE),
registered the newborn with yesterday's date in mind and counted a pregnancy's weeks from
yesterday. The services' clocks are set here to such a moment (the real clock would put the
test at the mercy of the hour it runs)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from mch.conftest import Mch, rid
from rhip.api.mch.v1 import indicators_pb2 as ipb
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb
from rhip.kit.timestamps import clinical_day
from rhip.mch.children.domain import add_months
from support.residents import pb as rpb
from support.residents import register_request, with_check
from support.residents import stub as resident_stub

CHINA_DAY = clinical_day(datetime.now(UTC))
# 06:30 in China on CHINA_DAY: 22:30 UTC of the day before.
MORNING = datetime.combine(CHINA_DAY - timedelta(days=1), time(22, 30), UTC)


@pytest.fixture
def at_dawn(mch: Mch) -> Iterator[datetime]:
    """Every clock a day is taken from in identity and mch reads MORNING. The users sign in
    first, on the real clock: a token issued at MORNING would already have expired whenever
    the real time is past MORNING plus a token's lifetime (before 16:00 UTC, when MORNING is
    the day before's 22:30, and after about 22:45 UTC)."""
    for user in ("qs-admin", "qs-doctor", "qs-hosp-doctor"):
        mch.md(user)
    cell = mch.running.cell
    owners = [
        cell.part("identity").usecases,
        cell.part("identity").residents,
        cell.part("mch").usecases,
        cell.part("mch").certificates,
    ]
    kept = [owner.clock for owner in owners]
    for owner in owners:
        owner.clock = lambda: MORNING
    yield MORNING
    for owner, clock in zip(owners, kept, strict=True):
        owner.clock = clock


def _stamp(when: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(when)
    return stamp


def test_a_delivery_at_dawn_is_dated_today_in_china_and_so_is_the_newborn(
    mch: Mch, at_dawn: datetime
) -> None:
    assert at_dawn.date() == CHINA_DAY - timedelta(days=1)  # the UTC date lags
    baby = pb.Newborn(
        birth_order=1, sex=pb.NEWBORN_SEX_FEMALE, birth_time=_stamp(at_dawn - timedelta(hours=1)),
        weight_g=3200, length_cm=50.0, apgar_1min=9, live_birth=True,
    )  # fmt: skip
    delivery = mch.api.RecordDelivery(
        mpb.RecordDeliveryRequest(
            delivery=pb.Delivery(
                mother=mch.residents["woman"], delivery_date=CHINA_DAY.isoformat(),
                mode=pb.DELIVERY_MODE_VAGINAL, newborns=[baby],
            ),
            request_id=rid(),
        ),
        metadata=mch.md("qs-hosp-doctor"),
    )  # fmt: skip
    assert delivery.delivery_date == CHINA_DAY.isoformat()
    newborn = resident_stub(mch.running.channel).GetResident(
        rpb.GetResidentRequest(name=delivery.newborns[0].resident),
        metadata=mch.md("qs-hosp-doctor"),
    )
    assert date.fromisoformat(newborn.birth_date) == CHINA_DAY


def test_weeks_of_pregnancy_are_counted_to_todays_date_in_china(
    mch: Mch, at_dawn: datetime
) -> None:
    """91 days after the last period is 13w0d on the China day (late registration); counted
    to the UTC date it was 12w6d, early."""
    lmp = CHINA_DAY - timedelta(days=91)
    p = mch.register("woman", lmp_date=lmp.isoformat())
    assert not p.early_registration
    assert date.fromisoformat(p.registration_date) == CHINA_DAY


def test_a_child_enrolled_at_half_past_one_in_china_counts_from_that_day(mch: Mch) -> None:
    """Enrolled at 01:30 on CHINA_DAY (17:30 UTC the day before): among the region's children
    as of CHINA_DAY, not as of the day before (the counts took the UTC day of enrolment)."""
    born = add_months(CHINA_DAY, -30)
    child = (
        resident_stub(mch.running.channel)
        .RegisterResident(
            register_request(with_check(f"320311{born:%Y%m%d}003"), name="刘小满", region="320311"),
            metadata=mch.md("qs-doctor"),
        )
        .resident
    )
    usecases = mch.running.cell.part("mch").usecases
    kept = usecases.clock
    usecases.clock = lambda: datetime.combine(CHINA_DAY - timedelta(days=1), time(17, 30), UTC)
    try:
        mch.api.EnrollChild(
            mpb.EnrollChildRequest(child=child.name, request_id=rid()), metadata=mch.md("qs-doctor")
        )
    finally:
        usecases.clock = kept

    def children(as_of: date) -> int:
        reply = mch.api.GetMchIndicators(
            ipb.GetMchIndicatorsRequest(parent="regions/320311", as_of=as_of.isoformat()),
            metadata=mch.md("qs-admin"),
        )
        kind = ipb.MCH_INDICATOR_KIND_CHILD_HEALTH_MANAGEMENT_RATE
        return next(i.denominator for i in reply.indicators if i.kind == kind)

    assert children(CHINA_DAY - timedelta(days=1)) == 0
    assert children(CHINA_DAY) == 1
