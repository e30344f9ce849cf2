"""Account administration use cases: an administrator unlocks, disables, re-enables a user of
their subtree, resets a password and records a practitioner's practice registration (title,
start of independent practice, certificate number); a user changes their own password.

Scope: the administrator's grant must cover the user's own scope (a practitioner's tenant
path, an administrator's or auditor's region path), so a county administrator touches
neither another county's users nor the city administrator above. Permission before
existence: a missing user is NOT_FOUND only to callers who may act on the whole cell.

Enforcement reuses the policy's ``g2`` rows, which every replica and every service of the
cell reloads within a second: a disabled user is ``blocked`` (its tokens are refused by the
interceptor, logins and refreshes by identity), a user whose password was reset carries
``password_change`` (every method but ChangePassword is refused, for tokens issued before the
reset as well). Passwords never reach the audit log, the request-key digest or a log line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from rhip.identity.auth.store import AccountRepository
from rhip.identity.directory.domain import User, UserState, parse_resource_name
from rhip.identity.directory.store import DirectoryRepository
from rhip.identity.passwords import PasswordPolicy
from rhip.identity.roles import IDENTITY
from rhip.identity.shared import IdentityCore
from rhip.kit import audit
from rhip.kit.authn import PrincipalKind, current_principal
from rhip.kit.authz import block_rule, password_change_rule
from rhip.kit.errors import (
    Aborted,
    FailedPrecondition,
    PermissionDenied,
    RhipError,
    Violations,
    invalid,
)
from rhip.kit.idempotency import check_reuse, claim, request_key
from rhip.kit.practice import check_certificate, check_credentials
from rhip.kit.requests import validate_reason
from rhip.kit.timestamps import clinical_day
from sqlalchemy import Connection

log = logging.getLogger(__name__)

# A change whose stored password changes between its check and its record is checked again.
_CHANGE_ATTEMPTS = 3


@dataclass(frozen=True)
class _CheckedChange:
    """A password change checked against the hash stored when it began (None: not checked,
    the transaction refuses it) and, when it may go ahead, the new password's hash."""

    stored_hash: str | None
    matches: bool | None
    reused: bool = False
    new_hash: str = ""


class AccountUseCases:
    def __init__(self, core: IdentityCore, policy: PasswordPolicy) -> None:
        self.core = core
        self.policy = policy

    # -- helpers -------------------------------------------------------------------------------
    def _load(self, tx: Connection, name: str, method: str) -> User:
        """The user named ``name``, locked for this transaction, once the caller may call
        ``method`` on the user's own scope (permission before existence)."""
        principal = current_principal()
        user_id = parse_resource_name(name, "users")
        AccountRepository(tx).lock_for_update(user_id)
        user = DirectoryRepository(tx).get_user(user_id)
        self.core.authz.require_found(
            principal,
            user.scope_path if user else None,
            IDENTITY + method,
            self.core.cell_path,
            f"users/{user_id} does not exist",
        )
        assert user is not None  # require_found raised otherwise
        return user

    @staticmethod
    def _not_self(user: User, what: str) -> None:
        if user.subject == current_principal().subject:
            raise FailedPrecondition(
                f"an administrator cannot {what} their own account", reason="OWN_ACCOUNT"
            )

    @staticmethod
    def _audit(tx: Connection, action: str, user: User, detail: dict[str, object] | None = None):
        audit.append(
            tx,
            audit.AuditEvent(action, f"users/{user.user_id}", user.scope_path, detail=detail or {}),
        )

    # -- administrator's methods -------------------------------------------------------------
    def unlock_user(self, name: str, request_id: str) -> User:
        with self.core.db.transaction() as tx:
            user = self._load(tx, name, "UnlockUser")
            key = request_key(request_id)
            if claim(tx, key) or (user.failed_logins == 0 and user.locked_until is None):
                return user  # a retry, or nothing to unlock: nothing changes
            was_locked = user.is_locked(self.core.clock())
            user = user.unlocked()
            AccountRepository(tx).save_user(user)
            self._audit(tx, "user.unlock", user, {"was_locked": was_locked})
        return user

    def disable_user(self, name: str, reason: str, request_id: str) -> User:
        with self.core.db.transaction() as tx:
            user = self._load(tx, name, "DisableUser")
            checks = Violations()
            reason = checks.check(validate_reason, reason) or ""
            key = checks.check(request_key, request_id) or ""
            checks.raise_if_any()
            self._not_self(user, "disable")
            if claim(tx, key) or user.state is UserState.DISABLED:
                return user  # already disabled: a retry changes nothing
            user = user.disabled(reason)
            accounts = AccountRepository(tx)
            accounts.save_user(user)
            accounts.revoke_refresh_tokens(user.subject)  # re-enabling starts new sessions
            self.core.policy.add(tx, [block_rule(user.subject)])
            self._audit(tx, "user.disable", user, {"reason": reason})
        self.core.authz.refresh()  # this replica refuses the user's tokens at once
        return user

    def enable_user(self, name: str, request_id: str) -> User:
        with self.core.db.transaction() as tx:
            user = self._load(tx, name, "EnableUser")
            key = request_key(request_id)
            if claim(tx, key) or user.state is UserState.ACTIVE:
                return user
            user = user.enabled()
            AccountRepository(tx).save_user(user)
            self.core.policy.remove(tx, [block_rule(user.subject)])
            self._audit(tx, "user.enable", user)
        self.core.authz.refresh()
        return user

    def set_practice(
        self, name: str, title: str, since: str, certificate: str, request_id: str
    ) -> User:
        checks = Violations()
        today = clinical_day(self.core.clock())
        started = check_credentials(
            title.strip(), since.strip(), today, checks,
            title_field="registration.professional_title",
            since_field="registration.independent_practice_since",
        )  # fmt: skip
        certificate = check_certificate(certificate, checks, "registration.certificate_number")
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        with self.core.db.transaction() as tx:
            user = self._load(tx, name, "SetPractitionerRegistration")
            if user.kind is not PrincipalKind.PRACTITIONER:
                raise FailedPrecondition(
                    "only a practitioner has a practice registration",
                    reason="USER_NOT_PRACTITIONER",
                )
            if claim(tx, key):
                return user  # a retry
            user = replace(
                user, professional_title=title.strip(), practice_since=started,
                practice_certificate=certificate,
            )  # fmt: skip
            AccountRepository(tx).save_practice(user)
            self._audit(
                tx, "user.practice", user,
                {"title": user.professional_title, "since": str(started),
                 "certificate": bool(certificate)},
            )  # fmt: skip
        return user

    def reset_user_password(self, name: str, password: str, request_id: str) -> User:
        new_hash = self.core.hash_acceptable(password)  # before the transaction: argon2 is slow
        with self.core.db.transaction() as tx:
            user = self._load(tx, name, "ResetUserPassword")
            checks = Violations()
            checks.check(self.policy.validate, password, "password")
            key = checks.check(request_key, request_id) or ""
            checks.raise_if_any()
            self._not_self(user, "reset (use ChangePassword for)")
            if claim(tx, key):
                return user  # a retry: the user may have changed the password since
            now = self.core.clock()
            accounts = AccountRepository(tx)
            accounts.set_password(user, new_hash, now)
            marked = user.password_change_required
            user = user.password_reset()
            accounts.save_user(user)
            accounts.revoke_refresh_tokens(user.subject)
            if not marked:
                self.core.policy.add(tx, [password_change_rule(user.subject)])
            self._audit(tx, "user.password_reset", user)
        self.core.authz.refresh()
        return user

    # -- the user's own ------------------------------------------------------------------------
    def change_password(
        self, name: str, current_password: str, new_password: str, request_id: str
    ) -> User:
        principal = current_principal()
        user_id = parse_resource_name(name, "users")
        if principal.subject != f"user:{user_id}":
            raise PermissionDenied(
                "a user changes only their own password", reason="NOT_OWN_ACCOUNT"
            )
        checks = Violations()
        if not current_password:
            checks.add("current_password", "must not be empty", "CURRENT_PASSWORD_REQUIRED")
        checks.check(self.policy.validate, new_password, "new_password")
        key = checks.check(request_key, request_id) or ""
        checks.raise_if_any()
        now = self.core.clock()
        for _attempt in range(_CHANGE_ATTEMPTS):
            checked = self._check_passwords(user_id, current_password, new_password, now)
            outcome = self._record_change(user_id, checked, key, now)
            if outcome is not None:
                break
        else:  # changed by someone else under every check
            raise Aborted(
                "the password changed meanwhile; try again", reason="PASSWORD_CHANGE_CONFLICT"
            )
        if isinstance(outcome, RhipError):  # raised after the commit: the failure count is kept
            log.warning("password change refused: %s", outcome.reason)
            raise outcome
        self.core.authz.refresh()  # the token in hand works for everything again at once
        return outcome

    def _check_passwords(
        self, user_id: str, current: str, new: str, now: datetime
    ) -> _CheckedChange:
        """The argon2 work of a change (the current password, the earlier ones, the new hash)
        outside any transaction, against the hashes stored when it began: seconds with a long
        history, which no row lock nor SQLite's one write lock may wait for."""
        with self.core.db.read() as conn:
            user = DirectoryRepository(conn).get_user(user_id)
            if user is None or user.is_locked(now):
                return _CheckedChange(None, matches=None)  # refused in the transaction
            accounts = AccountRepository(conn)
            stored = accounts.password_hash(user_id)
            earlier = accounts.earlier_hashes(user_id, self.policy.history - 1)
        if not self.core._verify_password(stored, current):
            return _CheckedChange(stored, matches=False)
        # Only now, with the current password proven: which earlier ones match.
        if new == current or any(self.core._verify_password(h, new) for h in earlier):
            return _CheckedChange(stored, matches=True, reused=True)
        return _CheckedChange(stored, matches=True, new_hash=self.core.hasher.hash(new))

    def _record_change(
        self, user_id: str, checked: _CheckedChange, key: str, now: datetime
    ) -> User | RhipError | None:
        """The change (or the failed attempt) written against the user's row held to the end;
        None when the stored password is no longer the one checked."""
        core = self.core
        with core.db.transaction() as tx:
            accounts = AccountRepository(tx)
            accounts.lock_for_update(user_id)
            user = DirectoryRepository(tx).get_user(user_id)
            if user is None:  # a token outliving its user
                raise PermissionDenied("the account no longer exists")
            if check_reuse(tx, key):
                return user  # a retry of a change made: the "current" password is old now
            if user.is_locked(now):
                raise FailedPrecondition(
                    "the account is locked after repeated failures; try again later",
                    reason="ACCOUNT_LOCKED",
                )
            if checked.stored_hash != accounts.password_hash(user_id):
                return None
            if not checked.matches:
                # Counted like a failed login: a stolen token is no password oracle.
                core.count_wrong_password(tx, user, now)
                self._audit(tx, "user.password_change", user, {"outcome": "DENIED"})
                return invalid(
                    "current_password", "is not the password in force", "CURRENT_PASSWORD_WRONG"
                )
            if checked.reused:
                count = max(self.policy.history, 1)
                raise invalid(
                    "new_password",
                    "must differ from the current password"
                    if count == 1
                    else f"must differ from the last {count} passwords",
                    "PASSWORD_REUSED",
                )
            claim(tx, key)
            accounts.set_password(user, checked.new_hash, now)
            changed = user.password_changed()
            accounts.save_user(changed)
            accounts.revoke_refresh_tokens(user.subject)
            core.policy.remove(tx, [password_change_rule(user.subject)])
            self._audit(
                tx,
                "user.password_change",
                changed,
                {"was_required": user.password_change_required},
            )
        return changed
