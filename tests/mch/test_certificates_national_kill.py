"""National reporting survives a kill -9 of the cell mid-delivery (issue #15): the mch server
that delivers the national birth-certificate reports is a real process, killed while the
stand-in national system (rhip.kit.outbox_receiver) holds one of its POSTs; after a restart
every event arrives, once per event id, in order per certificate, and nothing stays pending.

The certificates are issued through a cell in this test process that has no national
endpoint (it only writes the outbox, in the certificate's own transaction); the process under
test runs mch alone on the same databases, as a dedicated delivery replica would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mch.bmc_support import PROVINCE, Bmc, deliver, issue, make_bmc
from mch.conftest import Mch, rid
from rhip.api.mch.v1 import birth_certificate_pb2 as bpb
from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb
from rhip.kit.outbox_receiver import StandInReceiver
from support.cells import RunningCell
from support.platform import free_port, wait_healthy


@pytest.fixture
def receiver() -> Iterator[StandInReceiver]:
    with StandInReceiver() as stand_in:
        yield stand_in


def _issue_three_with_a_reissue_and_a_void(bmc: Bmc) -> list[str]:
    """Five events on three certificates; the event ids the national system must get."""
    newborns = deliver(bmc.mch, babies=3).newborns
    first, second, _ = (issue(bmc, n.name, f"X32010100{i + 1}") for i, n in enumerate(newborns))
    bmc.api.ReissueBirthCertificate(
        spb.ReissueBirthCertificateRequest(
            name=first.name, number="X320101004", request_id=rid(),
            loss_declaration=bpb.LossDeclaration(newspaper_notice_ref="徐州日报遗失声明"),
        ),
        metadata=bmc.md("qs-hosp-doctor"),
    )  # fmt: skip
    bmc.api.VoidBirthCertificate(
        spb.VoidBirthCertificateRequest(name=second.name, reason="印章不规范", request_id=rid()),
        metadata=bmc.md("qs-hosp-doctor"),
    )
    return sorted([
        "bmc-X320101001-issued", "bmc-X320101001-reissued", "bmc-X320101002-issued",
        "bmc-X320101002-voided", "bmc-X320101003-issued", "bmc-X320101004-issued",
    ])  # fmt: skip


def _start_delivering_replica(
    running: RunningCell, receiver: StandInReceiver, log: Path
) -> tuple[subprocess.Popen[bytes], str]:
    address = f"127.0.0.1:{free_port()}"
    env = {
        **os.environ, **running.cell.settings.env, "RHIP_LISTEN": address,
        "RHIP_IDENTITY_ADDRESS": f"127.0.0.1:{running.cell.port}",
        "RHIP_MCH_BMC_OUTBOX_URL": receiver.url, "RHIP_MCH_BMC_OUTBOX_INTERVAL_MS": "50",
        "RHIP_MCH_BMC_OUTBOX_BACKOFF_SECONDS": "1",
        "RHIP_MCH_BMC_OUTBOX_MAX_BACKOFF_SECONDS": "1",
        # A send may take 3 s (the held POST takes 2), so the killed replica's claims lapse
        # after 9 s (OutboxSettings.lease_seconds) and the new one sends them again.
        "RHIP_MCH_BMC_OUTBOX_TIMEOUT_SECONDS": "3",
    }  # fmt: skip
    argv = [sys.executable, "-m", "rhip.cli", "serve", "--services", "mch"]
    with log.open("ab") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    return process, address


def test_a_cell_killed_mid_delivery_loses_nothing_and_sends_each_event_once(
    mch: Mch, running: RunningCell, receiver: StandInReceiver, tmp_path: Path
) -> None:
    bmc = make_bmc(mch)
    bmc.down_to_hospital("X320101001", 10)
    expected = _issue_three_with_a_reissue_and_a_void(bmc)
    assert receiver.ids() == []  # the issuing cell has no endpoint: all still in the outbox

    # Each POST is held for two seconds before the receiver records it: the kill below lands
    # while the replica waits for an answer, after it sent and before it recorded the send.
    receiver.slow(2.0)
    log = tmp_path / "replica.log"
    process, address = _start_delivering_replica(running, receiver, log)
    try:
        wait_healthy(address, process)
        # A POST held: the replica has sent it and waits for the answer when it dies.
        assert receiver.wait_for_arrivals(1, timeout=60), log.read_text()[-2000:]
        process.kill()  # SIGKILL: no clean shutdown, its claims left behind
        process.wait(timeout=20)

        receiver.healthy()
        process, address = _start_delivering_replica(running, receiver, log)
        wait_healthy(address, process)
        assert receiver.wait_for(len(expected), timeout=60), (receiver.ids(), log.read_text())
    finally:
        process.kill()
        process.wait(timeout=20)

    assert sorted(receiver.ids()) == expected  # every event, each id accepted once
    # The POST held at the kill did reach the national system; the new replica, which could
    # not know, sent it again under the same id, and the receiver answered "already have it".
    assert receiver.duplicates >= 1
    assert receiver.out_of_order == []
    assert receiver.positions("X320101001") == [1, 2]
    assert receiver.positions("X320101002") == [1, 2]
    # Nothing overdue or dead is left for the province (voids are due within 2 hours).
    for view in (spb.NATIONAL_REPORT_VIEW_OVERDUE, spb.NATIONAL_REPORT_VIEW_DEAD_LETTERS):
        left = bmc.api.ListNationalReportEvents(
            spb.ListNationalReportEventsRequest(parent=PROVINCE, view=view),
            metadata=bmc.md("js-admin"),
        )
        assert list(left.events) == []
