"""The real processes the gateway benchmarks run against: a cell (``rhip serve --demo``) and a
gateway on loopback, on SQLite or a scratch PostgreSQL database, with the demo doctors' tokens
and the residents the reads name."""

from __future__ import annotations

import base64
import json
import os
import sys
import uuid
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import grpc
from _common import (
    Child,
    free_port,
)

IDENTITY = "/rhip.api.identity.v1.IdentityService/"
READ_METHOD = IDENTITY + "GetTenant"
WRITE_METHOD = IDENTITY + "UpdateTenant"
RESIDENT_METHOD = "/rhip.api.identity.v1.ResidentService/GetResident"
RESIDENTS_PER_DOCTOR = 8
DEMO_PASSWORD = "Demo-Passw0rd-2026"
DOCTORS = tuple(f"xz-doctor-{i}" for i in range(1, 6))
WRITER = "xz-admin"
LOGIN_REGION = "320300"
WRITE_TENANTS = 64  # one per load worker at the highest concurrency
WRITE_SHARE = 0.2
CONCURRENCIES = (8, 64)
PROFILE_CONCURRENCY = 64


# -- the real processes ------------------------------------------------------------------------
def _pb():  # type: ignore[no-untyped-def]
    from rhip.api.identity.v1 import identity_service_pb2, identity_service_pb2_grpc

    return identity_service_pb2, identity_service_pb2_grpc


class Platform:
    """A demo cell (``rhip serve --services all --demo``) and a gateway in front of it, with
    tokens for the demo doctors and the Xuzhou administrator and tenants to write to.
    ``tls``: ``RHIP_TLS_*`` of the cell and of the gateway and the CA file clients trust
    (bench_tls.py); both then answer health on a plaintext port of their own."""

    def __init__(
        self, backend: str, db_url: str | None, folder: Path, tls: dict | None = None
    ) -> None:
        self.backend = backend
        self.folder = folder
        self.tls_ca: str | None = tls["ca"] if tls else None
        self.cell_address = f"127.0.0.1:{free_port()}"
        self.gateway_address = f"127.0.0.1:{free_port()}"
        routes = folder / "routes.json"
        routes.write_text(
            json.dumps(
                {
                    "cells": [
                        {"name": "jiangsu", "regions": ["320000"], "address": self.cell_address}
                    ]
                }
            )
        )
        data_dir = folder / "data"
        self.db_url = db_url or f"sqlite:///{data_dir / '320000' / 'identity.db'}"
        self.pg_database = db_url.rsplit("/", 1)[1] if db_url else None
        inherited = {
            k: v for k, v in os.environ.items() if not k.startswith(("RHIP_", "OTEL_"))
        }  # the defaults, whatever the caller's shell sets
        env = {
            **inherited,
            "RHIP_CELL": "320000",
            "RHIP_DATA_DIR": str(data_dir),
            "RHIP_ROUTES": str(routes),
            "RHIP_ACCESS_TOKEN_TTL_SECONDS": "3600",  # tokens outlive any run
        }
        if db_url:
            env["RHIP_IDENTITY_DATABASE_URL"] = db_url
        python = sys.executable
        health = {"cell": self.cell_address, "gateway": self.gateway_address}
        extra: dict[str, dict[str, str]] = {"cell": {}, "gateway": {}}
        if tls:
            for name in extra:
                health[name] = f"127.0.0.1:{free_port()}"
                extra[name] = {**tls[name], "RHIP_HEALTH_LISTEN": health[name]}
        self._health = health
        # The cell's Prometheus endpoint: the audit writer's group commits (audit_ab).
        self.cell_metrics = f"127.0.0.1:{free_port()}"
        self._cell_env = {**env, "RHIP_LISTEN": self.cell_address, **extra["cell"]}
        self._cell_env["RHIP_METRICS_LISTEN"] = self.cell_metrics
        self._cell_cmd = [python, "-m", "rhip.cli", "serve", "--services", "all"]
        self.cell = Child(f"cell-{backend}", [*self._cell_cmd, "--demo"], folder, self._cell_env)
        self.cell_restarts = 0
        self.gateway: Child | None = None
        try:
            self.cell.wait_serving(health["cell"])
            self.gateway_metrics = f"127.0.0.1:{free_port()}"
            self.gateway = Child(
                f"gateway-{backend}",
                [python, "-m", "rhip.cli", "gateway", "--listen", self.gateway_address],
                folder,
                {
                    **env,
                    "RHIP_RATE_LIMIT_PER_SECOND": "1000000",
                    "RHIP_RATE_LIMIT_BURST": "1000000",
                    **extra["gateway"],
                    "RHIP_METRICS_LISTEN": self.gateway_metrics,
                },
            )
            self.gateway.wait_serving(health["gateway"])
            self._prepare()
        except BaseException:
            self.stop()
            raise

    def restart_cell(self, extra_env: dict[str, str]) -> None:
        """The cell again, on the same address and database (demo data already in), with
        ``extra_env`` on top of its settings; the gateway reconnects by itself."""
        self.cell.stop()
        self.cell_restarts += 1
        self.cell = Child(
            f"cell-{self.backend}-{self.cell_restarts}",
            self._cell_cmd,
            self.folder,
            {**self._cell_env, **extra_env},
        )
        self.cell.wait_serving(self._health["cell"])

    def _prepare(self) -> None:
        pb, pb_grpc = _pb()
        from google.protobuf.field_mask_pb2 import FieldMask
        from rhip.api.identity.v1 import tenant_pb2

        if self.tls_ca:
            credentials = grpc.ssl_channel_credentials(Path(self.tls_ca).read_bytes())
            channel = grpc.secure_channel(self.gateway_address, credentials)
        else:
            channel = grpc.insecure_channel(self.gateway_address)
        with channel:
            stub = pb_grpc.IdentityServiceStub(channel)

            def login(username: str):  # type: ignore[no-untyped-def]
                return stub.Login(
                    pb.LoginRequest(
                        password=pb.PasswordCredentials(username=username, password=DEMO_PASSWORD)
                    ),
                    metadata=[("x-rhip-region", LOGIN_REGION)],
                    timeout=30,
                )

            self.doctors = []  # (token, tenant_id)
            for username in DOCTORS:
                session = login(username)
                self.doctors.append((session.access_token, session.principal.tenant_id))
            admin = login(WRITER)
            self.admin_token = admin.access_token
            admin_md = [("authorization", "Bearer " + self.admin_token)]
            self.write_tenants = []
            for i in range(WRITE_TENANTS):
                created = stub.CreateTenant(
                    pb.CreateTenantRequest(
                        tenant=tenant_pb2.Tenant(
                            display_name=f"压测卫生室 {i + 1:02d}",
                            type=tenant_pb2.TENANT_TYPE_VILLAGE_CLINIC,
                            region_code="320312" if i % 2 else "320311",
                        ),
                        request_id=str(uuid.uuid4()),
                    ),
                    metadata=admin_md,
                    timeout=30,
                )
                self.write_tenants.append(created.tenant_id)
            # every read and write of the plans, once, so a misconfiguration fails here
            regions = []
            for token, tenant_id in self.doctors:
                tenant = stub.GetTenant(
                    pb.GetTenantRequest(name=f"tenants/{tenant_id}"),
                    metadata=[("authorization", "Bearer " + token)],
                    timeout=30,
                )
                regions.append(tenant.region_code)
            self.resident_items = register_residents(channel, self.doctors, regions)
        self.read_items = [
            {
                "method": READ_METHOD,
                "metadata": [["authorization", "Bearer " + token]],
                "request": _b64(pb.GetTenantRequest(name=f"tenants/{tenant_id}")),
            }
            for token, tenant_id in self.doctors
        ]
        self.write_slots = [
            [
                {
                    "method": WRITE_METHOD,
                    "metadata": [["authorization", "Bearer " + self.admin_token]],
                    "request": _b64(
                        pb.UpdateTenantRequest(
                            tenant=tenant_pb2.Tenant(
                                name=f"tenants/{tenant_id}",
                                display_name=f"压测卫生室 {i + 1:02d} {variant}",
                            ),
                            update_mask=FieldMask(paths=["display_name"]),
                        )
                    ),
                }
                for variant in ("甲", "乙")
            ]
            for i, tenant_id in enumerate(self.write_tenants)
        ]

    def audit(self) -> dict:
        """Rows in the audit log and whether its hash chain verifies."""
        from rhip.kit.audit import verify
        from rhip.kit.db import make_engine
        from sqlalchemy import text

        engine = make_engine(self.db_url, pool_size=1)
        try:
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one()
                report = verify(conn)
        finally:
            engine.dispose()
        return {"rows": int(rows), "intact": report.intact, "problem": report.problem}

    def stop(self) -> None:
        for child in (self.gateway, self.cell):
            if child is not None:
                child.stop()


def register_residents(
    channel: grpc.Channel, doctors: list[tuple[str, str]], regions: list[str]
) -> list[dict]:
    """Residents for (e): each doctor registers RESIDENTS_PER_DOCTOR synthetic residents of
    its own tenant's region (valid check digits, not real people) and reads them back by
    ``GetResident``, an audited read of personal data."""
    from rhip.api.identity.v1 import resident_pb2, resident_service_pb2, resident_service_pb2_grpc
    from rhip.identity.residents.documents import id_check_char

    stub = resident_service_pb2_grpc.ResidentServiceStub(channel)
    items = []
    for d, ((token, _tenant), region) in enumerate(zip(doctors, regions, strict=True)):
        md = [("authorization", "Bearer " + token)]
        for i in range(RESIDENTS_PER_DOCTOR):
            body = f"{region[:6]}1980{d + 1:02d}{i + 1:02d}{900 + i:03d}"
            reply = stub.RegisterResident(
                resident_service_pb2.RegisterResidentRequest(
                    resident=resident_pb2.Resident(display_name="压测居民", region_code=region),
                    document=resident_pb2.IdentityDocument(
                        type=resident_pb2.DOCUMENT_TYPE_RESIDENT_ID_CARD,
                        number=body + id_check_char(body),
                    ),
                    request_id=str(uuid.uuid4()),
                ),
                metadata=md,
                timeout=30,
            )
            request = resident_service_pb2.GetResidentRequest(name=reply.resident.name)
            stub.GetResident(request, metadata=md, timeout=30)
            items.append(
                {
                    "method": RESIDENT_METHOD,
                    "metadata": [list(pair) for pair in md],
                    "request": _b64(request),
                }
            )
    return items


def _b64(message) -> str:  # type: ignore[no-untyped-def]
    return base64.b64encode(message.SerializeToString()).decode()
