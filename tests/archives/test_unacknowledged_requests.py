"""A cross-cell request the source cell never acknowledged leaves nothing behind (issue 5):
a refusal abandons it at once; a lost answer without a request id is withdrawn at the source
in the same request; a source still unreachable is withdrawn by the destination's sweep once
it is back, and an open still on its way afterwards opens nothing. The institution sees
ABANDONED with the reason."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import grpc
from archives.two_cells import TIMEOUT, TwoCells, _get, _record_in_xuzhou, _request, tenant_of
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.archives.repository import ArchivesRepository
from rhip.archives.transfers.domain import TransferState
from rhip.archives.transfers.evidence import CONSENT_FORM, Evidence
from rhip.kit.authn import acting_as
from rhip.kit.errors import Unavailable
from support.errors import expect_error
from support.residents import XUZHOU_MAN, document

Metadata = list[tuple[str, str]]


def _inbound(t: TwoCells, zz: Metadata) -> list[apb.RecordTransfer]:
    """The Zaozhuang institution's transfers, as it sees them."""
    request = apb.ListRecordTransfersRequest(parent=f"tenants/{tenant_of(zz)}")
    return list(t.api.ListRecordTransfers(request, metadata=zz, timeout=TIMEOUT).transfers)


@contextmanager
def _patched(obj: Any, name: str, replacement: Callable[..., Any]) -> Iterator[None]:
    real = getattr(obj, name)
    setattr(obj, name, replacement(real))
    try:
        yield
    finally:
        setattr(obj, name, real)


def _unreachable(real: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        raise Unavailable("the source cell cannot be reached")

    return call


def _answer_lost(real: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)  # the source opens it and commits
        raise Unavailable("the answer was lost")

    return call


def _xuzhou_record(t: TwoCells, name: str) -> rec.HealthRecord:
    return t.api.GetHealthRecord(
        apb.GetHealthRecordRequest(name=name), metadata=t.md("xz-doctor-1", "320300")
    )


def test_a_refused_open_is_abandoned_at_once_with_the_source_reason(two_cells: TwoCells) -> None:
    t = two_cells
    zz = t.md("zz-doctor-1", "370400")
    # The resident has no record in Xuzhou: the source cell refuses to open anything.
    expect_error(
        lambda: _request(t, zz, request_id=""), grpc.StatusCode.NOT_FOUND, "RECORD_NOT_FOUND"
    )
    [abandoned] = _inbound(t, zz)
    assert abandoned.state == apb.TRANSFER_STATE_ABANDONED
    assert abandoned.abandon_reason == "RECORD_NOT_FOUND"


def test_a_lost_answer_without_request_id_is_withdrawn_in_the_same_request(
    two_cells: TwoCells,
) -> None:
    t = two_cells
    xz, zz = t.md("xz-doctor-1", "320300"), t.md("zz-doctor-1", "370400")
    record = _record_in_xuzhou(t, xz)
    zaozhuang = t.cells["370000"].cell.part("archives").usecases.cells
    with _patched(zaozhuang, "open_transfer", _answer_lost):
        expect_error(lambda: _request(t, zz, request_id=""), grpc.StatusCode.UNAVAILABLE)
    [abandoned] = _inbound(t, zz)
    assert abandoned.state == apb.TRANSFER_STATE_ABANDONED
    assert abandoned.abandon_reason == "SOURCE_UNREACHABLE"
    # The source opened it, then released the record when the request was withdrawn.
    at_source = _get(t, abandoned.name, xz)
    assert at_source.state == apb.TRANSFER_STATE_ABANDONED
    assert _xuzhou_record(t, record.name).state == rec.RECORD_STATE_ACTIVE
    # Nothing is stuck: the resident can be asked for again (the source holds it for it).
    again = _request(t, zz, str(uuid.uuid4()))
    assert again.state == apb.TRANSFER_STATE_PENDING
    assert _get(t, again.name, xz).record == record.name


def test_an_unreachable_source_is_withdrawn_by_the_sweep_and_a_late_open_opens_nothing(
    two_cells: TwoCells,
) -> None:
    t = two_cells
    xz, zz = t.md("xz-doctor-1", "320300"), t.md("zz-doctor-1", "370400")
    record = _record_in_xuzhou(t, xz)
    archives = t.cells["370000"].cell.part("archives")
    zaozhuang = archives.usecases.cells
    with (
        _patched(zaozhuang, "open_transfer", _unreachable),
        _patched(zaozhuang, "withdraw_transfer", _unreachable),
    ):
        expect_error(lambda: _request(t, zz, request_id=""), grpc.StatusCode.UNAVAILABLE)
        [waiting] = _inbound(t, zz)
        assert waiting.state == apb.TRANSFER_STATE_PENDING and waiting.record == ""
        assert archives.sweeper is not None
        moved_on = archives.usecases.clock() + timedelta(minutes=11)
        archives.usecases.clock = lambda: moved_on
        assert archives.sweeper.sweep() == 0  # still unreachable: asked again next time
    assert _get(t, waiting.name, zz).state == apb.TRANSFER_STATE_PENDING
    archives.usecases.clock = lambda: moved_on - timedelta(minutes=9)
    assert archives.sweeper.sweep() == 0  # the source is back, but the request is too fresh
    archives.usecases.clock = lambda: moved_on
    assert archives.sweeper.sweep() == 1
    settled = _get(t, waiting.name, zz)
    assert settled.state == apb.TRANSFER_STATE_ABANDONED
    assert settled.abandon_reason == "SOURCE_NEVER_ACKNOWLEDGED"
    assert archives.sweeper.sweep() == 0
    # The open was still on its way: it arrives after the withdrawal and opens nothing.
    with archives.usecases.db.read() as conn:
        stored = ArchivesRepository(conn).transfer(waiting.name.removeprefix("recordTransfers/"))
    assert stored is not None
    with acting_as(None, zz[0][1].removeprefix("Bearer ")):
        late = zaozhuang.open_transfer(
            "320311", stored, document(XUZHOU_MAN), "张三", Evidence(CONSENT_FORM, "F-1")
        )
    assert late.state is TransferState.ABANDONED  # the client answers in domain terms
    assert _xuzhou_record(t, record.name).state == rec.RECORD_STATE_ACTIVE
