"""ResidentService servicer: proto ⇄ domain conversion only (and masking on the way out)."""

from __future__ import annotations

import json

from rhip.api.identity.v1 import health_card_pb2, resident_pb2, resident_service_pb2_grpc
from rhip.api.identity.v1 import resident_service_pb2 as pb
from rhip.identity.residents.changes import ResidentChangeFeed
from rhip.identity.residents.documents import DocumentType, Sex, mask_number
from rhip.identity.residents.domain import (
    Demographics,
    HealthCard,
    MergeRecord,
    ResidenceType,
    Resident,
    ResidentChange,
    ResidentState,
)
from rhip.identity.residents.health_cards import HealthCards
from rhip.identity.residents.merges import ResidentMerges
from rhip.identity.residents.usecases import ResidentUseCases, parse_date
from rhip.kit.apis import public_methods
from rhip.kit.authn import current_principal
from rhip.kit.errors import InvalidArgument
from rhip.kit.healthcard import QrOutcome, QrType
from rhip.kit.history import ResourceEvent, event_fields
from rhip.kit.pagination import parse_page
from rhip.kit.timestamps import to_timestamp

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ResidentService"].full_name
PUBLIC_METHODS = public_methods(SERVICE_NAME)

_DOC_TYPES = {t: getattr(resident_pb2, f"DOCUMENT_TYPE_{t.name}") for t in DocumentType}
_DOC_TYPES_BACK = {v: k for k, v in _DOC_TYPES.items()}
_SEX_OUT = {
    Sex.MALE: resident_pb2.SEX_MALE,
    Sex.FEMALE: resident_pb2.SEX_FEMALE,
    Sex.UNKNOWN: resident_pb2.SEX_UNKNOWN,
    Sex.UNSTATED: resident_pb2.SEX_NOT_STATED,
}
_SEX_IN = {v: k for k, v in _SEX_OUT.items()} | {resident_pb2.SEX_UNSPECIFIED: Sex.UNKNOWN}
_RESIDENCE = {t: getattr(resident_pb2, f"RESIDENCE_TYPE_{t.name}") for t in ResidenceType}
_RESIDENCE_BACK = {v: k for k, v in _RESIDENCE.items()}
_STATES = {s: getattr(resident_pb2, f"RESIDENT_STATE_{s.name}") for s in ResidentState}
_QR_TYPES = {
    QrType.DYNAMIC: health_card_pb2.QR_CODE_TYPE_DYNAMIC,
    QrType.STATIC: health_card_pb2.QR_CODE_TYPE_STATIC,
}
_QR_TYPES_BACK = {v: k for k, v in _QR_TYPES.items()}
_OUTCOMES = {o: getattr(health_card_pb2, f"QR_VERIFY_OUTCOME_{o.name}") for o in QrOutcome}


def _mask_phone(phone: str) -> str:
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:] if len(phone) >= 8 else "*" * len(phone)


def resident_to_pb(resident: Resident, unmask: bool) -> resident_pb2.Resident:
    documents = [
        resident_pb2.IdentityDocument(
            type=_DOC_TYPES[d.doc_type],
            number=d.number if unmask else mask_number(d.number),
            issuing_country=d.issuing_country,
            primary=d.primary,
            origin=d.origin,
            masked=not unmask,
        )
        for d in resident.documents
    ]
    return resident_pb2.Resident(
        name=f"residents/{resident.resident_id}",
        resident_id=resident.resident_id,
        state=_STATES[resident.state],
        display_name=resident.name,
        sex=_SEX_OUT[resident.sex],
        birth_date=resident.birth_date.isoformat(),
        phone=resident.phone if unmask else _mask_phone(resident.phone),
        region_code=resident.region_code,
        address=resident.address,
        ethnicity=resident.ethnicity,
        residence_type=_RESIDENCE[resident.residence_type],
        documents=documents,
        mother=f"residents/{resident.mother_id}" if resident.mother_id else "",
        sex_override_reason=resident.sex_override_reason,
        death_date=resident.death_date.isoformat() if resident.death_date else "",
        merged_into=f"residents/{resident.merged_into}" if resident.merged_into else "",
        create_time=to_timestamp(resident.create_time),
        update_time=to_timestamp(resident.update_time),
        etag=resident.etag,
        linked_residents=[
            resident_pb2.LinkedResident(
                cell=link.cell,
                resident=f"residents/{link.remote_resident_id}",
                link_time=to_timestamp(link.create_time),
            )
            for link in resident.links
        ],
    )


def _demographics(message: resident_pb2.Resident) -> Demographics:
    return Demographics(
        name=message.display_name,
        sex=_SEX_IN.get(message.sex, Sex.UNKNOWN),
        birth_date=parse_date(message.birth_date, "resident.birth_date"),
        phone=message.phone,
        region_code=message.region_code,
        address=message.address,
        ethnicity=message.ethnicity,
        residence_type=_RESIDENCE_BACK.get(message.residence_type, ResidenceType.UNSPECIFIED),
    )


def merge_to_pb(merge: MergeRecord) -> resident_pb2.ResidentMerge:
    return resident_pb2.ResidentMerge(
        name=f"residentMerges/{merge.merge_id}",
        survivor=f"residents/{merge.survivor_id}",
        merged=f"residents/{merge.merged_id}",
        state=merge.state,
        reason=merge.reason,
        moved_documents=len(merge.moved.get("documents", [])),
        create_time=to_timestamp(merge.create_time),
        undo_time=to_timestamp(merge.undo_time),
        undo_reason=merge.undo_reason,
    )


def card_to_pb(card: HealthCard) -> health_card_pb2.HealthCard:
    return health_card_pb2.HealthCard(
        name=f"residents/{card.resident_id}/healthCard",
        card_id=card.card_id,
        resident=f"residents/{card.resident_id}",
        state=health_card_pb2.HEALTH_CARD_STATE_ACTIVE
        if card.state == "active"
        else health_card_pb2.HEALTH_CARD_STATE_REVOKED,
        generation=card.generation,
        issue_time=to_timestamp(card.issue_time),
        revoke_time=to_timestamp(card.revoke_time),
        revoke_reason=card.revoke_reason,
    )


def change_to_pb(change: ResidentChange) -> resident_pb2.ResidentChange:
    return resident_pb2.ResidentChange(
        sequence=change.seq,
        kind=getattr(resident_pb2, f"RESIDENT_CHANGE_KIND_{change.kind.value}"),
        resident=f"residents/{change.resident_id}",
        death_date=change.death_date.isoformat() if change.death_date else "",
        survivor=f"residents/{change.survivor_id}" if change.survivor_id else "",
        merge=f"residentMerges/{change.merge_id}" if change.merge_id else "",
        change_time=to_timestamp(change.change_time),
        actor=change.actor,
    )


def event_to_pb(event: ResourceEvent) -> resident_pb2.ResidentEvent:
    return resident_pb2.ResidentEvent(**event_fields(event))


class ResidentServicer(resident_service_pb2_grpc.ResidentServiceServicer):
    def __init__(
        self,
        residents: ResidentUseCases,
        merges: ResidentMerges,
        cards: HealthCards,
        changes: ResidentChangeFeed,
    ) -> None:
        self.uc = residents
        self.merges = merges
        self.cards = cards
        self.changes = changes

    def _out(self, resident: Resident) -> resident_pb2.Resident:
        return resident_to_pb(resident, self.uc.may_unmask(current_principal()))

    def RegisterResident(self, request, context):
        doc = request.document
        result = self.uc.register(
            _demographics(request.resident),
            _DOC_TYPES_BACK.get(doc.type),
            doc.number,
            doc.issuing_country,
            request.resident.sex_override_reason,
            request.tenant,
            request.request_id,
        )
        return pb.RegisterResidentResponse(
            resident=self._out(result.resident), created=result.created
        )

    def RegisterNewborn(self, request, context):
        resident = self.uc.register_newborn(
            _demographics(request.resident),
            request.resident.mother,
            request.birth_certificate_number,
            request.tenant,
            request.request_id,
        )
        return self._out(resident)

    def GetResident(self, request, context):
        return self._out(self.uc.get(request.name))

    def LookupResident(self, request, context):
        doc = request.document
        resident = self.uc.lookup(
            _DOC_TYPES_BACK.get(doc.type), doc.number, doc.issuing_country, request.display_name
        )
        return self._out(resident)

    def LookupResidents(self, request, context):
        found = self.uc.lookup_many(
            [(_DOC_TYPES_BACK.get(d.type), d.number, d.issuing_country) for d in request.documents]
        )
        results = []
        for answer in found:
            if isinstance(answer, InvalidArgument):
                first = answer.violations[0] if answer.violations else None
                results.append(
                    pb.LookupResidentsResult(
                        error_reason=answer.reason,
                        error_description=first.description if first else answer.message,
                    )
                )
            else:
                results.append(
                    pb.LookupResidentsResult(resident_id=answer.resident_id if answer else "")
                )
        return pb.LookupResidentsResponse(results=results)

    def SearchResidents(self, request, context):
        sex = _SEX_IN.get(request.sex) if request.sex else None
        matches = self.uc.search(request.display_name, request.birth_date, sex, request.page_size)
        unmask = self.uc.may_unmask(current_principal())
        return pb.SearchResidentsResponse(
            matches=[
                resident_pb2.ResidentMatch(
                    resident=resident_to_pb(m.resident, unmask), score=m.score, reasons=m.reasons
                )
                for m in matches
            ]
        )

    def UpdateResident(self, request, context):
        resident = self.uc.update(
            request.resident.name,
            _demographics(request.resident),
            list(request.update_mask.paths),
            request.resident.etag,
        )
        return self._out(resident)

    def VerifyResidentIdentity(self, request, context):
        doc = request.document
        resident = self.uc.verify_identity(
            request.name,
            _DOC_TYPES_BACK.get(doc.type),
            doc.number,
            doc.issuing_country,
            request.sex_override_reason,
        )
        return self._out(resident)

    def LinkBirthCertificate(self, request, context):
        return self._out(
            self.uc.link_birth_certificate(
                request.name, request.birth_certificate_number, request.replaces
            )
        )

    def LinkBirthCertificates(self, request, context):
        linked = self.uc.link_many(
            [(k.name, k.birth_certificate_number, k.replaces) for k in request.links]
        )
        return pb.LinkBirthCertificatesResponse(linked=linked)

    def MarkResidentDeceased(self, request, context):
        return self._out(self.uc.mark_deceased(request.name, request.death_date))

    def MergeResidents(self, request, context):
        merge = self.merges.merge(
            request.survivor, request.merged, request.reason, request.request_id
        )
        return merge_to_pb(merge)

    def UndoResidentMerge(self, request, context):
        return merge_to_pb(self.merges.undo(request.name, request.reason))

    def ListResidentEvents(self, request, context):
        page = parse_page(request.page_size, request.page_token, request.parent)
        events, token = self.uc.history(request.parent, page)
        return pb.ListResidentEventsResponse(
            events=[event_to_pb(e) for e in events], next_page_token=token
        )

    def ListResidentChanges(self, request, context):
        changes, head = self.changes.list(request.after_sequence, request.page_size)
        return pb.ListResidentChangesResponse(
            changes=[change_to_pb(c) for c in changes], head_sequence=head
        )

    def IssueHealthCard(self, request, context):
        return card_to_pb(self.cards.issue(request.parent, request.request_id))

    def GetHealthCard(self, request, context):
        return card_to_pb(self.cards.get(request.name))

    def RevokeHealthCard(self, request, context):
        return card_to_pb(self.cards.revoke(request.name, request.reason))

    def CreateHealthCardQrCode(self, request, context):
        code = self.cards.create_qr(request.name, _QR_TYPES_BACK.get(request.type))
        return pb.HealthCardQrCode(
            payload=code.payload,
            type=_QR_TYPES[code.qr_type],
            expire_time=to_timestamp(code.expire_time),
        )

    def VerifyHealthCardQrCode(self, request, context):
        result = self.cards.verify(request.payload)
        return pb.VerifyHealthCardQrCodeResponse(
            outcome=_OUTCOMES[result.outcome],
            resident=f"residents/{result.resident_id}" if result.resident_id else "",
            card_id=result.card_id,
            type=_QR_TYPES[result.qr_type] if result.qr_type else None,
        )

    def CheckHealthCardPresence(self, request, context):
        seen = self.cards.presence(request.name, request.within_hours)
        return pb.CheckHealthCardPresenceResponse(
            present=seen is not None, last_scan_time=to_timestamp(seen)
        )

    def GetHealthCardKeys(self, request, context):
        return pb.GetHealthCardKeysResponse(
            keys_json=[json.dumps(k, sort_keys=True) for k in self.cards.public_keys()],
            region=self.uc.settings.cell,
        )
