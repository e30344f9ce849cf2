"""The child's link in the master index, delivered through mch's outbox when the cell has its
own account (rhip.mch.certificates.links): the certificate answers before the link, the link
arrives after the commit, once per certificate number however often the request or the send
is repeated, in order per child (a reissue's link after the first one's), and verification
does not wait for it."""

from __future__ import annotations

import time
from collections.abc import Callable

import grpc
import pytest
from mch.bmc_support import Bmc, deliver, issue, make_bmc, police_tenant, service_account
from mch.conftest import Mch, rid
from rhip.api.identity.v1 import resident_pb2
from rhip.api.mch.v1 import birth_certificate_pb2 as bpb
from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb
from rhip.kit import outbox
from rhip.kit.outbox_delivery import Message
from rhip.mch.certificates.links import STREAM, LinkSender, event_id
from support.residents import pb as rpb
from support.residents import stub as resident_stub

C = grpc.StatusCode
BIRTH_CERTIFICATE = resident_pb2.DOCUMENT_TYPE_BIRTH_CERTIFICATE


@pytest.fixture
def mch_env() -> dict[str, str]:
    return {"RHIP_CELL_CLIENT_ID": "cell-320000",
            "RHIP_CELL_CLIENT_SECRET": "cell-secret-0123456789abcdef"}  # fmt: skip


@pytest.fixture
def bmc(mch: Mch) -> Bmc:
    made = make_bmc(mch)
    made.down_to_hospital("X320101001", 10)
    return made


def _links(bmc: Bmc):  # type: ignore[no-untyped-def]
    links = bmc.mch.running.cell.part("mch").links
    assert links is not None, "a cell with its own account delivers the links"
    return links


def _certificates(bmc: Bmc, child: str) -> list[tuple[str, str]]:
    """The birth-certificate documents (number, origin) of ``child`` in the master index."""
    found = resident_stub(bmc.mch.running.channel).GetResident(
        rpb.GetResidentRequest(name=child), metadata=bmc.md("qs-hosp-doctor")
    )
    return sorted((d.number, d.origin) for d in found.documents if d.type == BIRTH_CERTIFICATE)


def _events(bmc: Bmc) -> list[outbox.OutboxEvent]:
    from sqlalchemy import select

    db = bmc.mch.running.cell.part("mch").db
    with db.read() as conn:
        rows = conn.execute(
            select(outbox.outbox_event)
            .where(outbox.outbox_event.c.stream == STREAM)
            .order_by(outbox.outbox_event.c.seq)
        ).all()
    return [outbox.to_event(r) for r in rows]


def _wait(until: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not until():
        assert time.monotonic() < deadline, "the link did not arrive"
        time.sleep(0.05)


def test_the_link_is_delivered_after_the_certificate_commits(bmc: Bmc) -> None:
    links = _links(bmc)
    links.stop()  # held back: the answer must not wait for identity's link
    baby = deliver(bmc.mch).newborns[0]
    c = issue(bmc, baby.name, "X320101001")
    assert c.state == bpb.BIRTH_CERTIFICATE_STATE_VALID and c.child == baby.resident
    assert _certificates(bmc, baby.resident) == []  # not yet in the master index
    [queued] = _events(bmc)
    assert (queued.key, queued.state, queued.payload) == (
        baby.resident.split("/")[1], outbox.EventState.PENDING,
        {"resident": baby.resident.split("/")[1], "number": "X320101001", "replaces": ""},
    )  # fmt: skip
    # Verification reads mch's own rows: authentic before the link arrives.
    police = service_account(bmc.mch, police_tenant(bmc.mch), "公安核验")
    got = bmc.api.VerifyBirthCertificate(
        spb.VerifyBirthCertificateRequest(number="X320101001", child_name="王小明"),
        metadata=police,
    )
    assert got.result == bpb.VERIFICATION_RESULT_AUTHENTIC
    links.start()
    _wait(lambda: _certificates(bmc, baby.resident) == [("X320101001", "newborn_link")])
    _wait(lambda: _events(bmc)[0].state is outbox.EventState.DELIVERED)


def test_retries_of_the_request_and_of_the_send_link_once(bmc: Bmc) -> None:
    links = _links(bmc)
    baby = deliver(bmc.mch).newborns[0]
    key = rid()
    first = issue(bmc, baby.name, "X320101001", key=key)
    again = issue(bmc, baby.name, "X320101001", key=key)  # the same request, retried
    assert again.name == first.name
    _wait(lambda: _certificates(bmc, baby.resident) == [("X320101001", "newborn_link")])
    [event] = _events(bmc)  # one event per certificate number
    assert event.event_id == event_id("X320101001")
    # The send repeated (its first answer lost, a worker that died after sending): identity
    # has the number already, which counts as delivered, and nothing is added.
    links.stop()
    message = _message(event)
    sender = LinkSender(bmc.mch.running.cell.part("mch").certificates.identity)
    assert sender([message]) == [None]  # in a batch
    sender.one(message)  # alone
    assert _certificates(bmc, baby.resident) == [("X320101001", "newborn_link")]


def test_a_reissue_is_linked_after_the_first_number_in_order(bmc: Bmc) -> None:
    links = _links(bmc)
    links.stop()  # both queued before either is sent
    baby = deliver(bmc.mch).newborns[0]
    first = issue(bmc, baby.name, "X320101001")
    new = bmc.api.ReissueBirthCertificate(
        spb.ReissueBirthCertificateRequest(
            name=first.name, number="X320101002", request_id=rid(),
            loss_declaration=bpb.LossDeclaration(newspaper_notice_ref="徐州日报 遗失声明"),
        ),
        metadata=bmc.md("qs-hosp-doctor"),
    )  # fmt: skip
    assert new.supersedes == first.name
    assert [(e.position, e.payload["number"], e.payload["replaces"]) for e in _events(bmc)] == [
        (1, "X320101001", ""), (2, "X320101002", "X320101001"),
    ]  # fmt: skip
    links.run_once()
    assert _certificates(bmc, baby.resident) == [
        ("X320101001", "newborn_link"), ("X320101002", "replaces:X320101001"),
    ]  # fmt: skip


def test_a_link_identity_refuses_is_told_apart_from_its_batch(bmc: Bmc) -> None:
    """identity refuses a batch as a whole (here one link names another child's number): the
    links are then sent one by one, the good ones arrive and the refused one fails for good
    (a dead letter, listed and replayable), not retried for ever."""
    links = _links(bmc)
    links.stop()
    a, b, c = deliver(bmc.mch, 3).newborns
    issue(bmc, a.name, "X320101001")
    issue(bmc, c.name, "X320101002")
    first, good = _events(bmc)
    sender = LinkSender(bmc.mch.running.cell.part("mch").certificates.identity)
    assert sender([_message(first)]) == [None]
    taken = _message(first, {"resident": b.resident.split("/")[1], "number": "X320101001",
                             "replaces": ""})  # fmt: skip
    ok, refused = sender([_message(good), taken])
    assert ok is None and refused is not None
    assert refused.permanent and "BIRTH_CERTIFICATE_TAKEN" in refused.detail
    assert _certificates(bmc, c.resident) == [("X320101002", "newborn_link")]
    assert _certificates(bmc, b.resident) == []


def _message(event: outbox.OutboxEvent, payload: dict | None = None) -> Message:
    return Message(event.event_id, event.stream, event.key, event.position, event.kind,
                   payload or event.payload, event.enqueued_at, event.due_at, 1)  # fmt: skip
