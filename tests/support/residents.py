"""Helpers for resident-index tests: the ResidentService stub and request builders."""

from __future__ import annotations

import grpc
from rhip.api.identity.v1 import resident_pb2, resident_service_pb2, resident_service_pb2_grpc
from rhip.identity.residents.documents import id_check_char

pb = resident_service_pb2
ID_CARD = resident_pb2.DOCUMENT_TYPE_RESIDENT_ID_CARD

# Synthetic numbers from docs/domain §1.1 (not real people).
XUZHOU_MAN = "320302198512070310"
ZAOZHUANG_WOMAN = "370402200002290043"
LHASA_MAN = "540102199003071213"


def stub(channel: grpc.Channel) -> resident_service_pb2_grpc.ResidentServiceStub:
    return resident_service_pb2_grpc.ResidentServiceStub(channel)


def with_check(body17: str) -> str:
    return body17 + id_check_char(body17)


def document(
    number: str, doc_type: int = ID_CARD, country: str = ""
) -> resident_pb2.IdentityDocument:
    return resident_pb2.IdentityDocument(type=doc_type, number=number, issuing_country=country)


def register_request(
    number: str,
    name: str = "张三",
    region: str = "320311",
    doc_type: int = ID_CARD,
    **fields,  # type: ignore[no-untyped-def]
) -> resident_service_pb2.RegisterResidentRequest:
    request_id = fields.pop("request_id", "")
    country = fields.pop("issuing_country", "")
    return pb.RegisterResidentRequest(
        resident=resident_pb2.Resident(display_name=name, region_code=region, **fields),
        document=document(number, doc_type, country),
        request_id=request_id,
    )


def dynamic_qr(channel: grpc.Channel, resident: str, metadata: list[tuple[str, str]]) -> str:
    """The resident's card (issued once) and a fresh dynamic QR payload from it: what the
    resident's health-card app shows, here made by a practitioner of the issuing cell."""
    from rhip.api.identity.v1 import health_card_pb2

    residents = stub(channel)
    residents.IssueHealthCard(
        pb.IssueHealthCardRequest(parent=resident), metadata=metadata, timeout=15
    )
    code = residents.CreateHealthCardQrCode(
        pb.CreateHealthCardQrCodeRequest(
            name=f"{resident}/healthCard", type=health_card_pb2.QR_CODE_TYPE_DYNAMIC
        ),
        metadata=metadata,
        timeout=15,
    )
    return str(code.payload)
