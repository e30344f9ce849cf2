"""The shared ground of the referral use cases (drafts.py, moves.py, indicators.py,
cross_cell.py), and the reads. One method per use case: validate every field at once, check the
caller against the scope the action belongs to (the sender's institution for sending and
cancelling, the receiver's for accepting, admitting and returning, any of both plus the
record's managing institution for reading), one transaction, the state machine, one
transition with actor, time and reason, and an audit event (ids only: never a name, an ID
number or a phone)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from rhip.kit import audit
from rhip.kit.authn import current_principal
from rhip.kit.authz import Authorizer
from rhip.kit.db import Database
from rhip.kit.errors import FailedPrecondition, NotFound, Violations, invalid
from rhip.kit.institution_names import InstitutionNames
from rhip.kit.pagination import Page, foreign_page_token
from rhip.kit.parents import ListParents
from rhip.kit.requests import parse_resource_name
from rhip.kit.tenancy import region_path, tenant_scope
from rhip.referral.clients import Peers, TenantFacts
from rhip.referral.referrals import domain
from rhip.referral.referrals.domain import (
    Referral,
    State,
)
from rhip.referral.referrals.store import ReferralStore
from rhip.referral.roles import REFERRAL


# UpdateReferral's mask paths → the Draft field each replaces ("consent": all three).
class ReferralUseCases:
    def __init__(
        self,
        cell: str,
        db: Database,
        authorizer: Authorizer,
        peers: Peers,
        limits: domain.TimeLimits,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        issuer: str = "",
        timeline: bool = False,
        names: InstitutionNames | None = None,
    ) -> None:
        self.issuer = issuer or f"rhip-identity/{cell}"
        # Every move also goes to emr's timeline index (the cell runs emr; timeline.py),
        # naming the sender (``names``: asked as the cell, kept a while).
        self.timeline = timeline
        self.names = names
        self.db = db
        self.authz = authorizer
        self.peers = peers
        self.limits = limits
        self.clock = clock
        self.cell_path = region_path(cell)
        self.parents = ListParents(authorizer, self.cell_path)

    @contextmanager
    def _unit(self, *, durable: bool = True) -> Iterator[ReferralStore]:
        with self.db.transaction(durable=durable) as tx:
            yield ReferralStore(tx)

    def _audit(
        self, repo: ReferralStore, action: str, referral: Referral, **detail: object
    ) -> None:
        audit.append(
            repo.s,
            audit.AuditEvent(
                action,
                f"referrals/{referral.referral_id}",
                referral.sender_scope,
                detail={"resident": referral.resident_id, **detail},
            ),
        )

    def _load(
        self, repo: ReferralStore, name: str, method: str, sides: str, *, lock: bool = False
    ) -> Referral:
        """Permission before existence: a referral out of reach and a missing one look alike
        (PERMISSION_DENIED) except to callers who reach the whole cell. ``sides``: whose
        scope the action needs — ``s`` sender, ``r`` receiver, ``m`` the record's managing
        institution (any of them)."""
        principal = current_principal()
        referral_id = parse_resource_name(name, "referrals")
        referral = repo.get(referral_id, lock=lock)
        action = REFERRAL + method
        if referral is None:
            if self.authz.enforce(principal.subject, self.cell_path, action):
                raise NotFound(f"referrals/{referral_id} does not exist")
            raise self.authz.denial(principal, action)
        scopes = {
            "s": referral.sender_scope,
            "r": referral.receiver_scope,
            "m": referral.managing_scope,
        }
        if not any(
            scopes[side] and self.authz.enforce(principal.subject, scopes[side], action)
            for side in sides
        ):
            raise self.authz.denial(principal, action)
        return referral

    # -- create and update ------------------------------------------------------------------------
    def _receiver(self, tenant_id: str, region: str) -> TenantFacts:
        try:
            receiver = self.peers.tenant(tenant_id)
        except NotFound:
            raise invalid(
                "referral.receiving_tenant", "no such institution in this cell", "TENANT_NOT_FOUND"
            ) from None
        if region and receiver.region_code != region:
            raise invalid(
                "referral.receiving_tenant", "no such institution in that region",
                "TENANT_NOT_FOUND",
            )  # fmt: skip
        if not receiver.health_institution:
            raise invalid(
                "referral.receiving_tenant", "is a public-security organ, not a health institution",
                "TENANT_NOT_HEALTH_INSTITUTION",
            )  # fmt: skip
        if not receiver.active:
            raise FailedPrecondition(
                "the receiving institution is suspended", reason="RECEIVER_INACTIVE"
            )
        return receiver

    # -- reads -----------------------------------------------------------------------------------
    def get(self, name: str) -> Referral:
        with self._unit(durable=False) as repo:
            referral = self._load(repo, name, "GetReferral", "srm")
            self._audit(repo, "referral.get", referral)
            return referral

    def list_referrals(
        self, parent: str, box: str, state: State | None, page: Page, resident: str = ""
    ) -> tuple[list[Referral], str]:
        principal = current_principal()
        checks = Violations()
        tenant_id = checks.check(parse_resource_name, parent, "tenants", "parent")
        resident_id = (
            checks.check(parse_resource_name, resident, "residents", "resident") if resident else ""
        )
        checks.raise_if_any()
        assert tenant_id is not None
        action = REFERRAL + "ListReferrals"
        scope = self.parents.tenant(principal, tenant_id, action, self._tenant_scope)
        scopes = self.authz.scopes(principal.subject, action)
        with self._unit(durable=False) as repo:
            rows = repo.list_referrals(
                scope, box, state, scopes, page.after, page.size + 1, resident_id or ""
            )
            chunk = rows[: page.size]
            audit.append(
                repo.s,
                audit.AuditEvent("referral.list", parent, scope, detail={"hits": len(chunk)}),
            )
        last = chunk[-1].referral_id if chunk else None
        return chunk, page.next_token(last, len(rows) > page.size)

    def _tenant_scope(self, tenant_id: str) -> str | None:
        try:
            tenant = self.peers.tenant(tenant_id)
        except NotFound:
            return None
        return tenant_scope(tenant.region_code, tenant.tenant_id)

    def overdue(
        self, parent: str, as_of: datetime | None, page: Page
    ) -> tuple[list[Referral], datetime, str]:
        """Overdue referrals sent by ``tenants/{id}`` or by the institutions of
        ``regions/{code}`` (the county administrator's list)."""
        principal = current_principal()
        action = REFERRAL + "ListOverdueReferrals"
        if parent.startswith("regions/"):
            code = parse_resource_name(parent, "regions", "parent")
            root, below = self.parents.region(principal, code, action).path, True
        elif parent.startswith("tenants/"):
            tenant_id = parse_resource_name(parent, "tenants", "parent")
            root = self.parents.tenant(principal, tenant_id, action, self._tenant_scope)
            below = False
        else:
            raise invalid(
                "parent", "must look like tenants/{id} or regions/{code}", "RESOURCE_NAME"
            )
        as_of = as_of or self.clock()
        after = None
        if page.after:
            when, _, key = page.after.partition("|")
            try:
                after = (datetime.fromisoformat(when), key)
            except ValueError:  # a forged token with the right fingerprint
                raise foreign_page_token() from None
        scopes = self.authz.scopes(principal.subject, action)
        with self._unit(durable=False) as repo:
            rows = repo.overdue(root, below, scopes, as_of, after, page.size + 1)
            chunk = rows[: page.size]
            audit.append(
                repo.s,
                audit.AuditEvent("referral.overdue", parent, root, detail={"hits": len(chunk)}),
            )
        last = None
        if chunk and chunk[-1].deadline is not None:
            last = f"{chunk[-1].deadline.isoformat()}|{chunk[-1].referral_id}"
        return chunk, as_of, page.next_token(last, len(rows) > page.size)

    # -- transitions -----------------------------------------------------------------------------
