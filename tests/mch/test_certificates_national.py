"""National reporting through the durable outbox (DOMAIN §4.6): every issue, replacement,
reissue and void, and every blank voided or lost (§4.4), reaches the national system (here the stand-in receiver of rhip.kit) exactly
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


def test_blank_voids_and_losses_are_reported_once_per_serial_within_the_void_window(
    bmc: Bmc, receiver: StandInReceiver
) -> None:
    """DOMAIN §4.3–4.4: void and lost blanks are registered by number and reported upward
    (Hubei: within 2 hours, RHIP_MCH_BMC_VOID_REPORT_HOURS; 0 here, so at once overdue)."""
    receiver.down()
    void = spb.VoidBlankSerialRequest(name="blankSerials/X320101004", reason="卡纸",
                                      witness="王芳", request_id=rid())  # fmt: skip
    bmc.api.VoidBlankSerial(void, metadata=bmc.md("qs-hosp-doctor"))
    bmc.api.VoidBlankSerial(void, metadata=bmc.md("qs-hosp-doctor"))  # a retry: no new event
    lost = spb.ReportBlankSerialsLostRequest(
        holder=bmc.hosp, first_serial="X320101009", quantity=2, police_report_ref="泉公报2026-9",
        newspaper_notice_ref="徐州日报作废声明", request_id=rid(),
    )  # fmt: skip
    bmc.api.ReportBlankSerialsLost(lost, metadata=bmc.md("qs-hosp-doctor"))
    # A refused void (the serial is void already) queues nothing.
    again = spb.VoidBlankSerialRequest(name="blankSerials/X320101004", reason="again",
                                       witness="王芳", request_id=rid())  # fmt: skip
    refused(lambda: bmc.api.VoidBlankSerial(again, metadata=bmc.md("qs-hosp-doctor")),
            C.FAILED_PRECONDITION, "BMC_SERIAL_NOT_AVAILABLE")  # fmt: skip
    overdue = {e.event_id: e for e in _events(bmc, spb.NATIONAL_REPORT_VIEW_OVERDUE)}
    expected = ["bmc-X320101004-blank-voided", "bmc-X320101009-blank-lost",
                "bmc-X320101010-blank-lost"]  # fmt: skip
    assert sorted(overdue) == expected
    assert overdue[expected[0]].certificate == "blankSerials/X320101004"
    assert overdue[expected[0]].kind == "bmc.blank_voided"
    assert overdue[expected[1]].kind == "bmc.blank_lost"
    receiver.up()
    assert receiver.wait_for(3, timeout=30), receiver.ids()
    time.sleep(0.3)  # nothing more comes
    assert sorted(receiver.ids()) == expected
    assert receiver.out_of_order == []
    for serial in ("X320101004", "X320101009", "X320101010"):
        assert receiver.positions(serial) == [1]
    got = {r.event_id: r.payload for r in receiver.received}
    voided = got["bmc-X320101004-blank-voided"]
    assert (voided["serial"], voided["reason"], voided["witness"], voided["holder"]) == (
        "X320101004", "卡纸", "王芳", bmc.hosp)  # fmt: skip
    gone = got["bmc-X320101010-blank-lost"]
    assert (gone["serial"], gone["first_serial"], gone["quantity"]) == ("X320101010",
                                                                        "X320101009", 2)  # fmt: skip
    assert gone["police_report_ref"] == "泉公报2026-9"
