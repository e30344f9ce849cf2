"""After the delivery (DOMAIN §3.1, §9): the postpartum home visit within a week of discharge
and the 42-day check, DELIVERED → POSTPARTUM_VISITED → CHECK_42D_DONE; visits outside their
windows are saved and tagged with the slot they missed; the overdue list follows the
postpartum slots too."""

from __future__ import annotations

from datetime import UTC

import grpc
import pytest
from mch.conftest import Mch, days_ago, error_info, error_reason, rid
from mch.test_deliveries import _baby
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb
from rhip.kit.timestamps import clinical_day


def _deliver(mch: Mch, delivered: int, discharged: int) -> pb.Pregnancy:
    """A pregnancy delivered ``delivered`` days ago and discharged ``discharged`` days ago."""
    p = mch.register(lmp_days_ago=270 + delivered, registration_date=days_ago(200 + delivered))
    from datetime import datetime, timedelta

    from google.protobuf.timestamp_pb2 import Timestamp

    born = Timestamp()
    born.FromDatetime(datetime.now(UTC) - timedelta(days=delivered, hours=1))
    mch.api.RecordDelivery(
        mpb.RecordDeliveryRequest(
            delivery=pb.Delivery(
                mother=mch.residents["woman"], delivery_date=clinical_day(born.ToDatetime(tzinfo=UTC)).isoformat(),
                discharge_date=days_ago(discharged), mode=pb.DELIVERY_MODE_CAESAREAN,
                newborns=[_baby(1, birth_time=born)],
            ),
            request_id=rid(),
        ),
        metadata=mch.md("qs-hosp-doctor"),
    )  # fmt: skip
    return mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-doctor"))


def _visit(mch: Mch, p: pb.Pregnancy, kind: int, day: str) -> pb.AntenatalVisit:
    return mch.api.RecordPostpartumVisit(
        mpb.RecordPostpartumVisitRequest(
            parent=p.name, kind=kind, visit=pb.AntenatalVisit(visit_date=day), request_id=rid()
        ),
        metadata=mch.md("qs-doctor"),
    )


def _slots(p: pb.Pregnancy) -> dict[int, int]:
    return {s.number: s.state for s in p.schedule}


def test_home_visit_then_42_day_check_complete_the_episode(mch: Mch) -> None:
    p = _deliver(mch, delivered=44, discharged=40)
    assert p.state == pb.PREGNANCY_STATE_DELIVERED and p.discharge_date == days_ago(40)
    home = _visit(mch, p, pb.VISIT_KIND_POSTPARTUM_HOME, days_ago(36))  # discharge + 4
    assert (home.slot, home.missed_slot, home.kind) == (6, 0, pb.VISIT_KIND_POSTPARTUM_HOME)
    p = mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-doctor"))
    assert p.state == pb.PREGNANCY_STATE_POSTPARTUM_VISITED
    assert _slots(p)[6] == pb.SLOT_STATE_DONE and _slots(p)[7] == pb.SLOT_STATE_DUE
    check = _visit(mch, p, pb.VISIT_KIND_CHECK_42D, days_ago(1))  # postpartum day 43
    assert (check.slot, check.missed_slot) == (7, 0)
    p = mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-doctor"))
    # Done yesterday: closed from the day after the check (test_pregnancy_closing.py).
    assert p.state == pb.PREGNANCY_STATE_CLOSED and p.close_date == days_ago(0)
    with pytest.raises(grpc.RpcError) as caught:
        _visit(mch, p, pb.VISIT_KIND_CHECK_42D, days_ago(0))
    assert error_reason(caught.value) == "PREGNANCY_CLOSED"


def test_a_late_home_visit_is_saved_and_tagged_and_the_slot_stays_missed(mch: Mch) -> None:
    p = _deliver(mch, delivered=20, discharged=18)
    overdue = mch.api.ListPregnancies(
        mpb.ListPregnanciesRequest(parent=mch.tenant("qs-chc"), overdue_only=True),
        metadata=mch.md("qs-doctor"),
    )
    assert [o.name for o in overdue.pregnancies] == [p.name]  # home visit due by discharge + 7
    late = _visit(mch, p, pb.VISIT_KIND_POSTPARTUM_HOME, days_ago(2))  # discharge + 16
    assert (late.slot, late.missed_slot) == (0, 6)
    p = mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-doctor"))
    assert p.state == pb.PREGNANCY_STATE_POSTPARTUM_VISITED
    assert _slots(p)[6] == pb.SLOT_STATE_MISSED and _slots(p)[7] == pb.SLOT_STATE_UPCOMING
    overdue = mch.api.ListPregnancies(
        mpb.ListPregnanciesRequest(parent=mch.tenant("qs-chc"), overdue_only=True),
        metadata=mch.md("qs-doctor"),
    )
    assert list(overdue.pregnancies) == []  # next: the 42-day check, not due yet


def test_postpartum_visits_need_a_delivery_and_a_kind_and_a_date_after_it(mch: Mch) -> None:
    open_one = mch.register(lmp_days_ago=100)
    with pytest.raises(grpc.RpcError) as caught:
        _visit(mch, open_one, pb.VISIT_KIND_POSTPARTUM_HOME, days_ago(0))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(caught.value) == "PREGNANCY_NOT_DELIVERED"
    for kind, day, field in (
        (pb.VISIT_KIND_ANTENATAL, days_ago(0), "kind"),
        (pb.VISIT_KIND_UNSPECIFIED, days_ago(0), "kind"),
        (pb.VISIT_KIND_CHECK_42D, days_ago(-2), "visit.visit_date"),
    ):
        with pytest.raises(grpc.RpcError) as caught:
            _visit(mch, open_one, kind, day)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field in [f for f, _ in error_info(caught.value)[1]]


def test_a_postpartum_visit_naming_another_pregnancy_is_invalid_argument(mch: Mch) -> None:
    p = _deliver(mch, delivered=10, discharged=8)
    other = mch.register("woman2", lmp_days_ago=100)
    with pytest.raises(grpc.RpcError) as caught:
        mch.api.RecordPostpartumVisit(
            mpb.RecordPostpartumVisitRequest(
                parent=p.name, kind=pb.VISIT_KIND_POSTPARTUM_HOME,
                visit=pb.AntenatalVisit(
                    name=f"{other.name}/antenatalVisits/{rid()}", visit_date=days_ago(5)
                ),
            ),
            metadata=mch.md("qs-doctor"),
        )  # fmt: skip
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    info, violations = error_info(caught.value)
    assert [f for f, _ in violations] == ["visit.name"] and info.reason == "PREGNANCY_MISMATCH"
    got = mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-doctor"))
    assert got.state == pb.PREGNANCY_STATE_DELIVERED  # the home visit was not recorded


def test_a_discharge_before_the_delivery_is_refused(mch: Mch) -> None:
    mch.register(lmp_days_ago=275, registration_date=days_ago(200))
    with pytest.raises(grpc.RpcError) as caught:
        mch.api.RecordDelivery(
            mpb.RecordDeliveryRequest(
                delivery=pb.Delivery(
                    mother=mch.residents["woman"], delivery_date=days_ago(3),
                    discharge_date=days_ago(5), mode=pb.DELIVERY_MODE_VAGINAL,
                    newborns=[_baby(1)],
                )
            ),
            metadata=mch.md("qs-hosp-doctor"),
        )  # fmt: skip
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "delivery.discharge_date" in [f for f, _ in error_info(caught.value)[1]]
