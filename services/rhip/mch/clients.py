"""Outbound calls to identity (over gRPC, never its tables), each with the caller's own bearer
token so identity applies the caller's own visibility: the woman from the master index, the
caller's institution (type, level, region), its qualifications, and newborn registration; and,
with the cell's own account, another institution of the cell and its qualifications (a child
transfer's target, which a clinic may not read itself)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import grpc
from rhip.api.identity.v1 import (
    identity_service_pb2,
    identity_service_pb2_grpc,
    qualification_service_pb2,
    qualification_service_pb2_grpc,
    resident_pb2,
    resident_service_pb2,
    resident_service_pb2_grpc,
    tenant_pb2,
)
from rhip.kit.authn import current_token
from rhip.kit.channels import ChannelPool
from rhip.kit.crosscell import ServiceCredentials
from rhip.kit.deadlines import within
from rhip.kit.errors import FailedPrecondition, from_rpc_error
from rhip.kit.telemetry import outgoing_metadata

TIMEOUT_SECONDS = 5.0
# Fixed forever: a newborn's registration request id is derived from its id with it, so every
# retry of a delivery asks identity for the same registration.
NEWBORN_NAMESPACE = uuid.UUID("0193d2a1-5c3e-7b7a-8f21-3e9c6d40a7b2")


@dataclass(frozen=True)
class ResidentFacts:
    resident_id: str
    state: str  # VERIFIED, PROVISIONAL, MERGED, DECEASED
    sex: str  # MALE, FEMALE, UNKNOWN, NOT_STATED
    birth_date: date | None
    display_name: str = ""  # never logged
    # The numbers of the identity documents on file, as the caller may see them (in full for
    # clinicians; masked ones are left out): a birth certificate's mother is compared with
    # them. Never logged.
    documents: tuple[str, ...] = ()


GRASSROOTS_TYPES = frozenset(
    {
        "TENANT_TYPE_VILLAGE_CLINIC",
        "TENANT_TYPE_TOWNSHIP_HOSPITAL",
        "TENANT_TYPE_COMMUNITY_HEALTH_CENTER",
        "TENANT_TYPE_COMMUNITY_HEALTH_STATION",
    }
)


@dataclass(frozen=True)
class TenantFacts:
    tenant_id: str
    type: str  # TENANT_TYPE_…
    level: int  # 0 unspecified, 1 primary, 2 secondary, 3 tertiary
    region_code: str
    active: bool
    display_name: str = ""  # the institution's name (printed on birth certificates)

    @property
    def health_institution(self) -> bool:
        """False for a public-security organ: it verifies birth certificates and takes no
        child, pregnancy or delivery."""
        return self.type != "TENANT_TYPE_PUBLIC_SECURITY"

    @property
    def grassroots(self) -> bool:
        """A grassroots institution (基层医疗卫生机构): village clinic, township hospital,
        community health centre or station, whatever its grade."""
        return self.type in GRASSROOTS_TYPES

    @property
    def level_name(self) -> str:
        return tenant_pb2.TenantLevel.Name(self.level)  # type: ignore[arg-type,unused-ignore]


@dataclass(frozen=True)
class NewNewborn:
    newborn_id: str
    display_name: str  # never logged
    sex: str  # MALE, FEMALE, UNDETERMINED
    birth_date: date


def _facts(reply: resident_pb2.Resident) -> ResidentFacts:
    return ResidentFacts(
        reply.resident_id,
        resident_pb2.ResidentState.Name(reply.state).removeprefix("RESIDENT_STATE_"),
        resident_pb2.Sex.Name(reply.sex).removeprefix("SEX_"),
        date.fromisoformat(reply.birth_date) if reply.birth_date else None,
        reply.display_name,
        tuple(
            d.number.upper()
            for d in reply.documents
            if not d.masked and d.type != resident_pb2.DOCUMENT_TYPE_BIRTH_CERTIFICATE
        ),
    )


_SEX = {"MALE": resident_pb2.SEX_MALE, "FEMALE": resident_pb2.SEX_FEMALE}


class IdentityClient:
    """``address`` is read on every call: in all-in-one mode the cell points it at its own
    port once it is bound."""

    def __init__(
        self,
        address: Callable[[], str],
        pool: ChannelPool,
        cell_account: tuple[str, str, str] | None = None,
    ) -> None:
        """``cell_account``: (client id, secret, cell) of the cell's own account, if any."""
        self._address = address
        self._pool = pool
        self._cell_account = cell_account
        self._cell: ServiceCredentials | None = None
        self._lock = threading.Lock()
        # A stub per type, made again only when the pool hands out another channel: a stub
        # builds a callable per method of its service (a fifth of a millisecond of CPU for
        # ResidentService), too much to spend on every call.
        self._stubs: dict[type, tuple[grpc.Channel, Any]] = {}

    @property
    def has_cell_account(self) -> bool:
        """Whether the cell has its own account (another institution's entry is read with it)."""
        return self._cell_account is not None

    def _metadata(self) -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {current_token()}"), *outgoing_metadata()]

    def _as_cell(self) -> list[tuple[str, str]]:
        if self._cell_account is None:
            raise FailedPrecondition(
                "this cell has no cell account (RHIP_CELL_CLIENT_ID, RHIP_CELL_CLIENT_SECRET): "
                "child transfers are off",
                reason="CHILD_TRANSFER_DISABLED",
            )
        with self._lock:
            if self._cell is None:
                self._cell = ServiceCredentials(
                    self._pool.get(self._address()), *self._cell_account
                )
        return [("authorization", f"Bearer {self._cell.token()}"), *outgoing_metadata()]

    def _stub(self, stub_type: Any) -> Any:
        channel = self._pool.get(self._address())
        kept = self._stubs.get(stub_type)
        if kept is None or kept[0] is not channel:
            kept = self._stubs[stub_type] = (channel, stub_type(channel))
        return kept[1]

    def _call(self, stub_type: Any, method: str, request: Any, *, as_cell: bool = False) -> Any:
        stub = self._stub(stub_type)
        metadata = self._as_cell() if as_cell else self._metadata()
        try:
            return getattr(stub, method)(
                request, metadata=metadata, timeout=within(TIMEOUT_SECONDS)
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None

    def resident(self, name: str) -> ResidentFacts:
        reply = self._call(
            resident_service_pb2_grpc.ResidentServiceStub,
            "GetResident",
            resident_service_pb2.GetResidentRequest(name=name),
        )
        return _facts(reply)

    def lookup(
        self, document: resident_pb2.IdentityDocument, name: str = "", *, as_cell: bool = False
    ) -> ResidentFacts:
        """The resident holding ``document`` that the caller (or, ``as_cell``, the cell) may
        see; with ``name``, only if the resident also carries that name (NOT_FOUND
        otherwise)."""
        reply = self._call(
            resident_service_pb2_grpc.ResidentServiceStub,
            "LookupResident",
            resident_service_pb2.LookupResidentRequest(document=document, display_name=name),
            as_cell=as_cell,
        )
        return _facts(reply)

    def tenant(self, tenant_id: str, *, as_cell: bool = False) -> TenantFacts:
        """``as_cell``: looked up with the cell's account (any institution of the cell)."""
        reply = self._call(
            identity_service_pb2_grpc.IdentityServiceStub,
            "GetTenant",
            identity_service_pb2.GetTenantRequest(name=f"tenants/{tenant_id}"),
            as_cell=as_cell,
        )
        return TenantFacts(
            reply.tenant_id,
            tenant_pb2.TenantType.Name(reply.type),
            int(reply.level),
            reply.region_code,
            reply.state == tenant_pb2.TENANT_STATE_ACTIVE,
            reply.display_name,
        )

    def other_tenant(self, tenant_id: str) -> tuple[TenantFacts, set[str]]:
        """Another institution of the cell and its qualifications: with the cell's account when
        the cell has one (a clinic may read only its own entry), else as the caller."""
        as_cell = self._cell_account is not None
        found = self.tenant(tenant_id, as_cell=as_cell)
        return found, self.qualifications(tenant_id, as_cell=as_cell)

    def qualifications(self, tenant_id: str, *, as_cell: bool = False) -> set[str]:
        """The active qualification kinds of a tenant (MIDWIFERY, RISK_GRADING …)."""
        reply = self._call(
            qualification_service_pb2_grpc.QualificationServiceStub,
            "ListQualifications",
            qualification_service_pb2.ListQualificationsRequest(
                parent=f"tenants/{tenant_id}", page_size=100
            ),
            as_cell=as_cell,
        )
        return {
            qualification_service_pb2.QualificationKind.Name(q.kind).removeprefix(
                "QUALIFICATION_KIND_"
            )
            for q in reply.qualifications
        }

    def link_birth_certificate(
        self, resident_id: str, number: str, replaces: str = "", *, as_cell: bool = False
    ) -> None:
        """Records the certificate number as the child's document in the master index (with
        ``replaces``, beside the number a replacement or reissue supersedes); ``as_cell``:
        with the cell's account (the outbox's delivery, certificates/links.py)."""
        self._call(
            resident_service_pb2_grpc.ResidentServiceStub,
            "LinkBirthCertificate",
            resident_service_pb2.LinkBirthCertificateRequest(
                name=f"residents/{resident_id}",
                birth_certificate_number=number,
                replaces=replaces,
            ),
            as_cell=as_cell,
        )

    def link_birth_certificates(self, links: list[tuple[str, str, str]]) -> list[bool]:
        """(resident id, number, replaced number or "") each, in one call as the cell's
        account, all or none; per link True when linked now, False when held already."""
        reply = self._call(
            resident_service_pb2_grpc.ResidentServiceStub,
            "LinkBirthCertificates",
            resident_service_pb2.LinkBirthCertificatesRequest(
                links=[
                    resident_service_pb2.LinkBirthCertificateRequest(
                        name=f"residents/{resident_id}",
                        birth_certificate_number=number,
                        replaces=replaces,
                    )
                    for resident_id, number, replaces in links
                ]
            ),
            as_cell=True,
        )
        return list(reply.linked)

    def register_newborn(self, mother_id: str, baby: NewNewborn) -> str:
        """Registers the baby as a provisional resident linked to the mother; the request id
        comes from the newborn's id, so a retry gets the same resident back."""
        reply = self._call(
            resident_service_pb2_grpc.ResidentServiceStub,
            "RegisterNewborn",
            resident_service_pb2.RegisterNewbornRequest(
                resident=resident_pb2.Resident(
                    display_name=baby.display_name,
                    sex=_SEX.get(baby.sex, resident_pb2.SEX_UNKNOWN),
                    birth_date=baby.birth_date.isoformat(),
                    mother=f"residents/{mother_id}",
                ),
                request_id=str(uuid.uuid5(NEWBORN_NAMESPACE, baby.newborn_id)),
            ),
        )
        return str(reply.resident_id)
