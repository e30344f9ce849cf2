"""Identity use cases: one method per use case. Each opens the transaction, checks scope with
the authorizer against the owning region of the data itself, calls the domain, writes, and
appends the audit event in the same transaction.

The features live in their folders (``directory``, ``auth``); ``IdentityUseCases`` is the
one object the servicer and the server hold, joining them over one ``IdentityCore``."""

from __future__ import annotations

from rhip.identity.auth.usecases import AuthUseCases
from rhip.identity.directory.grants import GrantUseCases
from rhip.identity.roles import IDENTITY, permission_rules
from rhip.kit import audit
from rhip.kit.audit_query import AuditFilter, AuditRecord, search_region
from rhip.kit.authn import current_principal
from rhip.kit.pagination import Page


class IdentityUseCases(GrantUseCases, AuthUseCases):
    """Every use case of IdentityService: the directory's and auth's, on one core."""

    # -- setup -------------------------------------------------------------------------------
    def sync_role_catalog(self) -> None:
        """Make the ``p`` rows of identity's methods match ``roles.py`` (run on start); rows of
        other services' catalogues (archives syncs its own) are left alone."""
        self.authz.sync_catalog("rhip.api.identity.", permission_rules())

    # -- audit -------------------------------------------------------------------------------
    def search_audit(
        self, parent: str, where: AuditFilter, page: Page
    ) -> tuple[list[AuditRecord], str]:
        return search_region(
            self.db, self.authz, IDENTITY + "SearchAuditEvents", parent, where, page
        )

    def verify_audit_chain(self) -> audit.ChainReport:
        principal = current_principal()
        self._require(principal, self.cell_path, "VerifyAuditChain")
        with self.db.read() as tx:
            return audit.verify(tx, seal=self.audit_seal)
