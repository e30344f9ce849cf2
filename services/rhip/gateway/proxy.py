"""Forwarding: a generic handler that passes each call's bytes, untouched, to the cell that
owns the call's region (at the address the routing table gives for the method's service),
with the caller's deadline, a request id and trace context.

The target region is ``x-rhip-region`` when the caller names one (required before a token
exists, e.g. Login), otherwise the home region in the caller's token.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import grpc
from rhip.gateway.bulkhead import Bulkheads
from rhip.gateway.guard import Guard
from rhip.gateway.ratelimit import RateLimiter
from rhip.kit.apis import PLATFORM_APIS, MethodInfo, methods
from rhip.kit.authn import optional_principal
from rhip.kit.channels import ChannelPool
from rhip.kit.deadlines import MIN_USEFUL_SECONDS, too_late
from rhip.kit.errors import PermissionDenied, RhipError, Unavailable, from_rpc_error, invalid
from rhip.kit.routing import CellRoute, RoutingTable
from rhip.kit.telemetry import outgoing_metadata

log = logging.getLogger(__name__)

REGION_HEADER = "x-rhip-region"
ERROR_DOMAIN = "gateway.rhip"
# Caller metadata passed on to the cell; trace context and request id are set by the gateway.
NO_DEADLINE = 1e8  # seconds; beyond this the caller set no deadline
# The cell is given this much less time than the caller gave the gateway: its answer must
# still travel back, and the gateway must relay it before the caller's own deadline.
FORWARD_MARGIN_SECONDS = 0.02
NO_LIMIT = 1 << 30
ON_BEHALF_OF = "x-rhip-on-behalf-of"
FORWARDED_HEADERS = ("authorization", REGION_HEADER, ON_BEHALF_OF)
MAX_CACHED_REGIONS = 10_000  # owners remembered; cleared when full


def _identity(value: Any) -> Any:
    return value


def _require_peer_certificate(context: grpc.ServicerContext) -> None:
    """With TLS on, a call made on behalf of another caller (a cell's cross-cell call) must
    come over mutual TLS (the internal port): a cell account's secret alone, used from
    outside, does not let anyone speak for others."""
    if not context.auth_context().get("x509_pem_cert"):
        raise PermissionDenied(
            "calls on behalf of another caller come from cells, over mutual TLS",
            reason="ON_BEHALF_OF_NEEDS_MUTUAL_TLS",
        )


class CellProxy(grpc.GenericRpcHandler):
    def __init__(
        self,
        routes: RoutingTable,
        channels: ChannelPool,
        guard: Guard,
        limiter: RateLimiter,
        default_timeout: float,
        bulkheads: Bulkheads | None = None,
    ) -> None:
        self._routes = routes
        self._channels = channels
        self._guard = guard
        self._limiter = limiter
        self._default_timeout = default_timeout
        self._bulkheads = bulkheads or Bulkheads(NO_LIMIT)
        # Platform APIs (the locator) are served by the gateway itself, and cell-internal
        # methods are called inside a cell only: neither is forwarded (UNIMPLEMENTED here).
        self._methods = {
            p: m for p, m in methods().items() if m.api not in PLATFORM_APIS and not m.cell_internal
        }
        # (channel id, method) → (channel, multi-callable); the channel is kept to detect reuse
        # of an id after a routing reload closed the old channel.
        self._calls: dict[tuple[int, str], tuple[grpc.Channel, Any]] = {}
        # Looked up on every call, so built once per method (grpc asks for the handler anew
        # on each call).
        self._handlers: dict[str, grpc.RpcMethodHandler] = {}
        # region code → (the routing table's cells when looked up, owner): the lookup walks
        # every cell's regions; a reload replaces the cells and so retires the entries.
        self._owners: dict[str, tuple[tuple[CellRoute, ...], CellRoute]] = {}

    # -- handler lookup ----------------------------------------------------------------------
    def service(self, handler_call_details):
        method = handler_call_details.method
        handler = self._handlers.get(method)
        if handler is None:
            info = self._methods.get(method)
            if info is None:
                return None  # UNIMPLEMENTED, as from any server
            handler = self._handlers[method] = self._handler(info)
        return handler

    def _handler(self, info: MethodInfo) -> grpc.RpcMethodHandler:
        if info.client_streaming and info.server_streaming:
            return grpc.stream_stream_rpc_method_handler(self._stream_stream(info))
        if info.client_streaming:
            return grpc.stream_unary_rpc_method_handler(self._stream_unary(info))
        if info.server_streaming:
            return grpc.unary_stream_rpc_method_handler(self._unary_stream(info))
        return grpc.unary_unary_rpc_method_handler(self._unary_unary(info))

    # -- the common part of every call ---------------------------------------------------------
    def _prepare(
        self, info: MethodInfo, context: grpc.ServicerContext
    ) -> tuple[CellRoute, list[tuple[str, str]], float]:
        incoming = dict(context.invocation_metadata())
        if ON_BEHALF_OF in incoming and self._channels.transport.enabled:
            try:
                _require_peer_certificate(context)
            except RhipError as error:
                error.domain = error.domain or ERROR_DOMAIN
                raise
        return self.admit(info, incoming, context.peer(), context.time_remaining())

    def admit(
        self,
        info: MethodInfo,
        incoming: dict[str, Any],
        peer: str,
        remaining: float | None,
    ) -> tuple[CellRoute, list[tuple[str, str]], float]:
        """The owning cell, the metadata to send it and the time it gets, for a call with
        this metadata from this peer (``ipv4:127.0.0.1:5555``); raises when the call is
        refused here (region, guard, rate limit, deadline). Over gRPC and over HTTP
        (rhip.gateway.http) alike; the caller is in the authn contextvar."""
        try:
            return self._admit(info, incoming, peer, remaining)
        except RhipError as error:
            error.domain = error.domain or ERROR_DOMAIN  # refused here, not by a cell
            raise

    def _admit(
        self,
        info: MethodInfo,
        incoming: dict[str, Any],
        peer: str,
        remaining: float | None,
    ) -> tuple[CellRoute, list[tuple[str, str]], float]:
        principal = optional_principal()
        region = str(incoming.get(REGION_HEADER) or (principal.region_code if principal else ""))
        if not region:
            raise invalid(
                REGION_HEADER,
                "name the region (x-rhip-region metadata) until you have a token",
                "REGION_REQUIRED",
            )
        cell = self._owner(region)
        if principal is not None:
            self._guard.check(principal, region, info.path)
            self._limiter.take(
                f"tenant:{principal.tenant_id}" if principal.tenant_id else principal.subject
            )
        else:
            self._limiter.take(f"peer:{peer.rsplit(':', 1)[0]}")  # logins by address
        metadata = [(k, str(incoming[k])) for k in FORWARDED_HEADERS if k in incoming]
        metadata += outgoing_metadata()
        # Without a client deadline grpcio reports ~9.2e18 s remaining (not None).
        if remaining is None or remaining > NO_DEADLINE:
            return cell, metadata, self._default_timeout
        # The cell's deadline ends a little before the caller's, so that the cell's own
        # answer (DEADLINE_EXCEEDED, nothing committed) is what the caller hears, and a call
        # that cannot be served in the time left is not forwarded at all.
        timeout = remaining - FORWARD_MARGIN_SECONDS
        if timeout < MIN_USEFUL_SECONDS:
            raise too_late(f"forward it to cell {cell.name}", remaining)
        return cell, metadata, timeout

    def forward(
        self,
        info: MethodInfo,
        cell: CellRoute,
        request: bytes,
        metadata: list[tuple[str, str]],
        timeout: float,
    ) -> bytes:
        """One unary call's bytes to ``cell`` and its reply's bytes back (errors as rhip
        errors), within the cell's bulkhead."""
        with self._bulkhead(cell):
            try:
                return self._call(cell, info, "unary_unary")(
                    request, metadata=metadata, timeout=timeout
                )
            except grpc.RpcError as error:
                raise self._upstream_error(cell, error) from None

    def _bulkhead(self, cell: CellRoute):
        return self._bulkheads.enter(cell.name, len(self._routes.cells), ERROR_DOMAIN)

    def _owner(self, region: str) -> CellRoute:
        cells = self._routes.cells  # read first: an entry is never newer than its tag
        cached = self._owners.get(region)
        if cached is not None and cached[0] is cells:
            return cached[1]
        cell = self._routes.require_owner(region, REGION_HEADER)  # raises for unserved codes
        if len(self._owners) >= MAX_CACHED_REGIONS:
            self._owners.clear()
        self._owners[region] = (cells, cell)
        return cell

    def _call(self, cell: CellRoute, info: MethodInfo, kind: str):
        """The (cached) multi-callable for ``info`` on the channel of the cell's service."""
        channel = self._channels.get(cell.services.get(info.api, cell.address))
        key = (id(channel), info.path)
        call = self._calls.get(key)
        if call is None or call[0] is not channel:
            factory = getattr(channel, kind)
            call = (
                channel,
                factory(info.path, request_serializer=_identity, response_deserializer=_identity),
            )
            self._calls[key] = call
        return call[1]

    @staticmethod
    def _upstream_error(cell: CellRoute, error: grpc.RpcError) -> RhipError:
        if error.code() == grpc.StatusCode.UNAVAILABLE and not error.trailing_metadata():
            log.warning("cell %s unreachable: %s", cell.name, error.details())
            return Unavailable(
                f"cell {cell.name} is not reachable; retry later",
                reason="CELL_UNAVAILABLE",
                domain=ERROR_DOMAIN,
            )
        return from_rpc_error(error)

    # -- the four shapes -----------------------------------------------------------------------
    def _unary_unary(self, info: MethodInfo):
        def forward(request: bytes, context: grpc.ServicerContext) -> bytes:
            cell, metadata, timeout = self._prepare(info, context)
            return self.forward(info, cell, request, metadata, timeout)

        return forward

    def _unary_stream(self, info: MethodInfo):
        def forward(request: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
            cell, metadata, timeout = self._prepare(info, context)
            with self._bulkhead(cell):
                try:
                    yield from self._call(cell, info, "unary_stream")(
                        request, metadata=metadata, timeout=timeout
                    )
                except grpc.RpcError as error:
                    raise self._upstream_error(cell, error) from None

        return forward

    def _stream_unary(self, info: MethodInfo):
        def forward(requests: Iterator[bytes], context: grpc.ServicerContext) -> bytes:
            cell, metadata, timeout = self._prepare(info, context)
            with self._bulkhead(cell):
                try:
                    return self._call(cell, info, "stream_unary")(
                        requests, metadata=metadata, timeout=timeout
                    )
                except grpc.RpcError as error:
                    raise self._upstream_error(cell, error) from None

        return forward

    def _stream_stream(self, info: MethodInfo):
        def forward(requests: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[bytes]:
            cell, metadata, timeout = self._prepare(info, context)
            with self._bulkhead(cell):
                try:
                    yield from self._call(cell, info, "stream_stream")(
                        requests, metadata=metadata, timeout=timeout
                    )
                except grpc.RpcError as error:
                    raise self._upstream_error(cell, error) from None

        return forward
