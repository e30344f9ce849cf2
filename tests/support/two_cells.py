"""Two demo cells (Jiangsu and Shandong, each with its identity and archives databases and its
cell account) behind a gateway, in this process on loopback ports: the platform the cross-cell
tests and the security suite run against."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import make_settings
from rhip.gateway.server import build_gateway
from rhip.identity.demo import seed_demo
from rhip.kit.routing import RoutingTable

from support.cells import RunningCell, start_cell
from support.platform import free_port, write_routes

JIANGSU, SHANDONG = "320000", "370000"


@contextmanager
def cells_behind_gateway(
    work: Path, url: Callable[[str], str], **gateway_env: str
) -> Iterator[tuple[str, dict[str, RunningCell]]]:
    """(the gateway's address, cell code → running cell); ``url(name)`` makes each database
    (``identity-<code>``, ``archives-<code>``, ``gateway``)."""
    gateway_address = f"127.0.0.1:{free_port()}"
    addresses = {code: f"127.0.0.1:{free_port()}" for code in (JIANGSU, SHANDONG)}
    routes = write_routes(work / "routes.json", addresses)
    cells: dict[str, RunningCell] = {}
    gateway = None
    try:
        for code, address in addresses.items():
            settings = make_settings(
                work / code, url(f"identity-{code}"), cell=code,
                RHIP_ARCHIVES_DATABASE_URL=url(f"archives-{code}"),
                RHIP_REFERRAL_DATABASE_URL=url(f"referral-{code}"),
                RHIP_MCH_DATABASE_URL=url(f"mch-{code}"),
                RHIP_EMR_DATABASE_URL=url(f"emr-{code}"),
                RHIP_CELL_CLIENT_ID=f"cell-{code}",
                RHIP_CELL_CLIENT_SECRET=f"inprocess-cell-secret-{code}",
                RHIP_GATEWAY_ADDRESS=gateway_address, RHIP_ROUTES=str(routes),
            )  # fmt: skip
            cells[code] = start_cell(settings, address)
            seed_demo(cells[code].usecases)
        gateway = build_gateway(
            make_settings(work / "gw", url("gateway"), **gateway_env),
            RoutingTable.from_file(routes),
        )
        gateway.start(gateway_address)
        yield gateway_address, cells
    finally:
        if gateway is not None:
            gateway.stop(0)
        for running in cells.values():
            running.channel.close()
            running.cell.stop(0)
