"""Outbound gRPC channels, one per address, shared by every caller in the process."""

from __future__ import annotations

import threading

import grpc

# Reconnect quickly after a cell restarts; the default backoff grows to two minutes.
CHANNEL_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2000),
    ("grpc.max_receive_message_length", 8 * 1024 * 1024),
)


class ChannelPool:
    def __init__(self) -> None:
        self._channels: dict[str, grpc.Channel] = {}
        self._lock = threading.Lock()

    def get(self, address: str) -> grpc.Channel:
        channel = self._channels.get(address)
        if channel is None:
            with self._lock:
                channel = self._channels.get(address)
                if channel is None:
                    channel = grpc.insecure_channel(address, options=CHANNEL_OPTIONS)
                    self._channels[address] = channel
        return channel

    def retain(self, addresses: set[str]) -> None:
        """Close the channels of addresses no longer in use (after a routing reload)."""
        with self._lock:
            for address in set(self._channels) - addresses:
                self._channels.pop(address).close()

    def close(self) -> None:
        self.retain(set())
