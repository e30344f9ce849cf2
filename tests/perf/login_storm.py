"""Writes during a login storm, on SQLite (the demo's backend) with the production argon2
parameters (64 MiB, t=3): four clients log in over and over while an administrator unlocks a
user every 20 ms; prints how many unlocks went through and their p50/p99/max.

While argon2 ran inside the login's transaction it held SQLite's one write lock: the
administrator's write waited seconds, or failed after the 30 s busy timeout (UNAVAILABLE). A
login now checks the password before its transaction (docs/architecture.md §3.4).

    PYTHONPATH=libs:services:tests .venv/bin/python tests/perf/login_storm.py [seconds]

Run it beside an older checkout (its own PYTHONPATH) to compare in the same session.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from conftest import make_settings  # noqa: E402
from rhip.api.identity.v1 import identity_service_pb2 as pb  # noqa: E402
from support.cells import PASSWORD, build_world, start_cell  # noqa: E402

STORM = ("qs-doctor", "ts-doctor", "nj-doctor", "js-auditor")


def main(seconds: float) -> None:
    folder = Path(tempfile.mkdtemp())
    settings = make_settings(
        folder,
        f"sqlite:///{folder / 'cell.db'}",
        RHIP_ARGON2_MEMORY_KIB="65536",
        RHIP_ARGON2_TIME_COST="3",
    )
    running = start_cell(settings)
    try:
        world = build_world(running)
        admin = running.md("xz-admin")
        stop = threading.Event()
        logins = [0]

        def storm(username: str) -> None:
            request = pb.LoginRequest(
                password=pb.PasswordCredentials(username=username, password=PASSWORD)
            )
            while not stop.is_set():
                running.stub.Login(request)
                logins[0] += 1

        clients = [threading.Thread(target=storm, args=(u,)) for u in STORM]
        for client in clients:
            client.start()
        name = f"users/{world.users['qs-admin']}"
        took: list[float] = []
        end = time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                started = time.perf_counter()
                running.stub.UnlockUser(
                    pb.UnlockUserRequest(name=name, request_id=str(uuid.uuid4())), metadata=admin
                )
                took.append((time.perf_counter() - started) * 1000)
                time.sleep(0.02)
        finally:
            stop.set()
            for client in clients:
                client.join()
        took.sort()
        print(
            f"unlocks {len(took)}: p50 {took[len(took) // 2]:.1f} ms, "
            f"p99 {took[int(len(took) * 0.99)]:.1f} ms, max {took[-1]:.1f} ms; "
            f"{logins[0]} logins in {seconds:.0f} s"
        )
    finally:
        running.channel.close()
        running.cell.stop(0)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 20.0)
