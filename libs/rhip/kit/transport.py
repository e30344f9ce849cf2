"""Every gRPC listener and outbound channel of a process is made here, from its TLS settings
(``rhip.kit.tls``), and nowhere else: with TLS on nothing is served in plaintext except the
probes' health port, and with TLS off (development) every listener says so in the log.

- A cell's listeners require a client certificate chaining to ``RHIP_TLS_CA_FILE`` (mutual
  TLS: the gateway, other cells and the cell's own services call it).
- The gateway's public listener presents its certificate and asks for none (external callers
  authenticate with bearer tokens); its internal listener (``RHIP_INTERNAL_LISTEN``), where
  cells call it for cross-cell work, requires one like a cell's.
- A call on behalf of another caller (``x-rhip-on-behalf-of``) reaches the gateway only
  over mutual TLS (``rhip.gateway.proxy``): a cell account's secret alone is not enough.
- Outbound channels verify the server against the CA and its name against the address's
  host (the Service DNS names the chart routes to; 127.0.0.1/localhost in tests), and present
  this process's client certificate.
- The health port answers ``grpc.health.v1`` only, in plaintext: Kubernetes' gRPC probes
  cannot speak TLS, and what it tells (SERVING or not) is no secret.

Rotation: listeners re-read the certificate, key and CA when a file changes (checked at most
once a second, when a connection arrives; a Secret volume swaps its files atomically), and
channels made after a change present the new client certificate (``ChannelPool`` replaces
its channels). A pair that does not match is refused with a WARNING and the old one kept.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from rhip.kit.config import ConfigError, Settings
from rhip.kit.tls import TlsSettings

log = logging.getLogger(__name__)

CELL = "cell"
GATEWAY = "gateway"
CHECK_EVERY_SECONDS = 1.0


class TransportError(ConfigError):
    """A certificate file cannot be read or does not fit its key; names the variable."""


def _read(path: str, variable: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        raise TransportError(f"{variable} {path}: {error.strerror}") from None


@dataclass(frozen=True)
class _Pair:
    """A certificate chain and its private key, checked to belong together."""

    cert: bytes
    key: bytes

    @classmethod
    def load(cls, cert_file: str, key_file: str, variables: tuple[str, str]) -> _Pair:
        cert, key = _read(cert_file, variables[0]), _read(key_file, variables[1])
        try:
            leaf = x509.load_pem_x509_certificate(cert)
            private = serialization.load_pem_private_key(key, password=None)
        except ValueError as error:
            raise TransportError(f"{variables[0]} / {variables[1]}: {error}") from None
        if leaf.public_key() != private.public_key():
            raise TransportError(f"{variables[1]} is not the key of {variables[0]}")
        return cls(cert, key)

    def server_name(self) -> str:
        """The first DNS name (else IP address) the certificate names: what a channel to
        this process's own loopback listener expects (``Transport.channel``)."""
        leaf = x509.load_pem_x509_certificate(self.cert)
        try:
            san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            return ""
        names = [*san.get_values_for_type(x509.DNSName)]
        names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
        return names[0] if names else ""


class _Files:
    """The files of one side (server or client) as last read; ``current`` re-reads them when
    one changed, at most once every CHECK_EVERY_SECONDS."""

    def __init__(self, cert_file: str, key_file: str, ca_file: str, variables: tuple[str, str]):
        self._paths = (cert_file, key_file, ca_file)
        self._variables = variables
        self._lock = threading.Lock()
        self._checked = time.monotonic()
        self._stamps = self._stat()
        self.generation = 0
        self.pair = _Pair.load(cert_file, key_file, variables)
        self.ca = _read(ca_file, "RHIP_TLS_CA_FILE")

    def _stat(self) -> tuple[tuple[int, int], ...]:
        stamps = []
        for path in self._paths:
            try:
                st = os.stat(path)
                stamps.append((st.st_mtime_ns, st.st_ino))
            except OSError:
                stamps.append((0, 0))
        return tuple(stamps)

    def changed(self) -> bool:
        """Re-read the files if they changed since; True when a new pair was adopted."""
        now = time.monotonic()
        if now - self._checked < CHECK_EVERY_SECONDS:
            return False
        with self._lock:
            self._checked = now
            stamps = self._stat()
            if stamps == self._stamps:
                return False
            self._stamps = stamps
            try:
                pair = _Pair.load(self._paths[0], self._paths[1], self._variables)
                ca = _read(self._paths[2], "RHIP_TLS_CA_FILE")
            except TransportError as error:
                log.warning("TLS files changed but were not adopted: %s", error)
                return False
            self.pair, self.ca, self.generation = pair, ca, self.generation + 1
            log.info("TLS certificate %s re-read (rotation)", self._paths[0])
            return True


class Transport:
    """How this process listens and calls: TLS (mutual where required) or plaintext."""

    def __init__(self, tls: TlsSettings, role: str) -> None:
        self.tls = tls
        self.role = role
        # Every internal listener (a cell's; the resident locator's to come) requires a client
        # certificate; only the gateway's public one does not ask for one.
        self._client_auth = tls.client_auth or ("none" if role == GATEWAY else "require")
        self._server: _Files | None = None
        self._client: _Files | None = None
        self._client_creds: grpc.ChannelCredentials | None = None
        self.own_name = ""
        if tls.enabled:
            self._server = _Files(
                tls.cert_file,
                tls.key_file,
                tls.ca_file,
                ("RHIP_TLS_CERT_FILE", "RHIP_TLS_KEY_FILE"),
            )
            cert, key = tls.client_pair
            variables = (
                ("RHIP_TLS_CLIENT_CERT_FILE", "RHIP_TLS_CLIENT_KEY_FILE")
                if tls.client_cert_file
                else ("RHIP_TLS_CERT_FILE", "RHIP_TLS_KEY_FILE")
            )
            self._client = _Files(cert, key, tls.ca_file, variables)
            self._client_creds = self._channel_credentials()
            self.own_name = self._server.pair.server_name()

    @classmethod
    def from_settings(cls, settings: Settings, role: str) -> Transport:
        return cls(settings.tls, role)

    @classmethod
    def plaintext(cls) -> Transport:
        """No TLS (tests of other things, tools on loopback)."""
        return cls(TlsSettings(), CELL)

    @property
    def enabled(self) -> bool:
        return self._server is not None

    # --- listeners ---------------------------------------------------------------------

    def listen(self, server: grpc.Server, address: str, *, internal: bool = False) -> int:
        """Bind ``address`` on ``server``: TLS, with a client certificate required on a cell's
        listeners and on ``internal`` ones; plaintext (logged) when TLS is off. The port bound,
        0 if it could not be."""
        if self._server is None:
            port = server.add_insecure_port(address)
            log.warning(
                "TLS is off: %s listener %s (port %d) serves plaintext; set RHIP_TLS_CERT_FILE, "
                "RHIP_TLS_KEY_FILE and RHIP_TLS_CA_FILE to turn it on",
                self.role, address, port,
            )  # fmt: skip
            return port
        require = internal or self._client_auth == "require"
        port = server.add_secure_port(address, self._server_credentials(require))
        log.info(
            "%s listener %s (port %d): TLS, client certificate %s",
            self.role, address, port, "required" if require else "not asked for",
        )  # fmt: skip
        return port

    def listen_probes(self, server: grpc.Server, address: str) -> int:
        """The health port, plaintext even with TLS on: Kubernetes' gRPC probes cannot present
        a certificate or speak TLS, and the port answers grpc.health.v1 alone."""
        return server.add_insecure_port(address)

    def _server_credentials(self, require_client_cert: bool) -> grpc.ServerCredentials:
        files = self._server
        assert files is not None

        def config() -> grpc.ServerCertificateConfiguration:
            return grpc.ssl_server_certificate_configuration(
                [(files.pair.key, files.pair.cert)], root_certificates=files.ca
            )

        def fetch() -> grpc.ServerCertificateConfiguration | None:
            # Asked by grpcio before each new connection's handshake: None keeps the current.
            return config() if files.changed() else None

        return grpc.dynamic_ssl_server_credentials(config(), fetch, require_client_cert)

    # --- channels ----------------------------------------------------------------------

    def _channel_credentials(self) -> grpc.ChannelCredentials:
        files = self._client
        assert files is not None
        return grpc.ssl_channel_credentials(
            root_certificates=files.ca,
            private_key=files.pair.key,
            certificate_chain=files.pair.cert,
        )

    def credentials_generation(self) -> int:
        """Bumped when the client certificate changed on disk: channels made before present
        the old one (``ChannelPool`` replaces them)."""
        if self._client is None:
            return 0
        if self._client.changed():
            self._client_creds = self._channel_credentials()
        return self._client.generation

    def channel(
        self,
        address: str,
        options: Sequence[tuple[str, object]] = (),
        *,
        server_name: str = "",
    ) -> grpc.Channel:
        """A channel to ``address``: TLS verifying the server's certificate against the CA and
        its name against the address's host (``server_name`` instead: only for this process's
        own loopback listener, which presents this process's certificate)."""
        if self._client_creds is None:
            return grpc.insecure_channel(address, options=list(options))
        opts = list(options)
        if server_name:
            opts.append(("grpc.ssl_target_name_override", server_name))
        return grpc.secure_channel(address, self._client_creds, options=opts)

    def aio_channel(
        self, address: str, options: Sequence[tuple[str, object]] = ()
    ) -> grpc.aio.Channel:
        """As ``channel``, for grpc.aio callers (load generators)."""
        if self._client_creds is None:
            return grpc.aio.insecure_channel(address, options=list(options))
        return grpc.aio.secure_channel(address, self._client_creds, options=list(options))


def public_channel(address: str, ca_file: str = "") -> grpc.Channel:
    """A channel from a tool (``rhip admin import``) to a public listener, the gateway's:
    TLS verifying its certificate against ``ca_file`` and presenting none (callers there
    authenticate with bearer tokens, and its public port asks for no client certificate);
    plaintext when ``ca_file`` is empty (the demo on loopback)."""
    if not ca_file:
        return grpc.insecure_channel(address)
    credentials = grpc.ssl_channel_credentials(root_certificates=_read(ca_file, "--tls-ca"))
    return grpc.secure_channel(address, credentials)
