"""Write load from outside, as a careful client makes it: CreateTenant through the gateway at a
fixed number of calls in flight, each with a deadline and a request id, retried with the SAME
request id (and body) while the failure is one a retry may cure. Records what was
acknowledged, every failure's status, and how long each call took (a hang is a failure of the
platform, whatever the fault)."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import grpc
from rhip.api.identity.v1 import identity_service_pb2 as pb
from rhip.api.identity.v1 import identity_service_pb2_grpc, tenant_pb2
from rhip.kit.errors import from_rpc_error

RETRYABLE = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.ABORTED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}
REGION = "320311"  # a county of the Jiangsu cell (320000)


@dataclass
class Attempt:
    started: float  # monotonic
    elapsed: float
    code: grpc.StatusCode
    request_id: str  # the write's idempotency key, the same on every retry
    call_id: str  # x-request-id of this attempt: how the processes' logs name it
    reason: str = ""  # ErrorInfo reason of a failure


@dataclass
class WriteLoad:
    gateway: str
    token: str
    in_flight: int = 8
    deadline: float = 5.0
    label: str = "load"
    acknowledged: dict[str, str] = field(default_factory=dict)  # request id → tenant name
    display_names: dict[str, str] = field(default_factory=dict)  # request id → display name
    attempts: list[Attempt] = field(default_factory=list)
    abandoned: list[str] = field(default_factory=list)  # request ids never acknowledged
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)
    _count: int = 0

    def start(self) -> WriteLoad:
        self._channel = grpc.insecure_channel(self.gateway)
        self._stub = identity_service_pb2_grpc.IdentityServiceStub(self._channel)
        for i in range(self.in_flight):
            thread = threading.Thread(target=self._run, name=f"{self.label}-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop issuing new writes; a write being retried is finished (or given up) first."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
            assert not thread.is_alive(), "a client thread hung"
        self._channel.close()

    def _next(self) -> tuple[str, str]:
        with self._lock:
            self._count += 1
            return str(uuid.uuid4()), f"故障测试{self.label}卫生院{self._count}"

    def _run(self) -> None:
        while not self._stop.is_set():
            request_id, name = self._next()
            self.display_names[request_id] = name
            self._write(request_id, name)

    def _write(self, request_id: str, display_name: str) -> None:
        request = pb.CreateTenantRequest(
            tenant=tenant_pb2.Tenant(
                display_name=display_name,
                type=tenant_pb2.TENANT_TYPE_TOWNSHIP_HOSPITAL,
                region_code=REGION,
            ),
            request_id=request_id,
        )
        give_up = time.monotonic() + 30  # a write outstanding this long is abandoned
        for attempt in range(1, 1000):
            call_id = f"{request_id}-a{attempt}"
            metadata = (("authorization", f"Bearer {self.token}"), ("x-request-id", call_id))
            started = time.monotonic()
            reason = ""
            try:
                reply = self._stub.CreateTenant(request, metadata=metadata, timeout=self.deadline)
                code = grpc.StatusCode.OK
            except grpc.RpcError as error:
                code = error.code()
                reason = from_rpc_error(error).reason
            with self._lock:
                self.attempts.append(
                    Attempt(started, time.monotonic() - started, code, request_id, call_id, reason)
                )
            if code is grpc.StatusCode.OK:
                with self._lock:
                    self.acknowledged[request_id] = reply.name
                return
            if code not in RETRYABLE or time.monotonic() > give_up:
                break
            time.sleep(0.05)
        with self._lock:
            self.abandoned.append(request_id)

    # -- figures -------------------------------------------------------------------------------
    def codes(self, since: float = 0.0) -> Counter[str]:
        with self._lock:
            return Counter(a.code.name for a in self.attempts if a.started >= since)

    def first_ok_after(self, moment: float) -> float | None:
        """Seconds from ``moment`` until the first call started after it was acknowledged."""
        with self._lock:
            done = [
                a.started + a.elapsed - moment
                for a in self.attempts
                if a.started >= moment and a.code is grpc.StatusCode.OK
            ]
        return min(done) if done else None

    def longest(self) -> float:
        with self._lock:
            return max((a.elapsed for a in self.attempts), default=0.0)
