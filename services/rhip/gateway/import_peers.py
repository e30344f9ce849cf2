"""Console imports across gateway replicas: an import runs in the memory of the replica that
started it (rhip.gateway.imports), but the gateway runs as several replicas behind one
Service, so the console's next poll may land on another one. A job's id names its replica
(``<replica>.<uuid>``); a replica that does not hold the job asks the named one over its HTTP
listener and hands its answer back unchanged.

``RHIP_GATEWAY_REPLICA``: this replica's name, a DNS label (``[a-z0-9-]``, 63 at most) or an IP
address (written with dashes: ``10-244-1-7``); default the host name (a random short name when
the host name is not a label).

``RHIP_GATEWAY_PEERS``: how to reach the others' HTTP listeners, one of
  ``name=host:port,name=host:port``  a fixed list (replicas on known hosts; the tests);
  ``dns:host:port``  the replicas are the addresses ``host`` resolves to — in Kubernetes a
      headless Service of the gateway's ready pods — each answering on ``port``; every replica's
      name is then its pod IP (``status.podIP``). An address the name does not resolve to
      (any more) is never called; while a run is under 30 s old its replica may not be listed
      yet (the cluster DNS caches answers), so a peer answers 503 ``IMPORT_RUNNER_UNAVAILABLE``
      (ask again) rather than "gone";
  empty: one replica, no peers.
Why pod IPs and not pod names: a Deployment's pods get no DNS name of their own (only pods
with ``spec.hostname`` do, which a Deployment cannot give each pod), and the per-address names
some cluster DNS servers make up (``10-244-1-7.<service>``) are their own convention; the
addresses of a headless Service's name are in the Kubernetes DNS specification.
Either way a peer is only ever an address this setting yields, never a host taken from an id.

A job dies with its replica (nothing is stored): asked for one whose replica is gone, a peer
answers 404 ``IMPORT_RUNNER_GONE``; re-running the same files is safe, rows already brought in
report "unchanged".
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import re
import secrets
import socket
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from rhip.kit.config import ConfigError
from rhip.kit.errors import NotFound, Unavailable, invalid
from rhip.kit.ids import uuid7
from rhip.kit.telemetry import REQUEST_ID_HEADER

log = logging.getLogger(__name__)

REPLICA = "RHIP_GATEWAY_REPLICA"
PEERS = "RHIP_GATEWAY_PEERS"
# Marks a GET one replica sent another: the receiver never forwards it again (no loops). A
# caller who sets it only loses the forwarding.
HOP_HEADER = "x-rhip-import-hop"
CONNECT_SECONDS = 2.0  # a replica that does not take the connection by then is gone
# The owner answers after asking the caller's cell about the session (up to 5 s).
ANSWER_SECONDS = 10.0
# A run younger than this whose replica the peers' name does not list is not called gone yet.
LISTING_SECONDS = 30.0
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_REPLICA_NAME = re.compile(_LABEL)
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# A job id: the replica's name, a dot, the run's UUID (also the OpenAPI document's pattern).
JOB_ID_PATTERN = rf"^({_LABEL})\.{_UUID}$"
_JOB_ID = re.compile(JOB_ID_PATTERN)
_ADDRESS = re.compile(r"([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})")


@dataclass(frozen=True)
class PeerAnswer:
    """The owner replica's answer, to hand back as it is."""

    status: int
    body: bytes
    retry_after: str | None = None


def _label(name: str) -> str:
    """An IP address as a DNS label (dots or colons to dashes); anything else as given."""
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return name
    return str(address).replace(".", "-").replace(":", "-")


def _address_of_label(label: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address a label such as ``10-244-1-7`` or ``fd00--1`` spells, or None."""
    for text in (label.replace("-", "."), label.replace("-", ":")):
        try:
            return ipaddress.ip_address(text)
        except ValueError:
            continue
    return None


def _host_port(value: str, where: str) -> tuple[str, int]:
    found = _ADDRESS.fullmatch(value.strip())
    if found is None or not 0 < int(found.group(2)) < 65536:
        raise ConfigError(f"{PEERS}: {where} must be host:port, got {value!r}")
    return found.group(1).strip("[]"), int(found.group(2))


def _default_name() -> str:
    host = socket.gethostname().split(".")[0].lower()
    return host if _REPLICA_NAME.fullmatch(host) else f"gw-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Replicas:
    """This replica's name and where its peers' HTTP listeners are."""

    name: str
    fixed: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    dns: tuple[str, int] | None = None  # (host whose addresses are the replicas, port)

    def new_job_id(self) -> str:
        # A UUIDv7: its start time tells a run too young for the peers' DNS from a gone one.
        return f"{self.name}.{uuid7()}"

    def address_of(self, replica: str) -> tuple[str, int] | None:
        """Where ``replica``'s HTTP listener is, or None when no peer of that name is known."""
        if replica in self.fixed:
            return self.fixed[replica]
        if self.dns is None:
            return None
        address = _address_of_label(replica)
        host, port = self.dns
        # Only an address the peers' name resolves to now: a ready gateway pod.
        if address is None or str(address) not in _resolve(host):
            return None
        return str(address), port

    def forward(self, replica: str, path: str, authorization: str, request_id: str) -> PeerAnswer:
        """GET ``path`` (the job) from the replica that runs it, as the caller (same token and
        request id), marked so that it goes no further."""
        address = self.address_of(replica)
        if address is None:
            if self.dns is not None and _age_seconds(path) < LISTING_SECONDS:
                # Its replica took the start, so it was ready: the cluster DNS may not list
                # its address yet (it caches answers a few seconds).
                raise _unavailable(replica, "is not listed among the replicas yet")
            raise runner_gone(replica)
        connection = http.client.HTTPConnection(*address, timeout=CONNECT_SECONDS)
        try:
            try:
                connection.connect()
            except OSError:  # refused, unreachable, or no answer: the replica is not there
                raise runner_gone(replica) from None
            connection.sock.settimeout(ANSWER_SECONDS)
            headers = {"Authorization": authorization, HOP_HEADER: self.name}
            if request_id:
                headers[REQUEST_ID_HEADER] = request_id
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                return PeerAnswer(
                    response.status, response.read(), response.getheader("Retry-After")
                )
            except (OSError, http.client.HTTPException):
                # It took the connection, so it may still be running the job: not "gone".
                log.warning("import replica %s did not answer in time", replica)
                raise _unavailable(replica, "did not answer") from None
        finally:
            connection.close()


def _unavailable(replica: str, what: str) -> Unavailable:
    return Unavailable(
        f"the gateway replica running this import ({replica}) {what}: ask again in a moment",
        reason="IMPORT_RUNNER_UNAVAILABLE",
        retry_after_seconds=2,
    )


def _age_seconds(path: str) -> float:
    """How long ago the run a job path names started (its UUIDv7's time; very old if none)."""
    run = uuid.UUID(path.rpartition(".")[2])
    if run.version != 7:
        return float("inf")
    return time.time() - (run.int >> 80) / 1000


def runner_gone(replica: str) -> NotFound:
    return NotFound(
        f"the gateway replica that ran this import ({replica}) has stopped, and the import "
        "with it; running the same files again is safe: rows already brought in report "
        '"unchanged"',
        reason="IMPORT_RUNNER_GONE",
    )


def replica_of(job_id: str) -> str:
    """The replica a job id names; a malformed id is bad input (and never forwarded)."""
    found = _JOB_ID.fullmatch(job_id)
    if found is None:
        raise invalid("job", "an import id is <replica>.<uuid>, as the start answered", "IMPORT_ID")
    return found.group(1)


def load_replicas(env: Mapping[str, str]) -> Replicas:
    """The replica settings from ``env``; raises ConfigError naming the variable."""
    raw_name = env.get(REPLICA, "").strip().lower()
    name = _label(raw_name) if raw_name else _default_name()
    if not _REPLICA_NAME.fullmatch(name):
        raise ConfigError(
            f"{REPLICA} must be a DNS label (a-z, 0-9, -; 63 at most) or an IP address, "
            f"got {raw_name!r}"
        )
    raw = env.get(PEERS, "").strip()
    if not raw:
        return Replicas(name)
    if raw.startswith("dns:"):
        if _address_of_label(name) is None:
            raise ConfigError(
                f"with {PEERS}=dns:…, {REPLICA} must be this replica's IP address (the pod's "
                f"status.podIP): peers find it among the addresses of the name; got {raw_name!r}"
            )
        return Replicas(name, dns=_host_port(raw.removeprefix("dns:"), "dns:host:port"))
    fixed: dict[str, tuple[str, int]] = {}
    for item in raw.split(","):
        peer, _, address = item.strip().partition("=")
        if not _REPLICA_NAME.fullmatch(peer):
            raise ConfigError(f"{PEERS}: each peer is name=host:port, the name a DNS label")
        fixed[peer] = _host_port(address, f"the address of {peer}")
    return Replicas(name, fixed=fixed)


def _resolve(host: str) -> set[str]:
    """The addresses ``host`` resolves to now; none when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return set()
    return {str(ipaddress.ip_address(str(info[4][0]).split("%")[0])) for info in infos}
