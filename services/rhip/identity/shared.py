"""What every use case of identity's IdentityService stands on: the settings, the database,
the authorizer, the password hasher and policy, and the scope checks every feature makes
(permission before existence, "this region is in our cell"). The directory's and auth's use
cases extend it; ``rhip.identity.usecases.IdentityUseCases`` joins them."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from rhip.identity.auth.domain import after_failed_login
from rhip.identity.directory.domain import User
from rhip.identity.directory.store import DirectoryRepository
from rhip.identity.passwords import PasswordPolicy
from rhip.identity.roles import IDENTITY
from rhip.identity.settings import IdentitySettings, load_identity_settings
from rhip.kit.audit_checkpoint import AuditSeal
from rhip.kit.authn import Principal
from rhip.kit.authz import Authorizer, PolicyStore
from rhip.kit.config import Settings
from rhip.kit.db import Database
from rhip.kit.errors import FailedPrecondition, InvalidArgument
from rhip.kit.parents import ListParents
from rhip.kit.tenancy import is_within, region_path
from sqlalchemy import Connection


def hash_secret(secret: str) -> str:
    """Client secrets and refresh tokens are stored only as this digest."""
    return hashlib.sha256(secret.encode()).hexdigest()


class IdentityCore:
    """State and checks shared by DirectoryUseCases, GrantUseCases and AuthUseCases."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        authorizer: Authorizer,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        options: IdentitySettings | None = None,
    ) -> None:
        self.settings = settings
        # Identity's own settings (tokens, lockout, passwords); read from the environment the
        # shared settings carry unless given.
        self.options = options or load_identity_settings(settings.env)
        options = self.options
        self.db = db
        self.authz = authorizer
        self.policy: PolicyStore = authorizer.store
        self.clock = clock
        self.hasher = PasswordHasher(
            time_cost=options.argon2_time_cost,
            memory_cost=options.argon2_memory_kib,
            parallelism=1,
        )
        # Checked against when the username is unknown, so both paths cost the same.
        self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        self.password_policy = PasswordPolicy.from_settings(options)
        self.cell_path = region_path(settings.cell)
        self.parents = ListParents(authorizer, self.cell_path)
        # Checks the signed checkpoints of purged audit events (server.py sets it).
        self.audit_seal: AuditSeal | None = None

    # -- scope checks -----------------------------------------------------------------------------
    def _require(self, principal: Principal, scope: str, method: str) -> None:
        self.authz.require(principal, scope, IDENTITY + method)

    def _require_found(self, principal: Principal, scope: str | None, method: str) -> None:
        """Permission before existence: a missing resource is NOT_FOUND only to callers who
        could see any resource of the cell; everybody else gets PERMISSION_DENIED."""
        self.authz.require_found(
            principal, scope, IDENTITY + method, self.cell_path, "no such resource"
        )

    def _in_cell(self, scope: str, field: str) -> None:
        """Checked after authorization (permission before existence)."""
        if not is_within(scope, self.cell_path):
            raise FailedPrecondition(
                "the region belongs to another cell",
                reason="WRONG_CELL",
                metadata={"field": field},
            )

    def hash_acceptable(self, password: str) -> str:
        """The argon2 hash of a password the policy accepts, "" for one it refuses (the use
        case's validation says why). Computed before the use case's transaction: a fifth of a
        second by design, which no row lock nor SQLite's one write lock may wait for."""
        try:
            self.password_policy.validate(password, "password")
        except InvalidArgument:
            return ""
        return self.hasher.hash(password)

    def count_wrong_password(self, tx: Connection, user: User, now: datetime) -> bool:
        """A wrong password against ``user`` counted under the lockout rule (a login's or a
        password change's alike); True when this one locked the account."""
        attempt = after_failed_login(
            user,
            now,
            self.options.login_max_failures,
            timedelta(seconds=self.options.lockout_seconds),
        )
        DirectoryRepository(tx).record_login(
            user.user_id, attempt.failed_logins, attempt.locked_until, None
        )
        return attempt.locked_until is not None and attempt.locked_until > now

    def _verify_password(self, stored_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    @property
    def cell_subject(self) -> str:
        return f"sa:cell-{self.settings.cell}"
