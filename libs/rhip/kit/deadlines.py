"""The caller's deadline, for the whole call: work that cannot finish in time is not started,
and a transaction whose caller has already given up is not committed.

Measured from outside (issue 12): the gateway forwarded a call that had waited ~5 s in its
own queue with 16 ms left, and a cell committed a write whose caller had already been told
DEADLINE_EXCEEDED. grpcio's sync servers run a queued call even when its deadline passed
while it waited, so every server checks here before it starts, and ``Database.transaction``
checks again before it opens and before it commits.
"""

from __future__ import annotations

import time
from contextvars import ContextVar, Token

from rhip.kit.errors import DeadlineExceeded

# Below this much time left, a call is refused before any work: a forward, a transaction
# and its commit take longer than that on a loaded machine, so starting only wastes a worker.
MIN_USEFUL_SECONDS = 0.05
# The time an answer needs, on a loaded machine, to reach the caller once the work is done.
# A change committed with less than this left may reach its caller after the deadline, the
# caller told DEADLINE_EXCEEDED for a change that was made (seen in CI: a cell committed
# with a few ms left, and the gateway's forward had timed out before the answer arrived).
# So no commit starts with less than this left, and a call done with less is logged as one
# whose caller may have heard DEADLINE_EXCEEDED.
ANSWER_MARGIN_SECONDS = 0.05
NO_DEADLINE = 1e8  # seconds; grpcio reports ~9.2e18 s remaining when the caller set none

# monotonic time by which the current call must be answered; None: no deadline
_deadline: ContextVar[float | None] = ContextVar("rhip_deadline", default=None)


def deadline_from_remaining(remaining: float | None) -> float | None:
    """A monotonic deadline from grpc's ``context.time_remaining()``."""
    if remaining is None or remaining > NO_DEADLINE:
        return None
    return time.monotonic() + remaining


def set_deadline(deadline: float | None) -> Token[float | None]:
    return _deadline.set(deadline)


def reset_deadline(token: Token[float | None]) -> None:
    _deadline.reset(token)


def current_deadline() -> float | None:
    return _deadline.get()


def remaining() -> float | None:
    """Seconds left for the current call, or None when it has no deadline."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def passed() -> bool:
    """True when the current call's deadline has passed: its caller has been told
    DEADLINE_EXCEEDED whatever happens next."""
    left = remaining()
    return left is not None and left <= 0


def too_close_to_answer() -> bool:
    """True when less than ``ANSWER_MARGIN_SECONDS`` is left: an answer given now may reach
    the caller after its deadline."""
    left = remaining()
    return left is not None and left < ANSWER_MARGIN_SECONDS


def require_time(what: str, floor: float = MIN_USEFUL_SECONDS) -> None:
    """Refuse to start ``what`` when less than ``floor`` seconds are left."""
    left = remaining()
    if left is not None and left < floor:
        raise too_late(what, left)


def within(seconds: float) -> float:
    """The timeout of a call this service makes for the current call: ``seconds`` at most, and
    no later than the current call's deadline less the time its answer needs. A fixed timeout
    let an identity lookup run for 5 s after a caller with a 1 s deadline had been told
    DEADLINE_EXCEEDED, holding a worker on both sides for nothing. Outside a call (a
    background worker) or without a deadline: ``seconds``. Too little left to make the call
    and answer: DEADLINE_TOO_SHORT before anything is sent."""
    left = remaining()
    if left is None:
        return seconds
    budget = left - ANSWER_MARGIN_SECONDS
    if budget < MIN_USEFUL_SECONDS:
        raise too_late("call another service", left)
    return min(seconds, budget)


def too_late(what: str, left: float) -> DeadlineExceeded:
    return DeadlineExceeded(
        f"not started: {max(left, 0) * 1000:.0f} ms left of the deadline, too little to "
        f"{what}; retry with a longer deadline (the same request id is safe)",
        reason="DEADLINE_TOO_SHORT",
    )


def not_committed() -> DeadlineExceeded:
    return DeadlineExceeded(
        "the deadline passed, or too little of it was left, before the change was committed: "
        "nothing was changed; retry "
        "with a longer deadline (the same request id is safe)",
        reason="DEADLINE_PASSED_BEFORE_COMMIT",
    )
