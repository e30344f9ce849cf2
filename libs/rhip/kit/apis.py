"""The catalogue of rhip gRPC methods, read from the generated descriptors: every service of
``rhip.api``, each method's streaming shape, whether it is public (no token needed) and whether another
cell may call it (``cross_cell``), whether only the services of its own cell call it
(``cell_internal``: never forwarded by the gateway) and whether a user whose password must be changed may call it
(``password_change``)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import rhip.api
from rhip.api.common.v1 import common_pb2

# Platform-level APIs: served by the gateway process itself (never forwarded to a cell, never
# served by a cell's registry), callable by the cells' own service accounts only. The resident
# locator (rhip.locator) keeps one person's open record unique across every cell.
PLATFORM_APIS: frozenset[str] = frozenset({"locator"})


@dataclass(frozen=True)
class MethodInfo:
    path: str  # "/rhip.api.identity.v1.IdentityService/Login"
    service: str  # "rhip.api.identity.v1.IdentityService"
    api: str  # "identity": the rhip service serving it (package rhip.api.<api>.v1); routes by it
    client_streaming: bool
    server_streaming: bool
    public: bool
    cross_cell: bool = False  # callable by another cell's cell account (record migration)
    # callable by a user whose password must be changed (ChangePassword); nothing else is
    password_change: bool = False
    # called only by the services of the same cell, directly (the *InternalServices): the
    # gateway neither forwards nor binds it to HTTP
    cell_internal: bool = False


@cache
def methods() -> dict[str, MethodInfo]:
    """Every method of every service under ``rhip.api``, by its gRPC path."""
    found: dict[str, MethodInfo] = {}
    # rhip.api is a namespace package (no __init__.py), which pkgutil does not walk.
    modules = sorted(
        "rhip.api." + ".".join(path.relative_to(root).with_suffix("").parts)
        for root in map(Path, rhip.api.__path__)
        for path in root.rglob("*_pb2.py")
    )
    for name in modules:
        descriptor = importlib.import_module(name).DESCRIPTOR
        for service in descriptor.services_by_name.values():
            for method in service.methods:
                path = f"/{service.full_name}/{method.name}"
                found[path] = MethodInfo(
                    path=path,
                    service=service.full_name,
                    api=service.full_name.split(".")[2],
                    client_streaming=method.client_streaming,
                    server_streaming=method.server_streaming,
                    public=bool(method.GetOptions().Extensions[common_pb2.public]),
                    cross_cell=bool(method.GetOptions().Extensions[common_pb2.cross_cell]),
                    password_change=bool(
                        method.GetOptions().Extensions[common_pb2.password_change]
                    ),
                    cell_internal=bool(method.GetOptions().Extensions[common_pb2.cell_internal]),
                )
    return found


def api_names() -> tuple[str, ...]:
    """The rhip services with a cell API (``rhip.api.<name>.v1``, not a platform API), sorted:
    what a cell can serve and a routing table can name. The registry of service modules
    (rhip.modules) serves exactly these (tests/kit/test_service_modules.py)."""
    return tuple(sorted({m.api for m in methods().values() if m.api not in PLATFORM_APIS}))


def database_names() -> tuple[str, ...]:
    """Every API with a database of its own (``RHIP_<NAME>_DATABASE_URL``): the cells' and the
    platform's (the locator's, at the gateway)."""
    return tuple(sorted({m.api for m in methods().values()}))


def service_names(*, platform: bool = False) -> list[str]:
    """The gRPC services the gateway forwards to the cells (not the cell-internal ones); with
    ``platform``, the platform-level ones the gateway serves itself instead."""
    return sorted(
        {
            m.service
            for m in methods().values()
            if (m.api in PLATFORM_APIS) == platform and not m.cell_internal
        }
    )


def public_methods(service: str | None = None) -> tuple[str, ...]:
    return tuple(
        m.path for m in methods().values() if m.public and (service is None or m.service == service)
    )


def cross_cell_methods() -> frozenset[str]:
    """Methods another cell's cell account may call (through the gateway, in any region)."""
    return frozenset(m.path for m in methods().values() if m.cross_cell)


def cell_internal_methods() -> frozenset[str]:
    """Methods only the services of the same cell call, directly (never through the gateway)."""
    return frozenset(m.path for m in methods().values() if m.cell_internal)


def password_change_methods() -> frozenset[str]:
    """Methods a user whose password must be changed may still call (ChangePassword)."""
    return frozenset(m.path for m in methods().values() if m.password_change)
