"""ReferralPeerService servicer: what another cell's referral service calls while a referral
runs between institutions of two cells (cell accounts only, through the gateway). Same shape as
servicer.py."""

from __future__ import annotations

from rhip.api.referral.v1 import referral_peer_service_pb2 as peer_pb
from rhip.api.referral.v1 import referral_peer_service_pb2_grpc
from rhip.kit.errors import Violations
from rhip.kit.timestamps import from_timestamp
from rhip.referral.convert import STATES, referral_now_to_pb, return_form_from_pb, sent_from_pb
from rhip.referral.usecases import Referrals

PEER_SERVICE_NAME = peer_pb.DESCRIPTOR.services_by_name["ReferralPeerService"].full_name


class ReferralPeerServicer(referral_peer_service_pb2_grpc.ReferralPeerServiceServicer):
    def __init__(self, usecases: Referrals) -> None:
        self.uc = usecases

    def OpenReferral(self, request, context):
        checks = Violations()
        sent = sent_from_pb(request.referral, checks)
        return referral_now_to_pb(self.uc.open_copy(sent, checks))

    def RelayReferralTransition(self, request, context):
        deadline = (
            from_timestamp(request.deadline, "deadline") if request.HasField("deadline") else None
        )
        form = return_form_from_pb(request.return_form)
        referral = self.uc.relay_in(
            request.referral_id, STATES.get(request.state), request.reason, form, deadline,
            request.health_card_code,
        )  # fmt: skip
        return referral_now_to_pb(referral)
