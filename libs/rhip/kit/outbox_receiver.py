"""A stand-in for the national birth-certificate system: the receiver of the outbox's events
(DOMAIN.md §4.6), for tests and the demo. Not the real system, whose interface is not public:
a local HTTP server on 127.0.0.1 that accepts what ``rhip.kit.outbox_http.HttpSender`` POSTs.

It records every event it accepts, dedupes by ``Idempotency-Key`` (a resend is answered 200
and not recorded again, as an idempotent receiver should), checks that each key's events
first arrive in position order, and can be told to misbehave on demand:

- ``down()`` / ``up()``: stop listening (connections refused) and listen again on the same port;
- ``fail(status, times)``: answer ``status`` instead of accepting (``times`` requests, or until
  ``healthy()``);
- ``accept_then_fail(times)``: record the event, then answer 500 (the answer "got lost");
- ``slow(seconds)``: wait before answering.

Run one for the demo: ``python -m rhip.kit.outbox_receiver --port 8099`` (it prints event ids,
never payloads).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    """One event as first accepted."""

    event_id: str
    stream: str
    key: str
    position: int
    kind: str
    payload: dict[str, Any]


class StandInReceiver:
    """Stand-in for the national birth-certificate system on ``127.0.0.1:<port>``."""

    def __init__(self, port: int = 0, *, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self.received: list[Received] = []  # first arrivals, in order
        self.posts: Counter[str] = Counter()  # every POST that reached the handler, by event id
        self.resends: Counter[str] = Counter()  # POSTs of an id already accepted, by id
        self.arrived = 0  # POSTs begun, counted before any delay (see wait_for_arrivals)
        self.out_of_order: list[str] = []  # ids whose first arrival skipped or went back
        self._last: dict[tuple[str, str], int] = {}  # (stream, key) → last position accepted
        self._failing: tuple[int, int | None] | None = None  # (status, requests left or None)
        self._lose_answers = 0
        self._delay = 0.0
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._stopping = threading.Event()

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/events"

    def start(self) -> StandInReceiver:
        self.up()
        return self

    def up(self) -> None:
        """Listen (again, on the same port once one was picked)."""
        if self._server is not None:
            return
        self._stopping.clear()
        server = ThreadingHTTPServer((self.host, self.port), _handler(self))
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, name="stand-in-receiver", daemon=True).start()

    def down(self) -> None:
        """Stop listening: senders get connection refused until ``up()``."""
        server, self._server = self._server, None
        if server is not None:
            self._stopping.set()  # cut slow answers short
            server.shutdown()
            server.server_close()

    stop = down

    def __enter__(self) -> StandInReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.down()

    # -- misbehaviour on demand -----------------------------------------------------------------
    def fail(self, status: int = 500, times: int | None = None) -> None:
        with self._changed:
            self._failing = (status, times)

    def accept_then_fail(self, times: int = 1) -> None:
        with self._changed:
            self._lose_answers = times

    def slow(self, seconds: float) -> None:
        self._delay = seconds

    def healthy(self) -> None:
        with self._changed:
            self._failing = None
            self._lose_answers = 0
        self._delay = 0.0

    # -- what it got ----------------------------------------------------------------------------
    @property
    def duplicates(self) -> int:
        """POSTs of an id already accepted (resends the receiver answered 200 and ignored)."""
        with self._changed:
            return sum(self.resends.values())

    def ids(self) -> list[str]:
        with self._changed:
            return [r.event_id for r in self.received]

    def positions(self, key: str, stream: str | None = None) -> list[int]:
        with self._changed:
            return [
                r.position
                for r in self.received
                if r.key == key and (stream is None or r.stream == stream)
            ]

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """True once ``count`` distinct events were accepted (False after ``timeout``)."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.received) >= count, timeout)

    # -- the handler's side ---------------------------------------------------------------------
    def wait_for_arrivals(self, count: int, timeout: float = 10.0) -> bool:
        """True once ``count`` POSTs have begun, held by ``slow`` or not: a test kills the
        sender while the receiver still holds one."""
        with self._changed:
            return self._changed.wait_for(lambda: self.arrived >= count, timeout)

    def _answer(self, event_id: str, body: dict[str, Any]) -> int:
        """Record one POST; the status to answer."""
        with self._changed:
            self.arrived += 1
            self._changed.notify_all()
        if self._delay:
            self._stopping.wait(self._delay)
        with self._changed:
            self.posts[event_id] += 1
            if self._failing is not None:
                status, left = self._failing
                if left is not None:
                    self._failing = (status, left - 1) if left > 1 else None
                return status
            if any(r.event_id == event_id for r in self.received):
                self.resends[event_id] += 1
                return 200  # a resend: already have it
            key = (str(body.get("stream", "")), str(body.get("key", "")))
            position = int(body.get("position", 0))
            if position != self._last.get(key, 0) + 1:
                self.out_of_order.append(event_id)
            self._last[key] = max(position, self._last.get(key, 0))
            self.received.append(
                Received(event_id, key[0], key[1], position, str(body.get("kind", "")),
                         body.get("payload") or {})
            )  # fmt: skip
            self._changed.notify_all()
            if self._lose_answers:
                self._lose_answers -= 1
                return 500
            return 200


def _handler(receiver: StandInReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self._reply(400, {"error": "the body is not JSON"})
                return
            event_id = self.headers.get("Idempotency-Key") or ""
            if not event_id or not isinstance(body, dict) or body.get("event_id") != event_id:
                self._reply(400, {"error": "Idempotency-Key must name the body's event_id"})
                return
            status = receiver._answer(event_id, body)
            self._reply(status, {"event_id": event_id, "accepted": status == 200})

        def _reply(self, status: int, answer: dict[str, Any]) -> None:
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: tests and the demo print what they need

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rhip.kit.outbox_receiver",
        description="A stand-in for the national birth-certificate system on 127.0.0.1: "
        "accepts outbox events (POST JSON, Idempotency-Key), dedupes resends, prints ids.",
    )
    parser.add_argument("--port", type=int, default=8099, help="port on 127.0.0.1 (8099)")
    args = parser.parse_args(argv)
    receiver = StandInReceiver(args.port).start()
    print(f"stand-in national birth-certificate system at {receiver.url}", flush=True)
    seen = 0
    try:
        while True:
            time.sleep(0.5)
            for r in receiver.received[seen:]:
                print(f"received {r.kind} {r.event_id} ({r.stream} position {r.position})")
            seen = len(receiver.received)
    except KeyboardInterrupt:
        receiver.down()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
