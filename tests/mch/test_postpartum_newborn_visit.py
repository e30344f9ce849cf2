"""The postpartum home visit is done together with the newborn home visit (DOMAIN §3.1): each
is recorded with its own call, in either order, and the postpartum home visit as read — in the
reply that records it and in the pregnancy's visit list — names the newborn home visits of the
same day of the live-born babies of her delivery, as far as the caller reads their records.
Visits of other days, other checks and babies managed elsewhere are not named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from mch.child_support import enroll, record_visit
from mch.conftest import Mch, days_ago, rid
from mch.timeline_support import CELL_ID, CELL_SECRET
from rhip.api.mch.v1 import child_transfer_pb2 as ctpb
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb

HOME, CHECK = pb.VISIT_KIND_POSTPARTUM_HOME, pb.VISIT_KIND_CHECK_42D


@pytest.fixture
def mch_env() -> dict[str, str]:
    # A child transfer's target is looked up with the cell's own account.
    return {"RHIP_CELL_CLIENT_ID": CELL_ID, "RHIP_CELL_CLIENT_SECRET": CELL_SECRET}


def _twins(
    mch: Mch, delivered: int = 10, discharged: int = 8, babies: int = 2
) -> tuple[pb.Pregnancy, list[str]]:
    """Her pregnancy, managed by the Quanshan centre, delivered of twins (or ``babies``) at the
    county hospital ``delivered`` days ago, and their child health records at the centre."""
    p = mch.register(lmp_days_ago=270 + delivered, registration_date=days_ago(200 + delivered))
    born = Timestamp()
    born.FromDatetime(datetime.now(UTC) - timedelta(days=delivered, hours=1))
    delivery = mch.api.RecordDelivery(
        mpb.RecordDeliveryRequest(
            delivery=pb.Delivery(
                mother=mch.residents["woman"], delivery_date=born.ToDatetime().date().isoformat(),
                discharge_date=days_ago(discharged), mode=pb.DELIVERY_MODE_VAGINAL,
                newborns=[
                    pb.Newborn(
                        birth_order=i, sex=pb.NEWBORN_SEX_FEMALE, birth_time=born,
                        weight_g=2900, length_cm=49.0, apgar_1min=9, live_birth=True,
                    )
                    for i in range(1, babies + 1)
                ],
            ),
            request_id=rid(),
        ),
        metadata=mch.md("qs-hosp-doctor"),
    )  # fmt: skip
    records = [enroll(mch, baby.resident).name for baby in delivery.newborns]
    return p, records


def _postpartum(mch: Mch, p: pb.Pregnancy, kind: int, day: str) -> pb.AntenatalVisit:
    return mch.api.RecordPostpartumVisit(
        mpb.RecordPostpartumVisitRequest(
            parent=p.name, kind=kind, visit=pb.AntenatalVisit(visit_date=day), request_id=rid()
        ),
        metadata=mch.md("qs-doctor"),
    )


def _listed(mch: Mch, p: pb.Pregnancy, who: str = "qs-doctor") -> dict[str, list[str]]:
    """Her visits as listed: each postpartum visit's name → the newborn visits it names."""
    visits = mch.api.ListAntenatalVisits(
        mpb.ListAntenatalVisitsRequest(parent=p.name), metadata=mch.md(who)
    ).visits
    return {v.name: list(v.newborn_visits) for v in visits if v.kind != pb.VISIT_KIND_ANTENATAL}


def test_the_home_visit_names_the_newborn_visits_of_the_same_day(mch: Mch) -> None:
    p, (first, second) = _twins(mch)
    day = days_ago(5)  # discharge + 3: both home visits in their windows
    baby = record_visit(mch, first, day, weight_kg=3.1)
    assert baby.slot == "NEWBORN"
    record_visit(mch, second, days_ago(6), weight_kg=3.0)  # the other twin: another day
    home = _postpartum(mch, p, HOME, day)
    assert home.slot == 6 and list(home.newborn_visits) == [baby.name]
    # The other twin seen that day too, after her visit was recorded: named from then on.
    twin = record_visit(mch, second, day, weight_kg=3.0)
    assert _listed(mch, p)[home.name] == sorted([baby.name, twin.name])


def test_either_order_and_only_the_home_visit(mch: Mch) -> None:
    p, (first, _) = _twins(mch, delivered=44, discharged=40)
    home = _postpartum(mch, p, HOME, days_ago(36))
    assert list(home.newborn_visits) == []  # the baby's visit not recorded yet
    baby = record_visit(mch, first, days_ago(36), weight_kg=3.2)
    assert _listed(mch, p)[home.name] == [baby.name]
    # The 42-day check is no home visit: a child visit of its day is not named.
    record_visit(mch, first, days_ago(1), weight_kg=4.4)
    check = _postpartum(mch, p, CHECK, days_ago(1))
    assert list(check.newborn_visits) == []
    assert _listed(mch, p) == {home.name: [baby.name], check.name: []}


def test_a_baby_managed_elsewhere_is_not_named(mch: Mch) -> None:
    p, (first, second) = _twins(mch)
    day = days_ago(5)
    kept = record_visit(mch, first, day, weight_kg=3.1)
    record_visit(mch, second, day, weight_kg=3.0)
    # The second twin's record moves to Tongshan (the family split between two homes).
    asked = mch.api.RequestChildTransfer(
        mpb.RequestChildTransferRequest(
            name=second, target_tenant=mch.tenant("ts-th"), guardian_consent_reference="GC-1",
            consent_date=days_ago(1), reason="lives with her grandmother", request_id=rid(),
        ),
        metadata=mch.md("qs-doctor"),
    )  # fmt: skip
    done = mch.api.AcceptChildTransfer(
        mpb.AcceptChildTransferRequest(name=asked.name), metadata=mch.md("ts-doctor")
    )
    assert done.state == ctpb.CHILD_TRANSFER_STATE_ACCEPTED
    home = _postpartum(mch, p, HOME, day)
    assert list(home.newborn_visits) == [kept.name]
    # The city's administration reads both records: both are named to it.
    assert len(_listed(mch, p, "xz-admin")[home.name]) == 2


def test_a_late_newborn_visit_is_named_and_the_full_month_check_is_not(mch: Mch) -> None:
    p, (baby,) = _twins(mch, delivered=30, discharged=28, babies=1)
    # Both came a week late (discharge + 14): saved, tagged, and still done together.
    late = record_visit(mch, baby, days_ago(14), weight_kg=3.4)
    assert (late.slot, late.missed_slot) == ("", "NEWBORN")
    home = _postpartum(mch, p, HOME, days_ago(14))
    assert home.missed_slot == 6 and list(home.newborn_visits) == [late.name]
    # The baby's full-month check (28–30 days) on the day of another home visit is not a
    # newborn home visit.
    month = record_visit(mch, baby, days_ago(1), weight_kg=4.0)
    assert month.slot == "M1"
    again = _postpartum(mch, p, HOME, days_ago(1))
    assert list(again.newborn_visits) == []
