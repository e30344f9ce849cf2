"""The token verifier and the trust between cells (issue 12 item 2, docs/architecture.md §4): a
signing key vouches only for principals of the regions its cell owns and for that cell's own
account, and only in tokens naming that cell as issuer; a cached verdict does not outlive a
routing reload that changes it."""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from rhip.kit.authn import TokenVerifier
from rhip.kit.errors import Unauthenticated
from rhip.kit.routing import RoutingTable
from rhip.kit.trust import CellKeys, single_cell

KEYS = {"jiangsu": Ed25519PrivateKey.generate(), "shandong": Ed25519PrivateKey.generate(),
        "xuzhou": Ed25519PrivateKey.generate(), "nanjing": Ed25519PrivateKey.generate()}  # fmt: skip
ISSUER = {"jiangsu": "rhip-identity/320000", "shandong": "rhip-identity/370000",
          "xuzhou": "rhip-identity/320300", "nanjing": "rhip-identity/320100"}  # fmt: skip
CELLS = [
    {"name": "jiangsu", "regions": ["320000"], "address": "127.0.0.1:1"},
    {"name": "shandong", "regions": ["370000"], "address": "127.0.0.1:2"},
]
XUZHOU = {"name": "xuzhou", "regions": ["320300"], "address": "127.0.0.1:3"}


class _Lookups:
    """Each cell's KeySource (kid = the cell's name), counting the lookups made."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, cell: str):  # type: ignore[no-untyped-def]
        def lookup(kid: str) -> Ed25519PublicKey | None:
            self.count += 1
            return KEYS[cell].public_key() if kid == cell else None

        return lookup


def _write(path: Path, cells: list[dict[str, Any]]) -> Path:
    mtime = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(json.dumps({"cells": cells}))
    os.utime(path, ns=(0, max(path.stat().st_mtime_ns, mtime + 1_000_000)))  # seen as changed
    return path


def _token(cell: str, reg: str, *, sub: str = "user:1", kind: str = "regional_admin",
           issuer: str | None = None, **extra: Any) -> str:  # fmt: skip
    now = int(time.time())
    claims = {"iss": ISSUER[cell] if issuer is None else issuer, "aud": "rhip", "sub": sub,
              "kind": kind, "tid": "", "reg": reg, "iat": now, "exp": now + 300, **extra}  # fmt: skip
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, KEYS[cell], algorithm="EdDSA", headers={"kid": cell})


def _reason(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as refused:
        verifier.verify(token)
    return refused.value.reason


@pytest.fixture
def routes(tmp_path: Path) -> RoutingTable:
    return RoutingTable.from_file(_write(tmp_path / "routes.json", CELLS))


def test_a_key_vouches_only_for_its_own_cells_principals(routes: RoutingTable) -> None:
    verifier = TokenVerifier(CellKeys(routes, _Lookups()))
    assert verifier.verify(_token("jiangsu", "320311")).region_code == "320311"
    assert verifier.verify(_token("shandong", "370402")).issuer == "rhip-identity/370000"
    # Shandong's key for a Jiangsu principal: naming Shandong, or naming Jiangsu.
    assert _reason(verifier, _token("shandong", "320000")) == "TOKEN_KEY_NOT_TRUSTED_FOR_REGION"
    assert _reason(verifier, _token("shandong", "320311")) == "TOKEN_KEY_NOT_TRUSTED_FOR_REGION"
    assert _reason(verifier, _token("shandong", "320000", issuer=ISSUER["jiangsu"])) == (
        "TOKEN_ISSUER"
    )
    # Nor the other way round, nor for a region no cell owns.
    assert _reason(verifier, _token("jiangsu", "370402")) == "TOKEN_KEY_NOT_TRUSTED_FOR_REGION"
    assert _reason(verifier, _token("jiangsu", "440300")) == "TOKEN_KEY_NOT_TRUSTED_FOR_REGION"
    assert _reason(verifier, _token("jiangsu", "not-a-region")) == (
        "TOKEN_KEY_NOT_TRUSTED_FOR_REGION"
    )
    # An issuer that is no cell of the table, or none at all.
    for issuer in (
        "rhip-identity/440000",
        "rhip-identity/320300",
        "rhip-identity/nope",
        "test",
        "",
    ):
        assert _reason(verifier, _token("jiangsu", "320000", issuer=issuer)) == "TOKEN_ISSUER"
    assert _reason(verifier, _token("jiangsu", "320000", issuer="", iss=None)) == "TOKEN_ISSUER"
    # A key no cell published.
    stranger = jwt.encode(jwt.decode(_token("jiangsu", "320000"), options={"verify_signature": False}),
                          Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "x"})  # fmt: skip
    assert _reason(verifier, stranger) == "TOKEN_KEY_UNKNOWN"


def test_a_cell_key_speaks_for_its_own_cell_account_only(routes: RoutingTable) -> None:
    verifier = TokenVerifier(CellKeys(routes, _Lookups()))

    def account(cell: str, subject: str, reg: str) -> str:
        return _token(cell, reg, sub=subject, kind="service_account")

    assert verifier.verify(account("shandong", "sa:cell-370000", "370000")).is_cell_account
    for subject, reg in (("sa:cell-320000", "320000"), ("sa:cell-370000", "320000")):
        reason = _reason(verifier, account("shandong", subject, reg))
        assert reason == "TOKEN_KEY_NOT_TRUSTED_FOR_REGION", (subject, reg)


def test_the_most_specific_cell_owns_and_a_reload_ends_cached_verdicts(
    tmp_path: Path, routes: RoutingTable
) -> None:
    lookups = _Lookups()
    now = [0.0]
    trust = CellKeys(routes, lookups, reload=True, clock=lambda: now[0])
    verifier = TokenVerifier(trust)
    quanshan = _token("jiangsu", "320311")
    assert verifier.verify(quanshan).region_code == "320311"
    # A repeat verify is answered from the cache: no key is looked up again.
    before = lookups.count
    assert verifier.verify(quanshan).region_code == "320311"
    assert lookups.count == before
    # Xuzhou becomes a cell of its own: Jiangsu's key no longer vouches for Quanshan, even
    # for the token verified (and cached) before, once the table is re-read (a second on).
    _write(tmp_path / "routes.json", [*CELLS, XUZHOU])
    assert verifier.verify(quanshan).region_code == "320311"  # not re-read yet
    now[0] = 1.0
    assert _reason(verifier, quanshan) == "TOKEN_KEY_NOT_TRUSTED_FOR_REGION"
    assert verifier.verify(_token("xuzhou", "320311")).region_code == "320311"
    assert verifier.verify(_token("jiangsu", "320100")).region_code == "320100"  # still Jiangsu's
    assert _reason(verifier, _token("xuzhou", "320100")) == "TOKEN_KEY_NOT_TRUSTED_FOR_REGION"


def test_a_cell_whose_table_lists_only_its_peers_owns_its_own_region(tmp_path: Path) -> None:
    """As the Helm chart renders a cell's table (``cell.peers``): this cell is not in it."""
    lookups = _Lookups()
    routes = RoutingTable.from_file(_write(tmp_path / "routes.json", CELLS))  # the peers
    nanjing = TokenVerifier(CellKeys(routes, lookups, own=("320100", lookups("nanjing"))))
    # Its own keys, for its own subtree: the most specific owner, inside Jiangsu's.
    assert nanjing.verify(_token("nanjing", "320106")).region_code == "320106"
    assert _reason(nanjing, _token("nanjing", "320300")) == "TOKEN_KEY_NOT_TRUSTED_FOR_REGION"
    # Jiangsu's keys for the rest of Jiangsu only; Shandong's for Shandong.
    assert nanjing.verify(_token("jiangsu", "320300")).region_code == "320300"
    assert _reason(nanjing, _token("jiangsu", "320106")) == "TOKEN_KEY_NOT_TRUSTED_FOR_REGION"
    assert nanjing.verify(_token("shandong", "370402")).region_code == "370402"
    assert _reason(nanjing, _token("shandong", "320106")) == "TOKEN_KEY_NOT_TRUSTED_FOR_REGION"
    assert _reason(nanjing, _token("shandong", "320106", issuer=ISSUER["nanjing"])) == (
        "TOKEN_ISSUER"
    )
    # Listed in its own table, a cell is that entry (by the region code it lists).
    jiangsu = TokenVerifier(CellKeys(routes, lookups, own=("320000", lookups("jiangsu"))))
    assert jiangsu.verify(_token("jiangsu", "320311")).region_code == "320311"
    assert _reason(jiangsu, _token("shandong", "320311")) == "TOKEN_KEY_NOT_TRUSTED_FOR_REGION"


def test_a_cell_without_a_routing_table_trusts_its_own_keys_for_its_own_regions() -> None:
    verifier = TokenVerifier(single_cell("320000", _Lookups()("jiangsu")))
    assert verifier.verify(_token("jiangsu", "320311")).region_code == "320311"
    assert _reason(verifier, _token("jiangsu", "370402")) == "TOKEN_KEY_NOT_TRUSTED_FOR_REGION"
    assert _reason(verifier, _token("shandong", "370402")) == "TOKEN_ISSUER"  # no such cell
    assert _reason(verifier, _token("jiangsu", "320000", issuer=ISSUER["shandong"])) == (
        "TOKEN_ISSUER"
    )


def test_a_payload_that_is_no_json_object_is_malformed(routes: RoutingTable) -> None:
    verifier = TokenVerifier(CellKeys(routes, _Lookups()))
    header = _token("jiangsu", "320000").split(".")[0]
    for payload in (b"[1]", b"{", b"\xff", b"[" * 100_000 + b"]" * 100_000):
        segment = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        assert _reason(verifier, f"{header}.{segment}.c2ln") == "TOKEN_MALFORMED", payload[:8]
    assert _reason(verifier, f"{header}") == "TOKEN_MALFORMED"
