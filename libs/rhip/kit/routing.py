"""The routing table: which cell owns which regions, and where it listens.

Loaded from a JSON file (``RHIP_ROUTES``), reloaded when the file changes, without a restart::

    {"cells": [{"name": "jiangsu", "regions": ["320000"], "address": "127.0.0.1:50061"},
               {"name": "shandong", "regions": ["370000"], "address": "rhip-identity.rhip-370000:50051",
                "services": {"archives": "rhip-archives.rhip-370000:50051"}}]}

A cell owns the subtree of each region it lists; the most specific owner wins, so a large
city can run as a cell of its own inside its province's. ``address`` is where the cell answers
for every service (an all-in-one cell); ``services`` names another address for a service that
runs on its own (one Deployment and Service per service, as the Helm chart deploys a cell).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeGuard

from rhip.kit.apis import api_names
from rhip.kit.errors import InvalidArgument, invalid
from rhip.kit.tenancy import is_region_code, is_within, region_path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CellRoute:
    name: str
    address: str  # host:port of every service not named in ``services``
    regions: tuple[str, ...]
    # service ("identity", "archives", …) → host:port, for services running on their own.
    # Read on every forwarded call as ``services.get(service, address)``: one dict lookup.
    services: Mapping[str, str] = field(default_factory=dict, hash=False)

    @cached_property
    def paths(self) -> tuple[str, ...]:
        # Computed once: every token verified and every call routed asks (owner()).
        return tuple(region_path(code) for code in self.regions)

    def address_of(self, service: str) -> str:
        """Where this cell's ``service`` answers."""
        return self.services.get(service, self.address)

    @property
    def addresses(self) -> frozenset[str]:
        """Every address of the cell (the default and each service's)."""
        return frozenset((self.address, *self.services.values()))


class RoutingError(ValueError):
    """The routing file is malformed; the message says where."""


def parse_routes(data: object) -> tuple[CellRoute, ...]:
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list) or not data["cells"]:
        raise RoutingError('routes must be {"cells": [...]} with at least one cell')
    cells: list[CellRoute] = []
    owners: dict[str, str] = {}
    for i, cell in enumerate(data["cells"]):
        where = f"cells[{i}]"
        if not isinstance(cell, dict):
            raise RoutingError(f"{where} must be an object")
        name, address, regions = cell.get("name"), cell.get("address"), cell.get("regions")
        if not isinstance(name, str) or not name:
            raise RoutingError(f"{where}.name must be a non-empty string")
        if not _is_address(address):
            raise RoutingError(f"{where}.address must be host:port")
        if not isinstance(regions, list) or not regions:
            raise RoutingError(f"{where}.regions must list region codes")
        for code in regions:
            if not isinstance(code, str) or not is_region_code(code):
                raise RoutingError(f"{where}.regions: {code!r} is not a 6-digit region code")
            if code in owners:
                raise RoutingError(f"{where}: region {code} is already owned by {owners[code]}")
            owners[code] = name
        services = _parse_services(cell.get("services", {}), f"{where}.services")
        cells.append(CellRoute(name, address, tuple(regions), services))
    return tuple(cells)


def _is_address(value: object) -> TypeGuard[str]:
    if not isinstance(value, str):
        return False
    host, _, port = value.rpartition(":")
    return bool(host) and port.isdigit() and 0 < int(port) < 65536


def _parse_services(data: object, where: str) -> dict[str, str]:
    if not isinstance(data, dict):
        raise RoutingError(
            f'{where} must map service names to host:port, e.g. {{"archives": "h:1"}}'
        )
    for service, address in data.items():
        if service not in api_names():
            raise RoutingError(
                f"{where}: {service!r} is not a service; services: {', '.join(api_names())}"
            )
        if not _is_address(address):
            raise RoutingError(f"{where}.{service} must be host:port, not {address!r}")
    return dict(data)


class RoutingTable:
    """Cell lookup by region; ``reload_if_changed`` picks up edits of the file."""

    def __init__(self, cells: tuple[CellRoute, ...], source: Path | None = None) -> None:
        self._cells = cells
        self._source = source
        self._mtime = source.stat().st_mtime_ns if source else 0
        self._lock = threading.Lock()
        # Counts reloads: whoever caches a decision made from the table (the token verifier's
        # "this key vouches for that region") compares it to know the decision may be stale.
        self.version = 0

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> RoutingTable:
        source = Path(path)
        return cls(_read(source), source)

    @property
    def cells(self) -> tuple[CellRoute, ...]:
        return self._cells

    def named(self, name: str) -> CellRoute | None:
        return next((cell for cell in self._cells if cell.name == name), None)

    def addresses(self) -> set[str]:
        """Every address of every cell: the channels worth keeping open."""
        return {address for cell in self._cells for address in cell.addresses}

    def owner(self, region_code: str) -> CellRoute | None:
        """The cell owning ``region_code`` (most specific region wins), or None."""
        target = region_path(region_code)
        best: tuple[int, CellRoute] | None = None
        for cell in self._cells:
            for path in cell.paths:
                if is_within(target, path) and (best is None or len(path) > best[0]):
                    best = (len(path), cell)
        return best[1] if best else None

    def require_owner(self, region_code: str, field: str) -> CellRoute:
        if not is_region_code(region_code):
            raise invalid(field, "must be a 6-digit region code", "REGION_CODE_FORMAT")
        cell = self.owner(region_code)
        if cell is None:
            raise InvalidArgument(
                f"no cell serves region {region_code}",
                reason="REGION_NOT_SERVED",
                metadata={"region": region_code},
            )
        return cell

    def reload_if_changed(self) -> bool:
        """Re-read the file if it changed; a malformed file keeps the old table (logged)."""
        if self._source is None:
            return False
        with self._lock:
            try:
                mtime = self._source.stat().st_mtime_ns
                if mtime == self._mtime:
                    return False
                self._cells = _read(self._source)
                self._mtime = mtime
                self.version += 1
            except (OSError, RoutingError) as error:
                log.error("routing table not reloaded, keeping the old one: %s", error)
                return False
        log.info("routing table reloaded: %s", ", ".join(c.name for c in self._cells))
        return True


def _read(path: Path) -> tuple[CellRoute, ...]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise RoutingError(f"{path}: not JSON ({error})") from None
    return parse_routes(data)
