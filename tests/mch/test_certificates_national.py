"""National reporting through the durable outbox (DOMAIN §4.6): every issue, replacement,
reissue and void reaches the national system (here the stand-in receiver of rhip.kit) exactly
once per event id and in order per certificate, also when the receiver was down for a while;
a refused event becomes a dead letter the province's administrators see and replay; voids
undelivered past their due time are listed as overdue."""

from __future__ import annotations

import time
from collections.abc import Iterator

import grpc
import pytest
from mch.bmc_support import PROVINCE, Bmc, deliver, issue, make_bmc, refused
from mch.conftest import Mch, rid
from rhip.api.mch.v1 import birth_certificate_pb2 as bpb
from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb
from rhip.kit.outbox_receiver import StandInReceiver

C = grpc.StatusCode


@pytest.fixture
def receiver() -> Iterator[StandInReceiver]:
    with StandInReceiver() as stand_in:
        yield stand_in


@pytest.fixture
def mch_env(receiver: StandInReceiver) -> dict[str, str]:
    return {
        "RHIP_MCH_BMC_OUTBOX_URL": receiver.url, "RHIP_MCH_BMC_OUTBOX_INTERVAL_MS": "50",
        "RHIP_MCH_BMC_OUTBOX_BACKOFF_SECONDS": "1", "RHIP_MCH_BMC_OUTBOX_MAX_BACKOFF_SECONDS": "1",
        "RHIP_MCH_BMC_OUTBOX_MAX_ATTEMPTS": "3", "RHIP_MCH_BMC_VOID_REPORT_HOURS": "0",
    }  # fmt: skip


@pytest.fixture
def bmc(mch: Mch) -> Bmc:
    made = make_bmc(mch)
    made.down_to_hospital("X320101001", 10)
    return made


def _events(bmc: Bmc, view: int, who: str = "js-admin") -> list[bpb.NationalReportEvent]:
    return list(
        bmc.api.ListNationalReportEvents(
            spb.ListNationalReportEventsRequest(parent=PROVINCE, view=view), metadata=bmc.md(who)
        ).events
    )


def test_every_event_arrives_once_in_order_after_the_receiver_was_down(
    bmc: Bmc, receiver: StandInReceiver
) -> None:
    receiver.down()
    first = issue(bmc, deliver(bmc.mch).newborns[0].name, "X320101001")
    new = bmc.api.ReissueBirthCertificate(
        spb.ReissueBirthCertificateRequest(
            name=first.name, number="X320101002", request_id=rid(),
            loss_declaration=bpb.LossDeclaration(newspaper_notice_ref="徐州日报遗失声明"),
        ),
        metadata=bmc.md("qs-hosp-doctor"),
    )  # fmt: skip
    bmc.api.VoidBirthCertificate(
        spb.VoidBirthCertificateRequest(name=new.name, reason="印章不规范", request_id=rid()),
        metadata=bmc.md("qs-hosp-doctor"),
    )
    # Undelivered voids past their due time (0 h here) are overdue for the province.
    overdue = _events(bmc, spb.NATIONAL_REPORT_VIEW_OVERDUE)
    assert {e.kind for e in overdue} >= {"bmc.reissued", "bmc.voided"}
    receiver.up()
    assert receiver.wait_for(4, timeout=30), receiver.ids()
    assert sorted(receiver.ids()) == sorted([
        "bmc-X320101001-issued", "bmc-X320101001-reissued", "bmc-X320101002-issued",
        "bmc-X320101002-voided",
    ])  # fmt: skip
    assert receiver.out_of_order == []
    assert receiver.positions("X320101001") == [1, 2]
    assert receiver.positions("X320101002") == [1, 2]
    kinds = {r.event_id: r for r in receiver.received}
    assert kinds["bmc-X320101002-issued"].payload["supersedes"] == "X320101001"


def test_a_refused_event_is_a_dead_letter_the_province_replays(
    bmc: Bmc, receiver: StandInReceiver
) -> None:
    receiver.fail(422)  # a permanent refusal: given up at once
    c = issue(bmc, deliver(bmc.mch).newborns[0].name, "X320101001")
    bmc.api.VoidBirthCertificate(
        spb.VoidBirthCertificateRequest(name=c.name, reason="信息错误", request_id=rid()),
        metadata=bmc.md("qs-hosp-doctor"),
    )
    dead: list[bpb.NationalReportEvent] = []
    for _ in range(100):
        dead = _events(bmc, spb.NATIONAL_REPORT_VIEW_DEAD_LETTERS)
        if dead:
            break
        time.sleep(0.1)
    assert [e.event_id for e in dead] == ["bmc-X320101001-issued"]
    assert dead[0].held_behind == 1 and dead[0].certificate == c.name
    for who in ("xz-admin", "qs-admin", "qs-hosp-doctor"):
        refused(lambda w=who: _events(bmc, spb.NATIONAL_REPORT_VIEW_DEAD_LETTERS, w),
                C.PERMISSION_DENIED)  # fmt: skip
    receiver.healthy()
    replay = spb.ReplayNationalReportEventsRequest(parent=PROVINCE)
    refused(lambda: bmc.api.ReplayNationalReportEvents(replay, metadata=bmc.md("xz-admin")),
            C.PERMISSION_DENIED)  # fmt: skip
    done = bmc.api.ReplayNationalReportEvents(replay, metadata=bmc.md("js-admin"))
    assert list(done.event_ids) == ["bmc-X320101001-issued"]
    assert receiver.wait_for(2, timeout=30), receiver.ids()
    assert receiver.positions("X320101001") == [1, 2]


def test_a_negative_page_size_is_invalid(bmc: Bmc) -> None:
    refused(
        lambda: bmc.api.ListNationalReportEvents(
            spb.ListNationalReportEventsRequest(parent=PROVINCE, page_size=-1),
            metadata=bmc.md("js-admin"),
        ),
        C.INVALID_ARGUMENT,
        "PAGE_SIZE_NEGATIVE",
    )
