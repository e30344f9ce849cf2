"""Every birth-certificate use case as one object (the BirthCertificateService servicer's):
blank stock (stock/), issuing and the certificate's later life (issuing.py, lifecycle.py), the
counties' designated issuers (designations.py)."""

from __future__ import annotations

from rhip.kit.authz import Authorizer
from rhip.kit.db import Database
from rhip.kit.pii import PiiVault
from rhip.kit.signed_codes import CodeSigner
from rhip.kit.signing_keys import SigningSecrets
from rhip.mch.certificates.designations import DesignationUseCases
from rhip.mch.certificates.issuers import IssuerFacts
from rhip.mch.certificates.national import NationalReportUseCases
from rhip.mch.certificates.reports import ReportUseCases
from rhip.mch.certificates.verification import SIGNING_LABEL, MissLimiter, VerificationUseCases
from rhip.mch.clients import IdentityClient
from rhip.mch.settings import MchSettings


class BirthCertificateUseCases(
    VerificationUseCases, NationalReportUseCases, ReportUseCases, DesignationUseCases
):
    """Blank stock, certificates and the counties' designated issuers."""

    def __init__(
        self, cell: str, db: Database, authorizer: Authorizer, identity: IdentityClient,
        options: MchSettings | None, secret: bytes, *, timeline: bool = False,
        signing: SigningSecrets | None = None,
    ) -> None:  # fmt: skip
        super().__init__(cell, db, authorizer, identity, options, timeline=timeline)
        self.vault = PiiVault(secret)  # seals the printed fields; hashes names
        self.issuers = IssuerFacts(identity, self.options.bmc_issuer_cache_seconds)
        # The printed signed codes: the current signing key signs, retired ones verify.
        self.signer = CodeSigner(signing or secret, SIGNING_LABEL)
        self.limiter = MissLimiter(
            self.options.bmc_verify_misses, self.options.bmc_verify_window_seconds
        )
