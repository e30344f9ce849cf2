"""Where the 42-day check is done (DOMAIN §3.1: "normal mothers at the grassroots institution;
abnormal ones at the delivery institution"): a mother graded orange or red, or with an abnormal
finding at the home visit, has it at the delivery institution, which records it on the episode
the community health centre manages; a normal mother has it at the centre; elsewhere only with
an emergency reason. The migration dates and places the deliveries recorded before it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from mch.conftest import Mch, days_ago, error_info, rid
from mch.test_deliveries import _baby
from mch.test_postpartum import _deliver
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb
from rhip.kit.timestamps import clinical_day


def _postpartum(mch: Mch, p: pb.Pregnancy, kind: int, who: str, **fields) -> pb.AntenatalVisit:  # type: ignore[no-untyped-def]
    return mch.api.RecordPostpartumVisit(
        mpb.RecordPostpartumVisitRequest(
            parent=p.name, kind=kind, visit=pb.AntenatalVisit(visit_date=days_ago(0), **fields),
            request_id=rid(),
        ),
        metadata=mch.md(who),
    )  # fmt: skip


def _get(mch: Mch, p: pb.Pregnancy) -> pb.Pregnancy:
    return mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=p.name), metadata=mch.md("qs-doctor"))


def _refused(call) -> tuple[grpc.StatusCode, str, dict[str, str]]:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as caught:
        call()
    info, _ = error_info(caught.value)
    return caught.value.code(), info.reason if info else "", dict(info.metadata) if info else {}


CHECK, HOME = pb.VISIT_KIND_CHECK_42D, pb.VISIT_KIND_POSTPARTUM_HOME


def test_a_normal_mother_has_the_check_at_the_managing_centre(mch: Mch) -> None:
    p = _deliver(mch, delivered=43, discharged=40)  # managed by qs-chc, delivered at qs-hosp
    assert p.check_42d_tenant == mch.tenant("qs-chc")
    assert _refused(lambda: _postpartum(mch, p, CHECK, "qs-hosp-doctor"))[:2] == (
        grpc.StatusCode.FAILED_PRECONDITION, "CHECK_42D_AT_MANAGING_INSTITUTION",
    )  # fmt: skip
    done = _postpartum(mch, p, CHECK, "qs-doctor")
    assert done.tenant == mch.tenant("qs-chc") and done.slot == 7


def test_an_orange_mother_has_the_check_at_the_delivery_institution(mch: Mch) -> None:
    p = _deliver(mch, delivered=43, discharged=40)
    mch.api.AssessPregnancyRisk(
        mpb.AssessPregnancyRiskRequest(
            mother=mch.residents["woman"], criteria=["O-PREECLAMPSIA"], request_id=rid(),
            assessment_date=days_ago(2),
        ),
        metadata=mch.md("qs-hosp-doctor"),
    )  # fmt: skip
    assert _get(mch, p).check_42d_tenant == mch.tenant("qs-hosp")
    assert _refused(lambda: _postpartum(mch, p, CHECK, "qs-doctor")) == (
        grpc.StatusCode.FAILED_PRECONDITION, "CHECK_42D_AT_DELIVERY_INSTITUTION",
        {"delivery_tenant": mch.tenant("qs-hosp")},
    )  # fmt: skip
    done = _postpartum(mch, p, CHECK, "qs-hosp-doctor")
    assert done.tenant == mch.tenant("qs-hosp") and done.slot == 7
    assert _get(mch, p).state == pb.PREGNANCY_STATE_CHECK_42D_DONE
    # The hospital records the check only: the home visit stays the centre's.
    assert _refused(lambda: _postpartum(mch, p, HOME, "qs-hosp-doctor"))[0] == (
        grpc.StatusCode.PERMISSION_DENIED
    )


def test_an_abnormal_home_visit_sends_the_check_to_the_delivery_institution(mch: Mch) -> None:
    p = _deliver(mch, delivered=43, discharged=40)
    home = mch.api.RecordPostpartumVisit(
        mpb.RecordPostpartumVisitRequest(
            parent=p.name, kind=HOME, request_id=rid(),
            visit=pb.AntenatalVisit(visit_date=days_ago(37), abnormal_finding="恶露异常"),
        ),
        metadata=mch.md("qs-doctor"),
    )  # fmt: skip
    assert home.abnormal_finding == "恶露异常" and not home.referral
    assert _get(mch, p).check_42d_tenant == mch.tenant("qs-hosp")
    reason = "产妇无法前往分娩医院，上级医师远程指导"
    done = _postpartum(mch, p, CHECK, "qs-doctor", emergency_reason=reason)
    assert done.tenant == mch.tenant("qs-chc") and done.emergency_reason == reason


def test_another_institution_records_no_check(mch: Mch) -> None:
    p = _deliver(mch, delivered=43, discharged=40)
    assert _refused(lambda: _postpartum(mch, p, CHECK, "ts-doctor"))[0] == (
        grpc.StatusCode.PERMISSION_DENIED
    )


def test_the_migration_dates_and_places_earlier_deliveries(mch: Mch) -> None:
    """A database from before the closing: the 42-day check done gives the day after it, a
    delivery without one 85 days after it; the delivering institution is the delivery's."""
    from alembic import command
    from rhip.kit.db import alembic_config
    from rhip.mch.server import MIGRATIONS

    done = _deliver(mch, delivered=50, discharged=45)
    _postpartum(mch, done, CHECK, "qs-doctor")
    waiting = mch.register("woman2", lmp_days_ago=300, registration_date=days_ago(250))
    born = Timestamp()
    born.FromDatetime(datetime.now(UTC) - timedelta(days=20, hours=1))
    mch.api.RecordDelivery(
        mpb.RecordDeliveryRequest(
            delivery=pb.Delivery(
                mother=mch.residents["woman2"], mode=pb.DELIVERY_MODE_VAGINAL,
                delivery_date=clinical_day(born.ToDatetime(tzinfo=UTC)).isoformat(),
                newborns=[_baby(1, birth_time=born)],
            ),
            request_id=rid(),
        ),
        metadata=mch.md("qs-hosp-doctor"),
    )  # fmt: skip
    db = mch.running.cell.part("mch").db
    cfg = alembic_config(MIGRATIONS)
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "mch_0007x")
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")
    got = _get(mch, done)
    assert got.close_date == days_ago(-1) and got.check_42d_tenant == mch.tenant("qs-chc")
    assert got.state == pb.PREGNANCY_STATE_CHECK_42D_DONE
    got = _get(mch, waiting)
    delivered = date.fromisoformat(got.schedule[-1].window_start_date) - timedelta(days=42)
    assert (
        got.close_date == (delivered + timedelta(days=85)).isoformat()
        and got.state == pb.PREGNANCY_STATE_DELIVERED
    )
    mch.api.AssessPregnancyRisk(
        mpb.AssessPregnancyRiskRequest(
            mother=mch.residents["woman2"], criteria=["R-SEVERE-HEART"], request_id=rid()
        ),
        metadata=mch.md("qs-hosp-doctor"),
    )
    assert _get(mch, waiting).check_42d_tenant == mch.tenant("qs-hosp")
