"""Every birth-certificate use case as one object (the BirthCertificateService servicer's):
blank stock (stock/), issuing and the certificate's later life (issuing.py, lifecycle.py)."""

from __future__ import annotations

from rhip.kit.authz import Authorizer
from rhip.kit.db import Database
from rhip.kit.pii import PiiVault
from rhip.mch.certificates.lifecycle import LifecycleUseCases
from rhip.mch.clients import IdentityClient
from rhip.mch.settings import MchSettings


class BirthCertificateUseCases(LifecycleUseCases):
    """Blank stock and certificates."""

    def __init__(
        self, cell: str, db: Database, authorizer: Authorizer, identity: IdentityClient,
        options: MchSettings | None, vault: PiiVault,
    ) -> None:  # fmt: skip
        super().__init__(cell, db, authorizer, identity, options)
        self.vault = vault
