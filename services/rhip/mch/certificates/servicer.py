"""BirthCertificateService servicer: each RPC converts its request, calls its use case and
converts the answer; no try/except for domain errors."""

from __future__ import annotations

import json

from rhip.api.mch.v1 import birth_certificate_pb2 as pb
from rhip.api.mch.v1 import birth_certificate_service_pb2 as spb
from rhip.api.mch.v1 import birth_certificate_service_pb2_grpc
from rhip.kit.apis import public_methods
from rhip.kit.pagination import parse_page
from rhip.mch.certificates.convert import (
    GROUNDS_BACK,
    certificate_to_pb,
    designation_to_pb,
    issue_input,
    month_to_pb,
    parent_from_pb,
    report_event_to_pb,
)
from rhip.mch.certificates.domain import Certificate
from rhip.mch.certificates.usecases import BirthCertificateUseCases
from rhip.mch.stock.convert import (
    TRANSFER_STATES_BACK,
    balance_to_pb,
    movement_to_pb,
    serial_to_pb,
    transfer_to_pb,
)

RESULTS = {
    name: getattr(pb, f"VERIFICATION_RESULT_{name}")
    for name in ("AUTHENTIC", "VOID", "REPLACED", "REISSUED", "NOT_FOUND")
}
SERVICE_NAME = spb.DESCRIPTOR.services_by_name["BirthCertificateService"].full_name
PUBLIC_METHODS = public_methods(SERVICE_NAME)


class BirthCertificateServicer(birth_certificate_service_pb2_grpc.BirthCertificateServiceServicer):
    def __init__(self, usecases: BirthCertificateUseCases) -> None:
        self.uc = usecases

    def _out(self, c: Certificate) -> pb.BirthCertificate:
        return certificate_to_pb(c, self.uc.signed_code(c))

    # -- blank stock ------------------------------------------------------------------------
    def ReceiveBlankStock(self, request, context):
        m = self.uc.receive_stock(
            request.region, request.edition, request.first_serial, request.quantity,
            request.delivery_note, request.request_id,
        )  # fmt: skip
        return movement_to_pb(m)

    def CreateStockTransfer(self, request, context):
        t = request.transfer
        done = self.uc.create_transfer(
            t.from_holder, t.to_holder, t.edition, t.first_serial, t.quantity, t.note,
            request.request_id,
        )  # fmt: skip
        return transfer_to_pb(done)

    def ApproveStockTransfer(self, request, context):
        return transfer_to_pb(self.uc.approve_transfer(request.name, request.reason))

    def ConfirmStockTransfer(self, request, context):
        return transfer_to_pb(self.uc.confirm_transfer(request.name))

    def ListStockTransfers(self, request, context):
        page = parse_page(request.page_size, request.page_token, request.parent, request.state)
        found, more = self.uc.list_transfers(
            request.parent, TRANSFER_STATES_BACK.get(request.state), page.after, page.size
        )
        token = page.next_token(found[-1].transfer_id if found else None, more)
        return spb.ListStockTransfersResponse(
            transfers=[transfer_to_pb(t) for t in found], next_page_token=token
        )

    def GetBlankSerial(self, request, context):
        serial, history = self.uc.get_serial(request.name)
        return serial_to_pb(serial, history)

    def VoidBlankSerial(self, request, context):
        serial = self.uc.void_blank(
            request.name, request.reason, request.witness, request.request_id
        )
        return serial_to_pb(serial)

    def ReportBlankSerialsLost(self, request, context):
        m = self.uc.report_lost(
            request.holder, request.first_serial, request.quantity, request.police_report_ref,
            request.newspaper_notice_ref, request.request_id,
        )  # fmt: skip
        return movement_to_pb(m)

    def RecordBlankDestruction(self, request, context):
        m = self.uc.destroy(
            request.region, request.first_serial, request.quantity, request.record_number,
            request.witness, request.request_id,
        )  # fmt: skip
        return movement_to_pb(m)

    def GetStockReport(self, request, context):
        rows = self.uc.stock_report(request.parent)
        return pb.StockReport(parent=request.parent, holders=[balance_to_pb(b) for b in rows])

    # -- certificates -----------------------------------------------------------------------
    def IssueBirthCertificate(self, request, context):
        c = self.uc.issue(issue_input(request.certificate), request.request_id)
        return certificate_to_pb(c, self.uc.signed_code(c))

    def ReplaceBirthCertificate(self, request, context):
        c = self.uc.replace_certificate(
            request.name, request.number, GROUNDS_BACK.get(request.ground),
            request.parentage_test_ref, request.child_in_household_register,
            request.child_name, parent_from_pb(request.mother), parent_from_pb(request.father),
            request.request_id,
        )  # fmt: skip
        return certificate_to_pb(c, self.uc.signed_code(c))

    def ReissueBirthCertificate(self, request, context):
        loss = request.loss_declaration
        c = self.uc.reissue(
            request.name, request.number, loss.newspaper_notice_ref,
            loss.written_declaration_ref, request.child_in_household_register,
            request.request_id,
        )  # fmt: skip
        return certificate_to_pb(c, self.uc.signed_code(c))

    def VoidBirthCertificate(self, request, context):
        c = self.uc.void_certificate(request.name, request.reason, request.request_id)
        return certificate_to_pb(c, self.uc.signed_code(c))

    def GetBirthCertificate(self, request, context):
        return self._out(self.uc.get_certificate(request.name))

    def VerifyBirthCertificate(self, request, context):
        v = self.uc.verify(request.number, request.child_name, request.signed_code)
        return pb.BirthCertificateVerification(
            result=RESULTS[v.result], number=v.number, issue_date=v.issue_date,
            current_number=v.current_number,
        )  # fmt: skip

    def GetBirthCertificateKeys(self, request, context):
        return spb.GetBirthCertificateKeysResponse(
            keys_json=[json.dumps(k, sort_keys=True) for k in self.uc.public_keys()],
            region=self.uc.cell_code,
        )

    def GetBirthCertificateReport(self, request, context):
        total, rows = self.uc.monthly_report(request.parent, request.month)
        return pb.BirthCertificateReport(
            parent=request.parent, month=request.month, total=month_to_pb(total),
            holders=[month_to_pb(r) for r in rows],
        )  # fmt: skip

    def ListNationalReportEvents(self, request, context):
        found = self.uc.list_report_events(
            request.parent, request.view == spb.NATIONAL_REPORT_VIEW_OVERDUE, request.page_size
        )
        return spb.ListNationalReportEventsResponse(
            events=[report_event_to_pb(e, held) for e, held in found]
        )

    def ReplayNationalReportEvents(self, request, context):
        replayed = self.uc.replay_report_events(request.parent, list(request.event_ids))
        return spb.ReplayNationalReportEventsResponse(event_ids=replayed)

    def DesignateBirthCertificateIssuer(self, request, context):
        d = self.uc.designate_issuer(
            request.region, request.issuer, request.document_ref, request.request_id
        )
        return designation_to_pb(d)

    def GetBirthCertificateIssuerDesignation(self, request, context):
        return designation_to_pb(self.uc.get_designation(request.region))

    def ListBirthCertificates(self, request, context):
        page = parse_page(request.page_size, request.page_token, request.parent)
        found, more = self.uc.list_certificates(request.parent, page.after, page.size)
        token = page.next_token(found[-1].number if found else None, more)
        return spb.ListBirthCertificatesResponse(
            certificates=[self._out(c) for c in found],
            next_page_token=token,
        )
