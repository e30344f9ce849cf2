"""A woman who moves has her open pregnancy's management moved to another institution of the
cell (DOMAIN §3.1), as a child's record moves: the managing institution names the pregnancy and
the institution she goes to, or the institution she came to names the woman; the other side
accepts or declines with a reason, the side that asked may withdraw it while pending (her
pregnancy shows it meanwhile, to those who read the pregnancy); one open transfer per
pregnancy, a retry with the same request id returns the same transfer. On
acceptance the overdue lists (per institution and per family-doctor team) and her reads show
the new institution, earlier visits keep the institution that made them, the per-institution
counts move, the timeline re-scopes her entries and records the move; the source keeps the
transfer as its trace. The target must be an active health institution of the cell, and only
an open pregnancy moves (checked again at the acceptance). Isolation and bad input."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from archives.helpers import complete_form
from mch import timeline_support
from mch.bmc_support import police_tenant
from mch.conftest import Mch, add_hospital, days_ago, error_reason, rid
from mch.test_team_overdue import Teams
from mch.timeline_support import timeline, wait
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.identity.v1 import identity_service_pb2 as ipb
from rhip.api.identity.v1 import qualification_service_pb2 as qpb
from rhip.api.mch.v1 import indicators_pb2 as ipbm
from rhip.api.mch.v1 import mch_service_pb2 as mpb
from rhip.api.mch.v1 import pregnancy_pb2 as pb
from rhip.api.mch.v1 import pregnancy_transfer_pb2 as tpb
from rhip.identity.directory.domain import TenantLevel, TenantType
from support.errors import expect_error

fed_cell, fed = timeline_support.fed_cell, timeline_support.fed
PENDING = tpb.PREGNANCY_TRANSFER_STATE_PENDING
ACCEPTED = tpb.PREGNANCY_TRANSFER_STATE_ACCEPTED
DECLINED = tpb.PREGNANCY_TRANSFER_STATE_DECLINED
WITHDRAWN = tpb.PREGNANCY_TRANSFER_STATE_WITHDRAWN
SOURCE = tpb.PREGNANCY_TRANSFER_PARTY_SOURCE
TARGET = tpb.PREGNANCY_TRANSFER_PARTY_TARGET
SECOND = "泉山区第二社区卫生服务中心"
DENIED, FAILED = grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.FAILED_PRECONDITION
INVALID = grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture
def mch_env() -> dict[str, str]:
    # The target institution is looked up with the cell's own account.
    return {
        "RHIP_CELL_CLIENT_ID": timeline_support.CELL_ID,
        "RHIP_CELL_CLIENT_SECRET": timeline_support.CELL_SECRET,
    }


def _second_centre(mch: Mch) -> None:
    """Another community health centre of Quanshan (qs-chc2, its clinician qs-chc2-doctor)."""
    add_hospital(
        mch.running, mch.world, "qs-chc2", name=SECOND,
        kind=TenantType.COMMUNITY_HEALTH_CENTER, level=TenantLevel.PRIMARY,
    )  # fmt: skip


@pytest.fixture
def moving(mch: Mch) -> Mch:
    _second_centre(mch)
    return mch


def _ask(
    mch: Mch, pregnancy: str = "", target: str = "qs-chc2", who: str = "qs-doctor", **fields
) -> tpb.PregnancyTransfer:  # type: ignore[no-untyped-def]
    values = {"reason": "she moved to her mother's home", "request_id": rid(), **fields}
    if pregnancy:
        values.setdefault("pregnancy", pregnancy)
        values.setdefault("target_tenant", mch.tenant(target) if target else "")
    return mch.api.RequestPregnancyTransfer(
        mpb.RequestPregnancyTransferRequest(**values), metadata=mch.md(who)
    )


def _accept(mch: Mch, name: str, who: str = "qs-chc2-doctor") -> tpb.PregnancyTransfer:
    return mch.api.AcceptPregnancyTransfer(
        mpb.AcceptPregnancyTransferRequest(name=name), metadata=mch.md(who)
    )


def _decline(mch: Mch, name: str, reason: str, who: str = "qs-chc2-doctor"):  # type: ignore[no-untyped-def]
    return mch.api.DeclinePregnancyTransfer(
        mpb.DeclinePregnancyTransferRequest(name=name, reason=reason), metadata=mch.md(who)
    )


def _withdraw(mch: Mch, name: str, reason: str, who: str = "qs-doctor"):  # type: ignore[no-untyped-def]
    return mch.api.WithdrawPregnancyTransfer(
        mpb.WithdrawPregnancyTransferRequest(name=name, reason=reason), metadata=mch.md(who)
    )


def _get(mch: Mch, name: str, who: str) -> pb.Pregnancy:
    return mch.api.GetPregnancy(mpb.GetPregnancyRequest(name=name), metadata=mch.md(who))


def _overdue(mch: Mch, tenant: str, who: str) -> list[str]:
    listed = mch.api.ListPregnancies(
        mpb.ListPregnanciesRequest(parent=mch.tenant(tenant), overdue_only=True),
        metadata=mch.md(who),
    )
    return [p.name for p in listed.pregnancies]


def _transfers(mch: Mch, tenant: str, who: str) -> list[tuple[str, int]]:
    listed = mch.api.ListPregnancyTransfers(
        mpb.ListPregnancyTransfersRequest(parent=mch.tenant(tenant)), metadata=mch.md(who)
    )
    return [(t.name, t.state) for t in listed.transfers]


def _registrations(mch: Mch, tenant: str) -> tuple[int, int]:
    """The institution's early-registration rate (numerator, denominator)."""
    got = mch.api.GetMchIndicators(
        ipbm.GetMchIndicatorsRequest(parent=mch.tenant(tenant)), metadata=mch.md("xz-admin")
    )
    rate = next(
        i for i in got.indicators if i.kind == ipbm.MCH_INDICATOR_KIND_EARLY_REGISTRATION_RATE
    )
    return rate.numerator, rate.denominator


def _overdue_woman(mch: Mch, who: str = "woman") -> pb.Pregnancy:
    """Registered at the Quanshan centre at 13w0d, now 23w: her 2nd window closed unvisited."""
    return mch.register(who, lmp_days_ago=161, registration_date=days_ago(70))


def test_an_accepted_transfer_moves_her_pregnancy_with_its_overdue_place(moving: Mch) -> None:
    mch = moving
    p = _overdue_woman(mch)
    asked = _ask(mch, p.name)
    assert (asked.state, asked.requested_by) == (PENDING, SOURCE)
    assert (asked.source_tenant, asked.target_tenant) == (
        mch.tenant("qs-chc"),
        mch.tenant("qs-chc2"),
    )
    assert asked.pregnancy == p.name and asked.target_tenant_display_name == SECOND
    # Until accepted she stays at the centre: its overdue list, its reads.
    assert _overdue(mch, "qs-chc", "qs-doctor") == [p.name]
    expect_error(lambda: _get(mch, p.name, "qs-chc2-doctor"), DENIED)
    assert _registrations(mch, "qs-chc") == (0, 1) and _registrations(mch, "qs-chc2") == (0, 0)

    done = _accept(mch, asked.name)
    assert done.state == ACCEPTED and done.HasField("decide_time")
    seen = _get(mch, p.name, "qs-chc2-doctor")
    assert (
        seen.managing_tenant == mch.tenant("qs-chc2") and seen.handbook_number == p.handbook_number
    )
    expect_error(lambda: _get(mch, p.name, "qs-doctor"), DENIED)
    assert _overdue(mch, "qs-chc", "qs-admin") == []
    assert _overdue(mch, "qs-chc2", "qs-chc2-doctor") == [p.name]
    # Her counts follow her (kept on write, as a recount would find them).
    assert _registrations(mch, "qs-chc") == (0, 0) and _registrations(mch, "qs-chc2") == (0, 1)
    # The registration check stays the centre's; the new centre writes from now on.
    mch.grant("qs-chc2", qpb.QUALIFICATION_KIND_MIDWIFERY)
    mch.api.RecordAntenatalVisit(
        mpb.RecordAntenatalVisitRequest(
            parent=p.name, visit=pb.AntenatalVisit(visit_date=days_ago(0)), request_id=rid()
        ),
        metadata=mch.md("qs-chc2-doctor"),
    )
    visits = mch.api.ListAntenatalVisits(
        mpb.ListAntenatalVisitsRequest(parent=p.name), metadata=mch.md("qs-chc2-doctor")
    ).visits
    assert [v.tenant for v in visits] == [mch.tenant("qs-chc"), mch.tenant("qs-chc2")]
    assert _overdue(mch, "qs-chc2", "qs-chc2-doctor") == []
    # The centre keeps the transfer as its trace (not the pregnancy).
    assert _transfers(mch, "qs-chc", "qs-doctor") == [(asked.name, ACCEPTED)]
    trace = mch.api.GetPregnancyTransfer(
        mpb.GetPregnancyTransferRequest(name=asked.name), metadata=mch.md("qs-doctor")
    )
    assert trace.state == ACCEPTED and trace.reason == "she moved to her mother's home"


def test_the_institution_she_came_to_asks_and_the_managing_one_answers(moving: Mch) -> None:
    mch = moving
    p = mch.register("woman", lmp_days_ago=70)
    asked = _ask(mch, resident=mch.residents["woman"], who="qs-chc2-doctor")
    assert (asked.state, asked.requested_by, asked.pregnancy) == (PENDING, TARGET, p.name)
    assert (asked.source_tenant, asked.target_tenant) == (
        mch.tenant("qs-chc"),
        mch.tenant("qs-chc2"),
    )
    # Who asked does not answer; the side that was asked does not withdraw.
    expect_error(lambda: _accept(mch, asked.name, "qs-chc2-doctor"), DENIED, "SOURCE_ONLY")
    expect_error(lambda: _decline(mch, asked.name, "x", "qs-chc2-doctor"), DENIED, "SOURCE_ONLY")
    expect_error(lambda: _withdraw(mch, asked.name, "x", "qs-doctor"), DENIED, "TARGET_ONLY")
    done = _accept(mch, asked.name, "qs-doctor")
    assert done.state == ACCEPTED
    assert _get(mch, p.name, "qs-chc2-doctor").managing_tenant == mch.tenant("qs-chc2")
    # Her institution now: asking for her again is no transfer; a woman without an open
    # pregnancy has none to move.
    expect_error(
        lambda: _ask(mch, resident=mch.residents["woman"], who="qs-chc2-doctor"),
        FAILED, "ALREADY_MANAGED",
    )  # fmt: skip
    expect_error(
        lambda: _ask(mch, resident=mch.residents["woman2"], who="qs-chc2-doctor"),
        FAILED, "NO_OPEN_PREGNANCY",
    )  # fmt: skip


def test_only_the_side_asked_answers_and_only_the_asker_withdraws(moving: Mch) -> None:
    mch = moving
    p = mch.register("woman", lmp_days_ago=70)
    asked = _ask(mch, p.name)
    expect_error(lambda: _accept(mch, asked.name, "qs-doctor"), DENIED, "TARGET_ONLY")
    expect_error(lambda: _decline(mch, asked.name, "x", "qs-doctor"), DENIED, "TARGET_ONLY")
    expect_error(lambda: _withdraw(mch, asked.name, "x", "qs-chc2-doctor"), DENIED, "SOURCE_ONLY")
    expect_error(lambda: _decline(mch, asked.name, " "), INVALID, "REASON_REQUIRED", "reason")
    declined = _decline(mch, asked.name, "she is not in our area")
    assert declined.state == DECLINED and declined.decline_reason == "she is not in our area"
    assert _decline(mch, asked.name, "she is not in our area").state == DECLINED  # a retry
    expect_error(lambda: _accept(mch, asked.name), FAILED, "TRANSFER_STATE")
    assert _get(mch, p.name, "qs-doctor").managing_tenant == mch.tenant("qs-chc")
    # Asked again (the one open transfer was freed), then withdrawn by the centre.
    again = _ask(mch, p.name)
    expect_error(lambda: _withdraw(mch, again.name, ""), INVALID, "REASON_REQUIRED", "reason")
    withdrawn = _withdraw(mch, again.name, "she stayed")
    assert (withdrawn.state, withdrawn.withdraw_reason) == (WITHDRAWN, "she stayed")
    assert _withdraw(mch, again.name, "she stayed").state == WITHDRAWN  # a retry
    expect_error(lambda: _accept(mch, again.name), FAILED, "TRANSFER_STATE")
    assert _get(mch, p.name, "qs-doctor").managing_tenant == mch.tenant("qs-chc")
    assert {s for _, s in _transfers(mch, "qs-chc2", "qs-chc2-doctor")} == {DECLINED, WITHDRAWN}


def _shown(mch: Mch, name: str, who: str = "qs-doctor") -> tuple[str, str, str] | None:
    """The open transfer her pregnancy shows to ``who``: (transfer, target, target's name)."""
    got = _get(mch, name, who)
    if not got.HasField("pending_transfer"):
        return None
    t = got.pending_transfer
    return t.transfer, t.target_tenant, t.target_tenant_display_name


def _listed(mch: Mch, tenant: str, who: str) -> dict[str, str]:
    """Each pregnancy of the institution's list page and the open transfer it shows."""
    listed = mch.api.ListPregnancies(
        mpb.ListPregnanciesRequest(parent=mch.tenant(tenant)), metadata=mch.md(who)
    )
    return {p.name: p.pending_transfer.transfer for p in listed.pregnancies}


def test_her_pregnancy_shows_its_open_transfer_to_its_side_until_it_is_answered(
    moving: Mch,
) -> None:
    mch = moving
    p = mch.register("woman", lmp_days_ago=70)
    other = mch.register("woman2", lmp_days_ago=70)
    assert _shown(mch, p.name) is None
    asked = _ask(mch, p.name)
    # The pregnancy's side — the managing centre and the county above it — sees where she is
    # going, on the pregnancy and on the list page (the other woman shows nothing).
    assert _shown(mch, p.name) == (asked.name, mch.tenant("qs-chc2"), SECOND)
    for who in ("qs-doctor", "qs-admin"):
        assert _listed(mch, "qs-chc", who) == {p.name: asked.name, other.name: ""}
    # The target reads the transfer, not her pregnancy, until it accepts.
    expect_error(lambda: _get(mch, p.name, "qs-chc2-doctor"), DENIED)
    assert _listed(mch, "qs-chc2", "qs-chc2-doctor") == {}
    assert _transfers(mch, "qs-chc2", "qs-chc2-doctor") == [(asked.name, PENDING)]
    # Withdrawn: nothing open any more.
    _withdraw(mch, asked.name, "she stayed")
    assert _shown(mch, p.name) is None
    assert _listed(mch, "qs-chc", "qs-doctor") == {p.name: "", other.name: ""}
    # Asked again and accepted: the new centre reads her pregnancy with nothing open, the old
    # one no longer reads it.
    again = _ask(mch, p.name)
    assert _shown(mch, p.name) == (again.name, mch.tenant("qs-chc2"), SECOND)
    _accept(mch, again.name)
    assert _shown(mch, p.name, "qs-chc2-doctor") is None
    assert _listed(mch, "qs-chc2", "qs-chc2-doctor") == {p.name: ""}
    expect_error(lambda: _get(mch, p.name, "qs-doctor"), DENIED)


def test_a_transfer_the_institution_she_came_to_asks_shows_on_her_pregnancy_until_declined(
    moving: Mch,
) -> None:
    mch = moving
    p = mch.register("woman", lmp_days_ago=70)
    woman = mch.residents["woman"]
    asked = _ask(mch, resident=woman, who="qs-chc2-doctor")
    # The managing centre, which is to answer, sees who asked for her.
    assert _shown(mch, p.name) == (asked.name, mch.tenant("qs-chc2"), SECOND)
    assert _listed(mch, "qs-chc", "qs-doctor") == {p.name: asked.name}
    # Neither the asker nor a third institution asking for her reads her pregnancy.
    for who in ("qs-chc2-doctor", "qs-hosp-doctor"):
        expect_error(lambda who=who: _get(mch, p.name, who), DENIED)
    expect_error(lambda: _ask(mch, resident=woman, who="qs-hosp-doctor"), FAILED)
    _decline(mch, asked.name, "she is still our patient", "qs-doctor")
    assert _shown(mch, p.name) is None
    assert _listed(mch, "qs-chc", "qs-doctor") == {p.name: ""}


def test_one_open_transfer_per_pregnancy_and_retries_do_it_once(moving: Mch) -> None:
    mch = moving
    p = mch.register("woman", lmp_days_ago=70)
    key = rid()
    asked = _ask(mch, p.name, request_id=key)
    assert _ask(mch, p.name, request_id=key).name == asked.name  # the same request again
    error = expect_error(lambda: _ask(mch, p.name, target="qs-hosp"), FAILED, "TRANSFER_PENDING")
    assert error.metadata["transfer"] == asked.name
    assert error.metadata["target_tenant"] == mch.tenant("qs-chc2")
    # Another institution asking for her learns of the open transfer, not where it goes.
    error = expect_error(
        lambda: _ask(mch, resident=mch.residents["woman"], who="qs-hosp-doctor"),
        FAILED, "TRANSFER_PENDING",
    )  # fmt: skip
    assert "target_tenant" not in error.metadata
    first = _accept(mch, asked.name)
    assert _accept(mch, asked.name) == first  # a retry: she moved once
    assert _transfers(mch, "qs-chc", "qs-doctor") == [(asked.name, ACCEPTED)]


def test_racing_requests_and_accepts_move_her_once(moving: Mch) -> None:
    mch = moving
    p = mch.register("woman", lmp_days_ago=70)
    woman = mch.residents["woman"]
    asks = [
        lambda: _ask(mch, p.name),
        lambda: _ask(mch, p.name, target="qs-hosp"),
        lambda: _ask(mch, resident=woman, who="qs-chc2-doctor"),
        lambda: _ask(mch, resident=woman, who="qs-hosp-doctor"),
    ] * 2
    start = threading.Barrier(len(asks))

    def race(ask) -> tuple[str, str]:  # type: ignore[no-untyped-def]
        start.wait()
        try:
            return "OK", ask().name
        except grpc.RpcError as error:
            return error.code().name, error_reason(error)

    with ThreadPoolExecutor(len(asks)) as pool:
        outcomes = list(pool.map(race, asks))
    won = [name for code, name in outcomes if code == "OK"]
    assert len(won) == 1, outcomes
    assert sorted(o for o in outcomes if o[0] != "OK") == [
        ("FAILED_PRECONDITION", "TRANSFER_PENDING")
    ] * (len(asks) - 1)
    t = mch.api.GetPregnancyTransfer(
        mpb.GetPregnancyTransferRequest(name=won[0]), metadata=mch.md("qs-doctor")
    )
    target = "qs-chc2" if t.target_tenant == mch.tenant("qs-chc2") else "qs-hosp"
    who = "qs-doctor" if t.requested_by == TARGET else f"{target}-doctor"
    accept_start = threading.Barrier(4)

    def accept(_: int) -> tpb.PregnancyTransfer:
        accept_start.wait()
        return _accept(mch, won[0], who)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(accept, range(4)))
    assert {(a.state, a.decide_time.ToNanoseconds()) for a in answers} == {
        (ACCEPTED, answers[0].decide_time.ToNanoseconds())
    }
    assert _registrations(mch, "qs-chc") == (0, 0) and _registrations(mch, target) == (1, 1)


def test_the_target_must_be_an_active_health_institution_of_the_cell(moving: Mch) -> None:
    mch = moving
    p = mch.register("woman", lmp_days_ago=70)
    expect_error(lambda: _ask(mch, p.name, target="qs-chc"), FAILED, "ALREADY_MANAGED")
    missing = f"tenants/{uuid.uuid4()}"
    expect_error(
        lambda: _ask(mch, p.name, target="", target_tenant=missing),
        grpc.StatusCode.NOT_FOUND, "TARGET_NOT_FOUND",
    )  # fmt: skip
    police = f"tenants/{police_tenant(mch)}"
    expect_error(
        lambda: _ask(mch, p.name, target="", target_tenant=police),
        INVALID, "TENANT_NOT_HEALTH_INSTITUTION", "target_tenant",
    )  # fmt: skip
    # Suspended after she asked: the centre's acceptance is refused, and it stays pending.
    asked = _ask(mch, resident=mch.residents["woman"], who="qs-chc2-doctor")
    identity = mch.running.stub
    identity.SuspendTenant(
        ipb.SuspendTenantRequest(name=mch.tenant("qs-chc2"), reason="整改"),
        metadata=mch.md("xz-admin"),
    )
    expect_error(lambda: _accept(mch, asked.name, "qs-doctor"), FAILED, "TARGET_INACTIVE")
    expect_error(lambda: _ask(mch, p.name), FAILED, "TARGET_INACTIVE")
    assert _get(mch, p.name, "qs-doctor").managing_tenant == mch.tenant("qs-chc")
    assert _decline(mch, asked.name, "the centre is closed", "qs-doctor").state == DECLINED
    assert _transfers(mch, "qs-chc", "qs-doctor") == [(asked.name, DECLINED)]


def test_only_an_open_pregnancy_moves(moving: Mch) -> None:
    mch = moving
    p = mch.register("woman", lmp_days_ago=70)
    asked = _ask(mch, p.name)

    def terminate(name: str) -> None:
        mch.api.TerminatePregnancy(
            mpb.TerminatePregnancyRequest(
                name=name, reason=pb.TERMINATION_REASON_MISCARRIAGE,
                termination_date=days_ago(0),
            ),
            metadata=mch.md("qs-doctor"),
        )  # fmt: skip

    terminate(p.name)  # ended while the transfer was pending
    expect_error(lambda: _accept(mch, asked.name), FAILED, "PREGNANCY_CLOSED")
    ended = _get(mch, p.name, "qs-doctor")
    assert ended.managing_tenant == mch.tenant("qs-chc")
    assert ended.pending_transfer.transfer == asked.name  # still open, to be answered
    assert _decline(mch, asked.name, "the pregnancy ended").state == DECLINED
    assert not _get(mch, p.name, "qs-doctor").HasField("pending_transfer")
    expect_error(lambda: _ask(mch, p.name), FAILED, "PREGNANCY_CLOSED")


def test_no_one_outside_both_sides_sees_or_moves_anything(moving: Mch) -> None:
    mch = moving
    p = mch.register("woman", lmp_days_ago=70)
    asked = _ask(mch, p.name)
    for who in ("nj-doctor", "ts-doctor", "nj-admin"):
        expect_error(
            lambda who=who: mch.api.GetPregnancyTransfer(
                mpb.GetPregnancyTransferRequest(name=asked.name), metadata=mch.md(who)
            ),
            DENIED,
        )
        for call in (_accept, lambda m, n, who: _decline(m, n, "x", who)):
            expect_error(lambda call=call, who=who: call(mch, asked.name, who), DENIED)
        expect_error(lambda who=who: _withdraw(mch, asked.name, "x", who), DENIED)
        expect_error(lambda who=who: _transfers(mch, "qs-chc", who), DENIED)
        expect_error(lambda who=who: _ask(mch, p.name, target="ts-th", who=who), DENIED)
    # Outside the woman's county (identity does not show her there), or not a practitioner.
    for who in ("nj-doctor", "ts-doctor", "qs-admin"):
        expect_error(lambda who=who: _ask(mch, resident=mch.residents["woman"], who=who), DENIED)
    # A missing transfer looks like one out of reach, to a clinician.
    expect_error(lambda: _accept(mch, f"pregnancyTransfers/{uuid.uuid4()}"), DENIED)
    assert _transfers(mch, "qs-chc", "qs-doctor") == [(asked.name, PENDING)]
    assert _get(mch, p.name, "qs-doctor").managing_tenant == mch.tenant("qs-chc")


def test_bad_requests_are_invalid_argument_and_write_nothing(moving: Mch) -> None:
    mch = moving
    p = mch.register("woman", lmp_days_ago=70)
    woman = mch.residents["woman"]
    for fields, field, reason in (
        ({"pregnancy": p.name, "resident": woman, "target_tenant": mch.tenant("qs-chc2")},
         "pregnancy", "PREGNANCY_OR_RESIDENT"),
        ({}, "pregnancy", "PREGNANCY_OR_RESIDENT"),
        ({"pregnancy": p.name}, "target_tenant", "TARGET_REQUIRED"),
        ({"pregnancy": "deliveries/x", "target_tenant": mch.tenant("qs-chc2")}, "pregnancy", None),
        ({"pregnancy": p.name, "target_tenant": "qs-chc2"}, "target_tenant", None),
        ({"pregnancy": p.name, "target_tenant": mch.tenant("qs-chc2"), "reason": " "},
         "reason", "REASON_REQUIRED"),
        ({"pregnancy": p.name, "target_tenant": mch.tenant("qs-chc2"), "reason": "x" * 501},
         "reason", "TEXT_TOO_LONG"),
        ({"pregnancy": p.name, "target_tenant": mch.tenant("qs-chc2"), "request_id": "again"},
         "request_id", None),
        ({"resident": "women/1"}, "resident", None),
    ):  # fmt: skip
        request = {"reason": "she moved", "request_id": rid(), **fields}
        error = expect_error(
            lambda request=request: mch.api.RequestPregnancyTransfer(
                mpb.RequestPregnancyTransferRequest(**request), metadata=mch.md("qs-doctor")
            ),
            INVALID,
            field=field,
        )
        if reason:
            assert error.reason == reason, error
    # Naming the woman, the caller asks for its own institution only.
    expect_error(
        lambda: _ask(mch, resident=woman, target_tenant=mch.tenant("qs-hosp"), who="qs-chc2-doctor"),
        INVALID, "TARGET_NOT_OWN", "target_tenant",
    )  # fmt: skip
    for call in (
        lambda: _accept(mch, "pregnancies/x"),
        lambda: _decline(mch, "pregnancyTransfers/", "x"),
    ):
        expect_error(call, INVALID, field="name")
    assert _transfers(mch, "qs-chc", "qs-doctor") == []
    assert _transfers(mch, "qs-chc2", "qs-chc2-doctor") == []


def _team_of_second_centre(mch: Mch, resident: str) -> str:
    """A family-doctor team of qs-chc2 with her contract: her health record opened there."""
    api = archives_service_pb2_grpc.ArchivesServiceStub(mch.running.channel)
    md = mch.md("qs-chc2-doctor")
    team = Teams(mch).team("二中心一组", tenant="qs-chc2", who="qs-chc2-doctor")
    record = api.CreateHealthRecord(
        apb.CreateHealthRecordRequest(
            resident=resident, township_code="001", village_code="101",
            basic_info=complete_form(),
        ),
        metadata=md,
    ).name  # fmt: skip
    api.ActivateHealthRecord(apb.ActivateHealthRecordRequest(name=record), metadata=md)
    api.SignContract(apb.SignContractRequest(parent=record, team=team), metadata=md)
    return team


def test_the_family_doctor_teams_overdue_lists_follow_the_move(moving: Mch) -> None:
    mch = moving
    p = _overdue_woman(mch)
    second_team = _team_of_second_centre(mch, mch.residents["woman"])
    before = mch.api.ListPregnancies(
        mpb.ListPregnanciesRequest(
            parent=mch.tenant("qs-chc2"), overdue_only=True, family_doctor_team=second_team
        ),
        metadata=mch.md("qs-chc2-doctor"),
    )
    assert list(before.pregnancies) == []  # contracted there, managed here

    _accept(mch, _ask(mch, p.name).name)
    after = mch.api.ListPregnancies(
        mpb.ListPregnanciesRequest(
            parent=mch.tenant("qs-chc2"), overdue_only=True, family_doctor_team=second_team
        ),
        metadata=mch.md("qs-chc2-doctor"),
    )
    assert [x.name for x in after.pregnancies] == [p.name]
    assert p.name not in _overdue(mch, "qs-chc", "qs-doctor")


def test_the_timeline_follows_her_pregnancy_and_records_the_move(fed: Mch) -> None:
    mch = fed
    _second_centre(mch)
    p = mch.register("woman3", lmp_days_ago=70)
    woman = mch.residents["woman3"]

    def kinds(who: str) -> list[tuple[str, str]]:
        return [(e.kind, e.tenant_display_name) for e in timeline(mch, woman, who)][::-1]

    wait(lambda: len(kinds("qs-doctor")) == 1)
    assert kinds("qs-chc2-doctor") == []
    _accept(mch, _ask(mch, p.name).name)
    wait(lambda: len(kinds("qs-chc2-doctor")) == 2)
    # Her registration by the centre, now read by the new centre, then the move itself; the
    # centre, which no longer reads her pregnancy, sees none of it.
    assert kinds("qs-chc2-doctor") == [
        ("PREGNANCY_REGISTERED", "泉山社区卫生服务中心"),
        ("PREGNANCY_TRANSFERRED", SECOND),
    ]
    assert kinds("qs-doctor") == []
