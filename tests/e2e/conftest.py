"""Real processes for end-to-end tests: two cells (`rhip serve --demo`) and a gateway
(`rhip gateway`), each its own process on loopback ports, wired by a routing file."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from support.platform import Platform, free_port, wait_healthy, write_routes


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    work = tmp_path_factory.mktemp("platform")
    cells = {"320000": f"127.0.0.1:{free_port()}", "370000": f"127.0.0.1:{free_port()}"}
    routes = write_routes(work / "routes.json", cells)
    base_env = {
        **os.environ,
        "RHIP_DATA_DIR": str(work / "var"),
        "RHIP_ROUTES": str(routes),
        "RHIP_ARGON2_MEMORY_KIB": "8192",
    }
    gateway = f"127.0.0.1:{free_port()}"
    processes: dict[str, subprocess.Popen[bytes]] = {}
    commands: dict[str, tuple[list[str], dict[str, str], str]] = {}
    logs = []
    try:
        # The gateway first: it serves the platform's resident locator, which each cell's
        # archives asks (fail closed) while seeding its demo records.
        log = (work / "gateway.log").open("wb")
        logs.append(log)
        processes["gateway"] = subprocess.Popen(
            [sys.executable, "-m", "rhip.cli", "gateway", "--listen", gateway],
            # Low enough for test_gateway to trip it; a burst above the dozen quick calls one
            # clinician makes in test_migration_across_cells (at 10 it tripped when they ran
            # within 0.2 s).
            env={**base_env, "RHIP_RATE_LIMIT_PER_SECOND": "5", "RHIP_RATE_LIMIT_BURST": "20"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_healthy(gateway, processes["gateway"])
        for code, address in cells.items():
            log = (work / f"{code}.log").open("wb")
            logs.append(log)
            argv = [sys.executable, "-m", "rhip.cli", "serve", "--services", "all", "--demo"]
            env = {
                **base_env,
                "RHIP_CELL": code,
                "RHIP_LISTEN": address,
                # The cell's own service account: cross-cell calls through the gateway.
                "RHIP_CELL_CLIENT_ID": f"cell-{code}",
                "RHIP_CELL_CLIENT_SECRET": f"e2e-cell-secret-{code}",
                "RHIP_GATEWAY_ADDRESS": gateway,
            }
            commands[code] = (argv, env, str(work / f"{code}.log"))
            processes[code] = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        for code, address in cells.items():
            wait_healthy(address, processes[code])
        yield Platform(gateway, cells, processes, commands)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()
