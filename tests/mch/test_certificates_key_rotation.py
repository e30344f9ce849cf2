"""A birth certificate lives for a lifetime: after a signing-key rotation (the cell restarts
with RHIP_SIGNING_KEY=B and its old key in RHIP_RETIRED_SIGNING_KEYS, rhip.kit.signing_keys) the
signed code printed before still verifies offline with the published keys and at the cell, a
new certificate's code is signed by B, and a code signed by a key the cell never held is
refused. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings
from mch.bmc_support import Bmc, deliver, issue, make_bmc, police
from mch.conftest import Mch, make_mch
from rhip.api.identity.v1 import qualification_service_pb2_grpc
from rhip.api.mch.v1 import birth_certificate_pb2 as bpb
from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb
from rhip.api.mch.v1 import birth_certificate_service_pb2_grpc, mch_service_pb2_grpc
from rhip.kit.config import Settings, load_settings
from rhip.kit.signed_codes import CodeSigner, key_from_jwk, verify_code
from rhip.mch.certificates.verification import SIGNING_LABEL
from support.cells import RunningCell, start_cell


@pytest.fixture
def before(tmp_path: Path, database_url: str, mch_urls: tuple[str, str]) -> Settings:
    archives, mch = mch_urls
    return make_settings(
        tmp_path, database_url, RHIP_ARCHIVES_DATABASE_URL=archives, RHIP_MCH_DATABASE_URL=mch
    )


@pytest.fixture
def cells() -> Iterator[list[RunningCell]]:
    """The cells a test starts, stopped at its end."""
    started: list[RunningCell] = []
    yield started
    for running in started:
        running.channel.close()
        running.cell.stop(0)


def _keys(bmc: Bmc) -> list[dict[str, str]]:
    reply = bmc.api.GetBirthCertificateKeys(spb.GetBirthCertificateKeysRequest())  # no token
    return [json.loads(k) for k in reply.keys_json]


def _verify(bmc: Bmc, md: list[tuple[str, str]], code: str) -> int:
    return bmc.api.VerifyBirthCertificate(
        spb.VerifyBirthCertificateRequest(signed_code=code), metadata=md
    ).result


def test_a_code_printed_before_a_rotation_still_verifies_and_new_ones_use_the_new_key(
    before: Settings, cells: list[RunningCell]
) -> None:
    cells.append(start_cell(before))
    bmc = make_bmc(make_mch(cells[0]))
    bmc.down_to_hospital("X320101001", 10)
    verifier = police(bmc.mch)
    old = issue(bmc, deliver(bmc.mch).newborns[0].name, "X320101001")
    (old_key,) = _keys(bmc)
    first = cells.pop()
    first.channel.close()
    first.cell.stop(0)

    rotated = load_settings(
        {
            **before.env,
            "RHIP_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
            "RHIP_RETIRED_SIGNING_KEYS": before.env["RHIP_SECRET_KEY"],
        }
    )
    running = start_cell(rotated)
    cells.append(running)
    mch = Mch(
        running, bmc.mch.world, mch_service_pb2_grpc.MchServiceStub(running.channel),
        qualification_service_pb2_grpc.QualificationServiceStub(running.channel),
        bmc.mch.residents,
    )  # fmt: skip
    bmc = Bmc(mch, birth_certificate_service_pb2_grpc.BirthCertificateServiceStub(running.channel))
    published = _keys(bmc)
    assert published[1] == old_key and published[0]["kid"] != old_key["kid"]
    keys = {k["kid"]: key_from_jwk(k) for k in published}
    # Printed before the rotation: offline with the published keys, and at the cell (the
    # verifier's token, signed by identity's own token keys, outlives the rotation too).
    fields = verify_code(old.signed_code, keys, 4)
    assert fields is not None and fields[1] == "X320101001"
    assert old.signed_code.split(":")[4] == old_key["kid"]
    assert _verify(bmc, verifier, old.signed_code) == bpb.VERIFICATION_RESULT_AUTHENTIC
    # Printed after: signed by the new key.
    new = issue(bmc, deliver(bmc.mch, woman="woman2").newborns[0].name, "X320101002")
    assert new.signed_code.split(":")[4] == published[0]["kid"]
    assert verify_code(new.signed_code, keys, 4) is not None
    assert _verify(bmc, verifier, new.signed_code) == bpb.VERIFICATION_RESULT_AUTHENTIC
    # The same fields signed by a key the cell never held answer like an unknown number.
    assert fields is not None
    stranger = CodeSigner(os.urandom(32), SIGNING_LABEL).sign(fields)
    assert verify_code(stranger, keys, 4) is None
    assert _verify(bmc, verifier, stranger) == bpb.VERIFICATION_RESULT_NOT_FOUND
