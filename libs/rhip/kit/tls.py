"""TLS settings (``RHIP_TLS_*``), read from the environment passed in; ``rhip.kit.transport``
turns them into gRPC credentials.

One certificate and key per process serve its listeners and, unless a client pair of its own
is named, authenticate its outbound calls (a cell's certificate carries both the serverAuth
and clientAuth usages). ``RHIP_TLS_CA_FILE`` is the internal trust bundle: the CA(s) that
clients' certificates on a mutual-TLS listener and the servers this process calls must chain
to. The gateway, whose public certificate may come from a public CA, names an internal
client pair with ``RHIP_TLS_CLIENT_CERT_FILE`` / ``RHIP_TLS_CLIENT_KEY_FILE``.

Outside development mode TLS is required: a process without certificates refuses to start
unless ``RHIP_TLS=off`` says plaintext on purpose (e.g. behind a mesh that encrypts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Whether a listener asks its clients for a certificate chaining to the CA. grpcio can
# request-and-require or not request at all (no "verify if presented"), so: require or none.
CLIENT_AUTH_MODES = ("require", "none")


class TlsConfigError(ValueError):
    """A TLS setting is missing or contradicts another; the message names the variable."""


@dataclass(frozen=True)
class TlsSettings:
    cert_file: str = ""
    key_file: str = ""
    ca_file: str = ""
    # Outbound calls' own certificate and key; empty: cert_file / key_file.
    client_cert_file: str = ""
    client_key_file: str = ""
    # The main listener's client authentication; empty: by role (a cell requires a client
    # certificate, the gateway's public port does not ask for one).
    client_auth: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.cert_file)

    @property
    def client_pair(self) -> tuple[str, str]:
        if self.client_cert_file:
            return self.client_cert_file, self.client_key_file
        return self.cert_file, self.key_file


FILES = {
    "cert_file": "RHIP_TLS_CERT_FILE",
    "key_file": "RHIP_TLS_KEY_FILE",
    "ca_file": "RHIP_TLS_CA_FILE",
    "client_cert_file": "RHIP_TLS_CLIENT_CERT_FILE",
    "client_key_file": "RHIP_TLS_CLIENT_KEY_FILE",
}


def load_tls_settings(env: Mapping[str, str], *, development: bool) -> TlsSettings:
    """TLS settings from ``env``; raises TlsConfigError naming the first bad variable. File
    contents are read (and checked) when the transport is built (rhip.kit.transport)."""
    mode = env.get("RHIP_TLS", "")
    if mode not in ("", "on", "off"):
        raise TlsConfigError(f"RHIP_TLS must be on or off, got {mode!r}")
    files = {attr: env.get(var, "") for attr, var in FILES.items()}
    client_auth = env.get("RHIP_TLS_CLIENT_AUTH", "")
    if client_auth not in ("", *CLIENT_AUTH_MODES):
        raise TlsConfigError(
            f"RHIP_TLS_CLIENT_AUTH must be one of {', '.join(CLIENT_AUTH_MODES)}, got {client_auth!r}"
        )
    named = [FILES[attr] for attr, value in files.items() if value]
    if mode == "off":
        if named:
            raise TlsConfigError(f"RHIP_TLS=off contradicts {named[0]}")
        return TlsSettings()
    if not named and mode == "":
        if not development:
            raise TlsConfigError(
                "TLS is required outside development mode: set RHIP_TLS_CERT_FILE, "
                "RHIP_TLS_KEY_FILE and RHIP_TLS_CA_FILE (or RHIP_TLS=off for plaintext on "
                "purpose, e.g. behind a mesh that encrypts)"
            )
        return TlsSettings()
    for attr in ("cert_file", "key_file", "ca_file"):
        if not files[attr]:
            raise TlsConfigError(f"{FILES[attr]} is required when TLS is on")
    if bool(files["client_cert_file"]) != bool(files["client_key_file"]):
        raise TlsConfigError("RHIP_TLS_CLIENT_CERT_FILE and RHIP_TLS_CLIENT_KEY_FILE go together")
    return TlsSettings(**files, client_auth=client_auth)
