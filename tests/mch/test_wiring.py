"""mch as a module: in every all-in-one cell, and alone in its own process reaching identity
over gRPC (tokens, policy from the identity database, residents, qualifications, newborn
registration), on the same databases as the all-in-one cell."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from conftest import make_settings
from google.protobuf.timestamp_pb2 import Timestamp
from mch.conftest import Mch, days_ago, rid
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import mch_service_pb2_grpc
from rhip.api.mch.v1 import pregnancy_pb2 as pb
from rhip.cell import build_cell, resolve_services
from rhip.kit.timestamps import clinical_day


def test_all_services_include_mch() -> None:
    assert "mch" in resolve_services("all")
    assert resolve_services("mch") == ("mch",)


def test_mch_in_its_own_process_reaches_identity_over_grpc(
    mch: Mch, tmp_path: Path, database_url: str, mch_urls: tuple[str, str]
) -> None:
    archives_url, mch_url = mch_urls
    settings = make_settings(
        tmp_path / "second",
        database_url,
        RHIP_ARCHIVES_DATABASE_URL=archives_url,
        RHIP_MCH_DATABASE_URL=mch_url,
        RHIP_IDENTITY_ADDRESS=f"127.0.0.1:{mch.running.cell.port}",
    )
    cell = build_cell(settings, ("mch",))
    port = cell.start("127.0.0.1:0")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            api = mch_service_pb2_grpc.MchServiceStub(channel)
            registered = api.RegisterPregnancy(
                mpb.RegisterPregnancyRequest(
                    resident=mch.residents["woman"], handbook_number="HB-ALONE-1",
                    lmp_date=days_ago(270), registration_date=days_ago(200), request_id=rid(),
                ),
                metadata=mch.md("qs-doctor"),
            )  # fmt: skip
            born = Timestamp()
            born.FromDatetime(datetime.now(UTC) - timedelta(hours=1))
            delivery = api.RecordDelivery(
                mpb.RecordDeliveryRequest(
                    delivery=pb.Delivery(
                        mother=mch.residents["woman"],
                        delivery_date=clinical_day(born.ToDatetime(tzinfo=UTC)).isoformat(),
                        mode=pb.DELIVERY_MODE_VAGINAL,
                        newborns=[
                            pb.Newborn(
                                birth_order=1, sex=pb.NEWBORN_SEX_FEMALE, birth_time=born,
                                weight_g=3100, live_birth=True,
                            )
                        ],
                    ),
                    request_id=rid(),
                ),
                metadata=mch.md("qs-hosp-doctor"),
            )  # fmt: skip
            assert delivery.pregnancy == registered.name and delivery.newborns[0].resident
        # The all-in-one cell's mch sees the same data.
        got = mch.api.GetPregnancy(
            mpb.GetPregnancyRequest(name=registered.name), metadata=mch.md("qs-doctor")
        )
        assert got.state == pb.PREGNANCY_STATE_DELIVERED
    finally:
        cell.stop(0)
