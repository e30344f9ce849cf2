"""Two cells in one process for archives tests, on SQLite and PostgreSQL: a Jiangsu and a
Shandong cell (demo worlds, each with its own identity and archives databases) and a gateway
between them; helpers to make a Xuzhou record and request it from Zaozhuang."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from archives.helpers import complete_form, days_ago
from conftest import postgres_schema
from rhip.api.archives.v1 import archives_service_pb2 as apb
from rhip.api.archives.v1 import archives_service_pb2_grpc
from rhip.api.archives.v1 import health_record_pb2 as rec
from rhip.api.identity.v1 import identity_service_pb2 as id_pb
from rhip.api.identity.v1 import identity_service_pb2_grpc
from rhip.demo import DEMO_PASSWORD
from support.cells import RunningCell
from support.residents import XUZHOU_MAN, document, register_request, stub
from support.two_cells import cells_behind_gateway

TIMEOUT = 15


@dataclass
class TwoCells:
    channel: grpc.Channel  # to the gateway
    api: archives_service_pb2_grpc.ArchivesServiceStub
    cells: dict[str, RunningCell]

    def md(self, username: str, region: str) -> list[tuple[str, str]]:
        login = identity_service_pb2_grpc.IdentityServiceStub(self.channel).Login(
            id_pb.LoginRequest(
                password=id_pb.PasswordCredentials(username=username, password=DEMO_PASSWORD)
            ),
            metadata=[("x-rhip-region", region)],
            timeout=TIMEOUT,
        )
        return [("authorization", f"Bearer {login.access_token}")]


@pytest.fixture
def two_cells(tmp_path: Path, database_url: str) -> Iterator[TwoCells]:
    schemas = ExitStack()

    def url(name: str) -> str:
        if database_url.startswith("sqlite"):
            return f"sqlite:///{tmp_path / name}.db"
        return schemas.enter_context(postgres_schema("x"))

    with schemas, cells_behind_gateway(tmp_path, url) as (gateway_address, cells):
        channel = grpc.insecure_channel(gateway_address)
        yield TwoCells(channel, archives_service_pb2_grpc.ArchivesServiceStub(channel), cells)
        channel.close()


def _record_in_xuzhou(t: TwoCells, xz: list[tuple[str, str]]) -> rec.HealthRecord:
    residents = stub(t.channel)
    resident = residents.RegisterResident(
        register_request(XUZHOU_MAN, region="320311"), metadata=xz, timeout=TIMEOUT
    ).resident
    record = t.api.CreateHealthRecord(
        apb.CreateHealthRecordRequest(
            resident=resident.name, township_code="001", village_code="101",
            basic_info=complete_form(),
        ),
        metadata=xz, timeout=TIMEOUT,
    )  # fmt: skip
    record = t.api.ActivateHealthRecord(
        apb.ActivateHealthRecordRequest(name=record.name), metadata=xz, timeout=TIMEOUT
    )
    t.api.StartFollowUpPlan(
        apb.StartFollowUpPlanRequest(parent=record.name, program=rec.PROGRAM_HYPERTENSION),
        metadata=xz, timeout=TIMEOUT,
    )  # fmt: skip
    return record


def _request(
    t: TwoCells, zz: list[tuple[str, str]], request_id: str | None = None
) -> apb.RecordTransfer:
    """Zaozhuang asks for the Xuzhou man's record (``request_id`` "": a caller sending none)."""
    resident = (
        stub(t.channel)
        .RegisterResident(
            register_request(XUZHOU_MAN, region="370402"), metadata=zz, timeout=TIMEOUT
        )
        .resident
    )
    return t.api.RequestRecordTransfer(
        apb.RequestRecordTransferRequest(
            resident=resident.name,
            consent=apb.TransferConsent(
                method="signed_form", consent_date=days_ago(1), reference="F-1"
            ),
            reason="迁居枣庄", source_region="320311",
            request_id=str(uuid.uuid4()) if request_id is None else request_id,
            document=document(XUZHOU_MAN), consent_form_reference="F-1",
        ),
        metadata=zz, timeout=TIMEOUT,
    )  # fmt: skip


def _get(t: TwoCells, name: str, md: list[tuple[str, str]]) -> apb.RecordTransfer:
    return t.api.GetRecordTransfer(
        apb.GetRecordTransferRequest(name=name), metadata=md, timeout=TIMEOUT
    )


def tenant_of(md: list[tuple[str, str]]) -> str:
    """The tenant id in the (unverified) claims of the caller's token."""
    payload = md[0][1].removeprefix("Bearer ").split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["tid"])
