"""Deliveries and newborns: a midwifery-qualified institution records the delivery; the
mother's open pregnancy becomes DELIVERED; each live-born baby becomes one PROVISIONAL
resident linked to the mother however often the delivery is retried; women graded yellow or
above (or purple) deliver at secondary-or-higher institutions (DOMAIN §3.2)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from mch.conftest import Mch, days_ago, error_info, error_reason, rid
from rhip.api.identity.v1 import qualification_service_pb2 as qpb
from rhip.api.identity.v1 import resident_pb2
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb
from rhip.kit.timestamps import clinical_day
from support.residents import pb as rpb
from support.residents import stub as resident_stub


def _stamp(hours_ago: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(datetime.now(UTC) - timedelta(hours=hours_ago))
    return stamp


def _baby(order: int = 1, **fields) -> pb.Newborn:  # type: ignore[no-untyped-def]
    values = {
        "birth_order": order, "sex": pb.NEWBORN_SEX_FEMALE, "birth_time": _stamp(1),
        "weight_g": 3200, "length_cm": 50.0, "apgar_1min": 9, "live_birth": True,
    }  # fmt: skip
    values.update(fields)
    return pb.Newborn(**values)


def _deliver(
    mch: Mch, babies: list[pb.Newborn], who: str = "qs-hosp-doctor", key: str = "",
    woman: str = "woman", pregnancy: str = "",
) -> pb.Delivery:  # fmt: skip
    return mch.api.RecordDelivery(
        mpb.RecordDeliveryRequest(
            delivery=pb.Delivery(
                mother=mch.residents[woman], delivery_date=clinical_day(datetime.now(UTC) - timedelta(hours=1)).isoformat(),
                mode=pb.DELIVERY_MODE_VAGINAL, newborns=babies, pregnancy=pregnancy,
            ),
            request_id=key or rid(),
        ),
        metadata=mch.md(who),
    )  # fmt: skip


def test_twins_delivered_become_two_provisional_residents_linked_to_the_mother(mch: Mch) -> None:
    p = mch.register(lmp_days_ago=270, registration_date=days_ago(200))
    delivery = _deliver(mch, [_baby(1, sex=pb.NEWBORN_SEX_MALE), _baby(2)])
    assert delivery.pregnancy == p.name and delivery.tenant == mch.tenant("qs-hosp")
    assert delivery.ga_days in (269, 270)
    assert [n.name.startswith(f"{delivery.name}/newborns/") for n in delivery.newborns] == [
        True,
        True,
    ]
    residents = resident_stub(mch.running.channel)
    for baby in delivery.newborns:
        resident = residents.GetResident(
            rpb.GetResidentRequest(name=baby.resident), metadata=mch.md("qs-hosp-doctor")
        )
        assert resident.state == resident_pb2.RESIDENT_STATE_PROVISIONAL
        assert resident.mother == mch.residents["woman"]
    assert [n.display_name for n in delivery.newborns] == ["刘丽之子", "刘丽之女"]
    got = mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-doctor"))
    assert got.state == pb.PREGNANCY_STATE_DELIVERED and got.delivery == delivery.name
    # Both the delivering and the managing institution read the delivery; others do not.
    for who in ("qs-hosp-doctor", "qs-doctor", "qs-admin"):
        assert (
            mch.api.GetDelivery(
                mpb.GetDeliveryRequest(name=delivery.name), metadata=mch.md(who)
            ).name
            == delivery.name
        )
    for who in ("nj-doctor", "ts-doctor", "nj-admin"):
        with pytest.raises(grpc.RpcError) as caught:
            mch.api.GetDelivery(mpb.GetDeliveryRequest(name=delivery.name), metadata=mch.md(who))
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_retries_register_each_newborn_once(mch: Mch) -> None:
    mch.register(lmp_days_ago=270, registration_date=days_ago(200))
    key, babies = rid(), [_baby(1)]
    first = _deliver(mch, babies, key=key)
    again = _deliver(mch, babies, key=key)
    assert again.name == first.name
    assert [n.resident for n in again.newborns] == [n.resident for n in first.newborns]
    assert first.newborns[0].resident
    search = resident_stub(mch.running.channel).SearchResidents(
        rpb.SearchResidentsRequest(display_name="刘丽之女"), metadata=mch.md("qs-hosp-doctor")
    )
    assert len(search.matches) == 1
    with pytest.raises(grpc.RpcError) as caught:  # the same id for another delivery
        _deliver(mch, [_baby(1, weight_g=3000)], key=key)
    assert error_reason(caught.value) == "REQUEST_ID_REUSED"


def test_a_stillbirth_is_recorded_without_a_resident(mch: Mch) -> None:
    mch.register(lmp_days_ago=200, registration_date=days_ago(150))
    delivery = _deliver(mch, [_baby(1, live_birth=False, apgar_1min=0)])
    assert delivery.newborns[0].resident == ""


def test_a_delivery_without_a_registered_pregnancy_is_still_recorded(mch: Mch) -> None:
    delivery = _deliver(mch, [_baby(1)], woman="woman2")
    assert delivery.pregnancy == "" and delivery.newborns[0].resident


def test_midwifery_qualification_is_required_and_revocation_takes_effect(mch: Mch) -> None:
    mch.register(lmp_days_ago=270, registration_date=days_ago(200))
    with pytest.raises(grpc.RpcError) as caught:
        _deliver(mch, [_baby()], who="qs-doctor")
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    info, _ = error_info(caught.value)
    assert info.reason == "QUALIFICATION_REQUIRED" and info.metadata["qualification"] == "MIDWIFERY"
    granted = mch.quals.ListQualifications(
        qpb.ListQualificationsRequest(parent=mch.tenant("qs-hosp")), metadata=mch.md("qs-admin")
    ).qualifications
    midwifery = next(q for q in granted if q.kind == qpb.QUALIFICATION_KIND_MIDWIFERY)
    mch.quals.RevokeQualification(
        qpb.RevokeQualificationRequest(name=midwifery.name, reason="停业整顿"),
        metadata=mch.md("qs-admin"),
    )
    with pytest.raises(grpc.RpcError) as caught:
        _deliver(mch, [_baby()])
    assert error_reason(caught.value) == "QUALIFICATION_REQUIRED"


def test_a_graded_woman_does_not_deliver_at_a_primary_institution(mch: Mch) -> None:
    mch.register(lmp_days_ago=270, registration_date=days_ago(200))
    mch.grant("qs-chc", qpb.QUALIFICATION_KIND_MIDWIFERY)  # a primary institution
    mch.api.AssessPregnancyRisk(
        mpb.AssessPregnancyRiskRequest(mother=mch.residents["woman"], criteria=["Y-GDM"]),
        metadata=mch.md("qs-hosp-doctor"),
    )
    with pytest.raises(grpc.RpcError) as caught:
        _deliver(mch, [_baby()], who="qs-doctor")
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(caught.value) == "DELIVERY_LEVEL_REQUIRED"
    assert _deliver(mch, [_baby()]).pregnancy  # the secondary hospital may


def test_a_green_woman_may_deliver_at_a_qualified_primary_institution(mch: Mch) -> None:
    mch.register(lmp_days_ago=270, registration_date=days_ago(200))
    mch.grant("qs-chc", qpb.QUALIFICATION_KIND_MIDWIFERY)
    assert _deliver(mch, [_baby()], who="qs-doctor").pregnancy


@pytest.mark.parametrize(
    ("babies", "field"),
    [
        ([], "delivery.newborns"),
        ([_baby(1, weight_g=120)], "delivery.newborns[0].weight_g"),
        ([_baby(1, weight_g=0)], "delivery.newborns[0].weight_g"),
        ([_baby(1, weight_g=299)], "delivery.newborns[0].weight_g"),  # just under 300 g
        ([_baby(1), _baby(2, weight_g=7001)], "delivery.newborns[1].weight_g"),  # over 7000 g
        ([_baby(1, sex=0)], "delivery.newborns[0].sex"),
        ([_baby(1, birth_time=Timestamp())], "delivery.newborns[0].birth_time"),
        ([_baby(1, birth_time=_stamp(-5))], "delivery.newborns[0].birth_time"),
        ([_baby(1, apgar_1min=11)], "delivery.newborns[0].apgar_1min"),
        ([_baby(1, length_cm=float("nan"))], "delivery.newborns[0].length_cm"),
        ([_baby(1), _baby(1)], "delivery.newborns"),
        ([_baby(i + 1) for i in range(7)], "delivery.newborns"),
    ],
)
def test_bad_deliveries_are_invalid_argument_and_write_nothing(
    mch: Mch, babies: list[pb.Newborn], field: str
) -> None:
    p = mch.register(lmp_days_ago=270, registration_date=days_ago(200))
    with pytest.raises(grpc.RpcError) as caught:
        _deliver(mch, babies)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in [f for f, _ in error_info(caught.value)[1]]
    got = mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-doctor"))
    assert got.state == pb.PREGNANCY_STATE_REGISTERED


def test_birth_weights_of_300_and_7000_g_are_the_bounds_kept(mch: Mch) -> None:
    mch.register(lmp_days_ago=270, registration_date=days_ago(200))
    delivery = _deliver(mch, [_baby(1, weight_g=300), _baby(2, weight_g=7000)])
    assert [n.weight_g for n in delivery.newborns] == [300, 7000]


def test_a_delivery_naming_another_pregnancy_is_invalid_argument_and_writes_nothing(
    mch: Mch,
) -> None:
    own = mch.register("woman", lmp_days_ago=270, registration_date=days_ago(200))
    other = mch.register("woman2", lmp_days_ago=270, registration_date=days_ago(200))
    key = rid()
    for woman, named, reason in (
        ("woman", other.name, "PREGNANCY_MISMATCH"),  # another woman's open pregnancy
        ("woman", f"pregnancies/{uuid.uuid4()}", "PREGNANCY_MISMATCH"),  # none at all
        ("woman", "deliveries/x", "RESOURCE_NAME"),
        ("woman3", own.name, "PREGNANCY_MISMATCH"),  # she has no open pregnancy
    ):
        with pytest.raises(grpc.RpcError) as caught:
            _deliver(mch, [_baby()], key=key, woman=woman, pregnancy=named)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        info, violations = error_info(caught.value)
        assert [f for f, _ in violations] == ["delivery.pregnancy"] and info.reason == reason
    for p in (own, other):
        got = mch.api.GetPregnancy(
            mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-doctor")
        )
        assert got.state == pb.PREGNANCY_STATE_REGISTERED and not got.delivery
    # Nothing was written, not even the request id: the same key now records her delivery,
    # naming her own pregnancy as a client echoing a Delivery may.
    delivered = _deliver(mch, [_baby()], key=key, pregnancy=own.name)
    assert delivered.pregnancy == own.name and len(delivered.newborns) == 1


def test_a_hospital_outside_the_county_cannot_record_her_delivery(mch: Mch) -> None:
    from mch.conftest import add_hospital

    add_hospital(mch.running, mch.world, "ts-hosp", "320312", "徐州市铜山区人民医院")
    mch.grant("ts-hosp", qpb.QUALIFICATION_KIND_MIDWIFERY, who="xz-admin")
    with pytest.raises(grpc.RpcError) as caught:
        _deliver(mch, [_baby()], who="ts-hosp-doctor")
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_an_emergency_delivery_at_a_primary_institution_states_its_reason(mch: Mch) -> None:
    mch.register(lmp_days_ago=270, registration_date=days_ago(200))
    mch.grant("qs-chc", qpb.QUALIFICATION_KIND_MIDWIFERY)
    mch.api.AssessPregnancyRisk(
        mpb.AssessPregnancyRiskRequest(mother=mch.residents["woman"], criteria=["P-HBV"]),
        metadata=mch.md("qs-hosp-doctor"),
    )
    delivery = mch.api.RecordDelivery(
        mpb.RecordDeliveryRequest(
            delivery=pb.Delivery(
                mother=mch.residents["woman"],
                delivery_date=clinical_day(datetime.now(UTC) - timedelta(hours=1)).isoformat(),
                mode=pb.DELIVERY_MODE_VAGINAL, newborns=[_baby()],
                emergency_reason="急产，转诊途中分娩",
            )
        ),
        metadata=mch.md("qs-doctor"),
    )  # fmt: skip
    assert delivery.pregnancy and delivery.emergency_reason == "急产，转诊途中分娩"
