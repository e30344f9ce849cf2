"""Public keys of every cell, each fetched from that cell's own identity (its JWKS) and kept
as that cell's: a token issued by one cell verifies in any other (cross-cell calls carry the
original caller's token) and at the gateway, for the principals that cell vouches for
(``rhip.kit.trust``)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping

import grpc
from rhip.api.identity.v1 import identity_service_pb2, identity_service_pb2_grpc
from rhip.kit.authn import JwksKeySource, KeySource
from rhip.kit.channels import ChannelPool
from rhip.kit.routing import RoutingTable
from rhip.kit.trust import CellKeys

log = logging.getLogger(__name__)


def jwks_fetcher(
    channel: Callable[[], grpc.Channel | None], cell: str, timeout: float = 2.0
) -> Callable[[], list[Mapping[str, str]] | None]:
    """Fetch the JWKS of one cell's identity; None when it does not answer (its tokens fail
    until the next fetch, nobody else's do)."""

    def fetch() -> list[Mapping[str, str]] | None:
        target = channel()
        if target is None:
            return None
        stub = identity_service_pb2_grpc.IdentityServiceStub(target)
        try:
            reply = stub.GetJwks(identity_service_pb2.GetJwksRequest(), timeout=timeout)
        except grpc.RpcError as error:
            log.warning("JWKS of cell %s not fetched: %s", cell, error.code())
            return None
        keys: list[Mapping[str, str]] = json.loads(reply.jwks_json)["keys"]
        return keys

    return fetch


def remote_keys(channel: Callable[[], grpc.Channel | None], cell: str) -> JwksKeySource:
    """One cell's keys from its identity's JWKS."""
    return JwksKeySource(jwks_fetcher(channel, cell), min_refresh_seconds=2)


def identity_channel(
    routes: RoutingTable, pool: ChannelPool, cell: str
) -> Callable[[], grpc.Channel | None]:
    """A channel to ``cell``'s identity service (where its JWKS is), at the address its
    routing entry names when asked; None once the cell has left the table."""

    def channel() -> grpc.Channel | None:
        route = routes.named(cell)
        return pool.get(route.address_of("identity")) if route is not None else None

    return channel


def cell_keys(
    routes: RoutingTable,
    pool: ChannelPool,
    *,
    own: tuple[str, KeySource] | None = None,
    reload: bool = False,
) -> CellKeys:
    """The keys of every cell of ``routes``, each tied to its cell: every other cell's from
    its identity's JWKS, and ``own`` (this cell's region code and key source) for this cell.
    ``reload``: re-read the table when it changed (processes without a watcher thread of
    their own)."""
    return CellKeys(
        routes,
        lambda name: remote_keys(identity_channel(routes, pool, name), name),
        own=own,
        reload=reload,
    )
