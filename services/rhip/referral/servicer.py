"""ReferralService servicer: each RPC converts its request (convert.py), calls its use case
and converts the answer; no try/except for domain errors."""

from __future__ import annotations

from rhip.api.referral.v1 import referral_service_pb2 as pb
from rhip.api.referral.v1 import referral_service_pb2_grpc
from rhip.kit.apis import public_methods
from rhip.kit.errors import Violations
from rhip.kit.pagination import parse_page
from rhip.kit.requests import check_enum
from rhip.kit.timestamps import clinical_day, from_timestamp
from rhip.referral.convert import (
    BOXES,
    STATES,
    draft_from_pb,
    referral_now_to_pb,
    referral_to_pb,
    return_form_from_pb,
)
from rhip.referral.usecases import Referrals

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ReferralService"].full_name
PUBLIC_METHODS = public_methods(SERVICE_NAME)


class ReferralServicer(referral_service_pb2_grpc.ReferralServiceServicer):
    def __init__(self, usecases: Referrals) -> None:
        self.uc = usecases

    def CreateReferral(self, request, context):
        checks = Violations()
        draft = draft_from_pb(request.referral, checks)
        return referral_now_to_pb(self.uc.create(draft, request.request_id, checks))

    def GetReferral(self, request, context):
        return referral_now_to_pb(self.uc.get(request.name))

    def ListReferrals(self, request, context):
        checks = Violations()
        checks.check(check_enum, request.box, BOXES, "box")
        checks.check(check_enum, request.state, (0, *STATES), "state")
        checks.raise_if_any()
        page = parse_page(
            request.page_size, request.page_token, request.parent, request.box, request.state,
            request.resident,
        )  # fmt: skip
        referrals, token = self.uc.list_referrals(
            request.parent, BOXES[request.box], STATES.get(request.state), page, request.resident
        )
        return pb.ListReferralsResponse(
            referrals=[referral_now_to_pb(r) for r in referrals], next_page_token=token
        )

    def UpdateReferral(self, request, context):
        checks = Violations()
        draft = draft_from_pb(request.referral, checks)
        checks.raise_if_any()
        return referral_now_to_pb(
            self.uc.update(request.referral.name, draft, list(request.update_mask.paths))
        )

    def SubmitReferral(self, request, context):
        return referral_now_to_pb(self.uc.submit(request.name, request.request_id))

    def AcceptReferral(self, request, context):
        return referral_now_to_pb(self.uc.accept(request.name, request.request_id))

    def RejectReferral(self, request, context):
        return referral_now_to_pb(self.uc.reject(request.name, request.reason, request.request_id))

    def CancelReferral(self, request, context):
        return referral_now_to_pb(self.uc.cancel(request.name, request.reason, request.request_id))

    def AdmitReferral(self, request, context):
        return referral_now_to_pb(
            self.uc.admit(request.name, request.request_id, request.health_card_code)
        )

    def ReturnReferral(self, request, context):
        form = return_form_from_pb(request.return_form)
        return referral_now_to_pb(self.uc.return_(request.name, form, request.request_id))

    def CompleteReferral(self, request, context):
        return referral_now_to_pb(self.uc.complete(request.name, request.request_id))

    def CloseReferral(self, request, context):
        return referral_now_to_pb(self.uc.close(request.name, request.request_id))

    def ListOverdueReferrals(self, request, context):
        as_of = from_timestamp(request.as_of, "as_of") if request.HasField("as_of") else None
        page = parse_page(
            request.page_size, request.page_token, request.parent,
            as_of.isoformat() if as_of else "",
        )  # fmt: skip
        referrals, as_of, token = self.uc.overdue(request.parent, as_of, page)
        return pb.ListOverdueReferralsResponse(  # overdue as of the list's moment
            referrals=[referral_to_pb(r, as_of) for r in referrals], next_page_token=token
        )

    def GetReferralIndicators(self, request, context):
        found, as_of = self.uc.indicators(request.parent)
        return pb.ReferralIndicators(
            parent=request.parent,
            as_of=clinical_day(as_of).isoformat(),
            indicators=[
                pb.ReferralIndicator(
                    kind=getattr(pb, f"REFERRAL_INDICATOR_KIND_{i.kind}"),
                    numerator=i.numerator,
                    denominator=i.denominator,
                    rate=i.numerator / i.denominator if i.denominator else 0.0,
                    specialty=i.specialty,
                )
                for i in found
            ],
        )
