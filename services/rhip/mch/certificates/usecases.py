"""Every birth-certificate use case as one object (the BirthCertificateService servicer's):
blank stock (stock/) and the certificates themselves."""

from __future__ import annotations

from rhip.mch.stock.serials import SerialUseCases


class BirthCertificateUseCases(SerialUseCases):
    """Blank stock and certificates."""
