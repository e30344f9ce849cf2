"""Public keys of every cell, so a token issued by one cell verifies in any other (cross-cell
calls carry the original caller's token) and at the gateway."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping

import grpc
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rhip.api.identity.v1 import identity_service_pb2, identity_service_pb2_grpc
from rhip.kit.authn import JwksKeySource, KeySource
from rhip.kit.channels import ChannelPool
from rhip.kit.routing import CellRoute, RoutingTable

log = logging.getLogger(__name__)


def jwks_fetcher(
    channels: Callable[[], Mapping[str, grpc.Channel]], timeout: float = 2.0
) -> Callable[[], list[Mapping[str, str]]]:
    """Fetch the JWKS of every cell (``channels`` maps cell name → channel). A cell that does
    not answer is skipped: its tokens fail until the next fetch, nobody else's do."""

    def fetch() -> list[Mapping[str, str]]:
        keys: list[Mapping[str, str]] = []
        for name, channel in channels().items():
            stub = identity_service_pb2_grpc.IdentityServiceStub(channel)
            try:
                reply = stub.GetJwks(identity_service_pb2.GetJwksRequest(), timeout=timeout)
            except grpc.RpcError as error:
                log.warning("JWKS of cell %s not fetched: %s", name, error.code())
                continue
            keys.extend(json.loads(reply.jwks_json)["keys"])
        return keys

    return fetch


def chain_keys(*sources: KeySource) -> KeySource:
    """A KeySource asking each source in turn."""

    def lookup(kid: str) -> Ed25519PublicKey | None:
        for source in sources:
            key = source(kid)
            if key is not None:
                return key
        return None

    return lookup


def identity_channels(
    routes: RoutingTable, pool: ChannelPool, *, skip: CellRoute | None = None, reload: bool = False
) -> Callable[[], dict[str, grpc.Channel]]:
    """Cell name → a channel to that cell's identity service (where its JWKS is), for every
    cell of ``routes`` but ``skip``. ``reload``: re-read the table first if its file changed
    (for processes without a watcher thread of their own, like the gateway's)."""

    def channels() -> dict[str, grpc.Channel]:
        if reload:
            routes.reload_if_changed()
        return {c.name: pool.get(c.address_of("identity")) for c in routes.cells if c != skip}

    return channels


def remote_keys(channels: Callable[[], Mapping[str, grpc.Channel]]) -> JwksKeySource:
    return JwksKeySource(jwks_fetcher(channels), min_refresh_seconds=2)
