"""The mch use cases, one method per use case, as one object (the servicer's): pregnancies/,
pregnancy_transfers/, risk/, deliveries/, children/ and child_transfers/ on the shared ground
of access.py."""

from __future__ import annotations

from rhip.kit.authz import Authorizer
from rhip.mch.child_transfers.usecases import ChildTransferUseCases
from rhip.mch.deliveries.usecases import DeliveryUseCases
from rhip.mch.indicators.usecases import IndicatorUseCases
from rhip.mch.pregnancies.plans import DeliveryPlanUseCases
from rhip.mch.pregnancies.postpartum import PostpartumUseCases
from rhip.mch.pregnancy_transfers.usecases import PregnancyTransferUseCases
from rhip.mch.roles import CATALOG_PREFIX, permission_rules


def sync_role_catalog(authz: Authorizer) -> None:
    """Make the ``p`` rows of ``rhip.api.mch.`` match roles.py; other rows stay."""
    authz.sync_catalog(CATALOG_PREFIX, permission_rules())


class MchUseCases(
    DeliveryUseCases, PostpartumUseCases, DeliveryPlanUseCases, PregnancyTransferUseCases,
    ChildTransferUseCases, IndicatorUseCases,
):  # fmt: skip
    """Every mch use case."""
