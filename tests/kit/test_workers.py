"""The one background loop (rhip.kit.workers): passes on an interval, backoff after failures,
recovery, a quiet log when a pass did nothing, a health signal, and a clean stop."""

from __future__ import annotations

import logging
import threading

import pytest
from rhip.kit.errors import Unavailable
from rhip.kit.workers import PeriodicWorker


class Job:
    """Fails while ``down`` is set; counts its passes; lets the test wait for the n-th."""

    def __init__(self) -> None:
        self.down = False
        self.calls = 0
        self.result: object = 0
        self.called = threading.Condition()

    def __call__(self) -> object:
        with self.called:
            self.calls += 1
            self.called.notify_all()
        if self.down:
            raise Unavailable("identity does not answer", reason="PEER_UNAVAILABLE")
        return self.result

    def wait_for(self, calls: int) -> None:
        with self.called:
            assert self.called.wait_for(lambda: self.calls >= calls, timeout=30), self.calls


def test_backoff_doubles_up_to_its_cap() -> None:
    worker = PeriodicWorker("w", lambda: None, 0.5, max_backoff=3.0)
    waits = []
    for failures in range(5):
        worker.failures = failures
        waits.append(worker.backoff())
    assert waits == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert PeriodicWorker("w", lambda: None, 2.0, max_backoff=1.0).max_backoff == 2.0


def test_a_failing_pass_is_retried_and_the_thread_lives_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    job = Job()
    job.down = True
    worker = PeriodicWorker("feed", job, 0.01, first_delay=0.0, max_backoff=0.02)
    caplog.set_level(logging.INFO, "rhip.kit.workers")
    worker.start()
    try:
        job.wait_for(3)
        health = worker.health()
        assert health.running and health.failures >= 2
        assert health.seconds_since_success is None
        assert "PEER_UNAVAILABLE" in caplog.text
        assert "Traceback" not in caplog.text  # a known error is logged by its reason
        job.down = False
        job.wait_for(job.calls + 2)
    finally:
        worker.stop()
    assert worker.failures == 0
    assert worker.health().seconds_since_success is not None
    assert not worker.health().running
    assert "working again after" in caplog.text


def test_an_unexpected_error_is_logged_with_its_stack(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> None:
        raise KeyError("bug")

    worker = PeriodicWorker("sweep", broken, 1.0)
    assert worker.run_pass() is False
    assert worker.failures == 1 and worker.passes == 1
    assert "Traceback" in caplog.text and "KeyError" in caplog.text


def test_only_passes_that_did_something_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    job = Job()
    worker = PeriodicWorker("sweep", job, 1.0, report=lambda n: f"{n} settled" if n else None)
    caplog.set_level(logging.INFO, "rhip.kit.workers")
    assert worker.run_pass()
    assert "settled" not in caplog.text
    job.result = 2
    assert worker.run_pass()
    assert "sweep: 2 settled" in caplog.text


def test_stop_ends_a_long_pass_at_its_next_safe_point() -> None:
    entered = threading.Event()
    rounds = []

    def long_pass() -> None:
        entered.set()
        while not worker.stopping:  # a feed reader catching up page by page
            rounds.append(1)
            threading.Event().wait(0.001)

    worker = PeriodicWorker("catch-up", long_pass, 60.0, first_delay=0.0)
    worker.start()
    assert entered.wait(30)
    worker.stop(timeout=30)
    assert not worker.health().running
    assert rounds  # it was running, and it returned once asked to stop
    worker.start()  # and it can be started again after a stop
    worker.stop(timeout=30)


def test_wake_runs_a_pass_now_even_during_a_backoff() -> None:
    """A registration queued work: the pass comes at once, not after the interval or the
    backoff of a dependency that was down (rhip.identity.links)."""
    job = Job()
    job.down = True
    worker = PeriodicWorker("w", job, 60.0, first_delay=0.0, max_backoff=600.0)
    worker.start()
    try:
        job.wait_for(1)  # failed: the next pass would be a minute away
        job.down = False
        worker.wake()
        job.wait_for(2)
        worker.wake()
        job.wait_for(3)
    finally:
        worker.stop()
    assert worker.failures == 0
