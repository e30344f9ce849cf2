"""TeleconsultationPeerService servicer: what another cell's referral service calls while an
agreement or a teleconsultation joins institutions of two cells (cell accounts only, through
the gateway). Same shape as servicer.py."""

from __future__ import annotations

from rhip.api.referral.v1 import teleconsultation_peer_service_pb2 as peer_pb
from rhip.api.referral.v1 import teleconsultation_peer_service_pb2_grpc
from rhip.kit.errors import Violations
from rhip.referral.teleconsults.convert import (
    STATES,
    agreement_from_pb,
    agreement_to_pb,
    tc_from_pb,
    tc_to_pb,
)
from rhip.referral.teleconsults.cross_cell import CrossCellTeleconsults

PEER_SERVICE_NAME = peer_pb.DESCRIPTOR.services_by_name["TeleconsultationPeerService"].full_name


class TeleconsultationPeerServicer(
    teleconsultation_peer_service_pb2_grpc.TeleconsultationPeerServiceServicer
):
    def __init__(self, usecases: CrossCellTeleconsults) -> None:
        self.uc = usecases

    def OpenCooperationAgreement(self, request, context):
        checks = Violations()
        values = agreement_from_pb(request.agreement, checks)
        return agreement_to_pb(self.uc.open_agreement(values, request.inviting_region, checks))

    def OpenTeleconsultation(self, request, context):
        checks = Violations()
        values = tc_from_pb(request.teleconsultation, checks)
        return tc_to_pb(self.uc.open_copy(values, request.inviting_region, checks))

    def RelayTeleconsultationTransition(self, request, context):
        checks = Violations()
        moved = tc_from_pb(request.teleconsultation, checks)
        target = STATES.get(request.state)
        return tc_to_pb(self.uc.relay_in(request.teleconsultation_id, target, moved, checks))

    def RelayRecordingDeletion(self, request, context):
        checks = Violations()
        return tc_to_pb(self.uc.relay_recording_deletion(request.teleconsultation_id, checks))
