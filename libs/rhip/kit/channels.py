"""Outbound gRPC channels, one per address, shared by every caller in the process; made by
the process's transport (TLS or plaintext, rhip.kit.transport)."""

from __future__ import annotations

import threading

import grpc
from rhip.kit.transport import Transport

# Reconnect quickly after a cell restarts; the default backoff grows to two minutes.
# gRPC core takes ``min_reconnect_backoff_ms`` as the least time a connection attempt gets
# (its connect timeout; with grpcio 1.85 the wait for the server's HTTP/2 SETTINGS is part of
# it): at 200 ms a cell that was slow to answer a new connection (stopped, or starved on a busy
# machine) was reported unreachable at once instead of answering within the caller's deadline
# (tests/faults: a stalled cell's calls waited in its bulkhead until their deadline). So the
# first retry comes after 200 ms, and each attempt may take gRPC's default 20 s.
CHANNEL_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 20_000),
    ("grpc.max_reconnect_backoff_ms", 2000),
    ("grpc.max_receive_message_length", 8 * 1024 * 1024),
)


class ChannelPool:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self._channels: dict[str, grpc.Channel] = {}
        self._names: dict[str, str] = {}  # address → the server name its certificate carries
        self._generation = transport.credentials_generation()
        self._lock = threading.Lock()

    def expect_name(self, address: str, server_name: str) -> None:
        """Calls to ``address`` verify the server's certificate for ``server_name`` instead of
        the address's host: for this process's own loopback listener only."""
        with self._lock:
            self._names[address] = server_name

    def get(self, address: str) -> grpc.Channel:
        if self.transport.credentials_generation() != self._generation:
            self._renew()
        channel = self._channels.get(address)
        if channel is None:
            with self._lock:
                channel = self._channels.get(address)
                if channel is None:
                    channel = self.transport.channel(
                        address, CHANNEL_OPTIONS, server_name=self._names.get(address, "")
                    )
                    self._channels[address] = channel
        return channel

    def _renew(self) -> None:
        """The client certificate was rotated: new calls get new channels presenting it. The
        old channels are left to their calls in flight (closed once unreferenced)."""
        with self._lock:
            generation = self.transport.credentials_generation()
            if generation != self._generation:
                self._generation = generation
                self._channels = {}

    def retain(self, addresses: set[str]) -> None:
        """Close the channels of addresses no longer in use (after a routing reload)."""
        with self._lock:
            for address in set(self._channels) - addresses:
                self._channels.pop(address).close()

    def close(self) -> None:
        self.retain(set())
