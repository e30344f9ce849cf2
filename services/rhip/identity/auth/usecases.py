"""Login and token use cases: password and client-credential logins (with lockout), the
refresh-token rotation, the signing keys. Failures are audited and committed before they are
raised."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rhip.identity.auth.store import TokenRepository
from rhip.identity.auth.tokens import IssuedToken, KeyRing, TokenIssuer
from rhip.identity.directory.domain import User, UserState, parse_subject
from rhip.identity.directory.store import DirectoryRepository
from rhip.identity.settings import IdentitySettings
from rhip.identity.shared import IdentityCore, hash_secret
from rhip.kit import audit
from rhip.kit.authn import Principal, PrincipalKind, current_principal
from rhip.kit.authz import Authorizer, subject_blocked
from rhip.kit.config import Settings
from rhip.kit.db import Database, utc
from rhip.kit.errors import (
    Aborted,
    FailedPrecondition,
    RhipError,
    Unauthenticated,
    invalid,
)
from rhip.kit.ids import new_id
from rhip.kit.tenancy import is_region_code, is_within, region_path

log = logging.getLogger(__name__)


# A login whose password changes between its check and its record is checked again.
_LOGIN_ATTEMPTS = 3


@dataclass(frozen=True)
class _CheckedPassword:
    """A password checked against the hash stored when the login began (None: no such user;
    ``matches`` None: not checked, the account was locked) and its new hash when the stored
    one is due for new parameters."""

    stored_hash: str | None
    matches: bool | None
    rehash: str | None = None


@dataclass(frozen=True)
class IssuedTokens:
    """Tokens handed out by a login or refresh."""

    access: IssuedToken
    refresh_token: str
    refresh_expire_time: datetime | None
    principal: Principal
    display_name: str
    # The password was reset: the token allows only ChangePassword (and no refresh token).
    password_change_required: bool = False


class AuthUseCases(IdentityCore):
    """Logins, refreshes and signing keys; it alone holds the keys and the token issuer."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        authorizer: Authorizer,
        keys: KeyRing,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        options: IdentitySettings | None = None,
    ) -> None:
        super().__init__(settings, db, authorizer, clock, options)
        self.keys = keys
        self.tokens = TokenIssuer(
            keys, settings.issuer, timedelta(seconds=self.options.access_token_ttl_seconds)
        )

    # -- login and tokens ----------------------------------------------------------------------
    def login_password(self, username: str, password: str, region: str = "") -> IssuedTokens:
        """``region``: where the caller meant to log in (``x-rhip-region``, which routed the
        call here). A user of another region learns the right one only once the password
        verified; an unknown username or a wrong password get the same generic answer
        wherever they were aimed (a user of another cell is unknown here: that cell alone
        could check the password, so nothing more can be said without telling which
        usernames exist)."""
        if not username or not password:
            raise invalid(
                "password.username", "username and password are required", "CREDENTIALS_REQUIRED"
            )
        if region and not is_region_code(region):
            raise invalid("x-rhip-region", "must be a 6-digit region code", "REGION_CODE_FORMAT")
        now = self.clock()
        username = username.strip().lower()
        for _attempt in range(_LOGIN_ATTEMPTS):
            checked = self._check_password(username, password, now)
            outcome = self._record_login(username, checked, region, now)
            if outcome is not None:
                break
        else:  # the password changed under every check: as rare as it is harmless to retry
            raise Aborted(
                "the account's password changed during sign-in; sign in again",
                reason="LOGIN_CONFLICT",
            )
        if isinstance(outcome, IssuedTokens):
            return outcome
        # Raised after the commit, so failure counts and audit rows are kept.
        log.warning("login refused: %s", outcome.reason)
        raise outcome

    def _check_password(self, username: str, password: str, now: datetime) -> _CheckedPassword:
        """The slow part of a login, outside any transaction: argon2 takes a fifth of a second
        by design, and neither a row lock (PostgreSQL) nor the database's one write lock
        (SQLite: every other write of the cell) may wait that long for it."""
        with self.db.read() as conn:
            found = DirectoryRepository(conn).user_for_login(username, lock=False)
        if found is None:
            self._verify_password(self._dummy_hash, password)
            return _CheckedPassword(None, matches=False)
        user, stored_hash = found
        if user.is_locked(now):  # not even checked: a locked account is no password oracle
            return _CheckedPassword(stored_hash, matches=None)
        if not self._verify_password(stored_hash, password):
            return _CheckedPassword(stored_hash, matches=False)
        rehash = self.hasher.hash(password) if self.hasher.check_needs_rehash(stored_hash) else None
        return _CheckedPassword(stored_hash, matches=True, rehash=rehash)

    def _record_login(
        self, username: str, checked: _CheckedPassword, region: str, now: datetime
    ) -> IssuedTokens | RhipError | None:
        """The login's outcome written (failure count, lockout, audit) against the user's row
        as it is now, held to the end; None when the password changed since it was checked."""
        failure: RhipError | None = None
        with self.db.transaction() as tx:
            repo = DirectoryRepository(tx)
            found = repo.user_for_login(username)
            if (found[1] if found else None) != checked.stored_hash:
                return None
            if found is None:
                failure = Unauthenticated(
                    "wrong username or password", reason="INVALID_CREDENTIALS"
                )
                audit.append(
                    tx,
                    audit.AuditEvent(
                        "login",
                        "users/-",
                        self.cell_path,
                        "DENIED",
                        actor="anonymous",
                        actor_tenant="",
                    ),
                )
                return failure
            user = found[0]
            if user.is_locked(now):
                failure = Unauthenticated(
                    "the account is locked after repeated failures; try again later",
                    reason="ACCOUNT_LOCKED",
                )
                outcome = "LOCKED"
            elif checked.matches is None:
                return None  # unlocked since it was read: check the password after all
            elif not checked.matches:
                locked_now = self.count_wrong_password(tx, user, now)
                failure = Unauthenticated(
                    "the account is locked after repeated failures; try again later"
                    if locked_now
                    else "wrong username or password",
                    reason="ACCOUNT_LOCKED" if locked_now else "INVALID_CREDENTIALS",
                )
                outcome = "LOCKED" if locked_now else "DENIED"
            else:
                repo.record_login(user.user_id, 0, None, checked.rehash)
                # The password verified: only now may the answer say more than "wrong".
                if user.state is UserState.DISABLED or self.authz.is_blocked(user.subject):
                    failure, outcome = subject_blocked(), "BLOCKED"
                elif region and not _on_one_chain(user.region_code, region):
                    failure, outcome = _wrong_region(user.region_code), "WRONG_REGION"
                else:
                    outcome = "OK"
            audit.append(
                tx,
                audit.AuditEvent(
                    "login",
                    f"users/{user.user_id}",
                    user.scope_path,
                    outcome,
                    actor=user.subject,
                    actor_tenant=user.tenant_id,
                ),
            )
            if failure is None:
                return self._user_session(TokenRepository(tx), user, now)
        return failure

    def login_client(self, client_id: str, client_secret: str) -> IssuedTokens:
        if not client_id or not client_secret:
            raise invalid(
                "client.client_id", "client id and secret are required", "CREDENTIALS_REQUIRED"
            )
        now = self.clock()
        cell_id = self.settings.cell_client_id
        with self.db.transaction() as tx:
            repo = DirectoryRepository(tx)
            if cell_id and hmac.compare_digest(client_id.encode(), cell_id.encode()):
                secret = self.settings.cell_client_secret.encode()
                if not hmac.compare_digest(client_secret.encode(), secret):
                    raise Unauthenticated("wrong client id or secret", reason="INVALID_CREDENTIALS")
                return self._new_session(
                    TokenRepository(tx), self.cell_subject, PrincipalKind.SERVICE_ACCOUNT, "",
                    self.settings.cell, f"cell {self.settings.cell}", now, refresh=False,
                )  # fmt: skip
            found = repo.service_account_for_login(client_id)
            secret_hash = found[1] if found else hash_secret(secrets.token_urlsafe(16))
            if found is None or not hmac.compare_digest(secret_hash, hash_secret(client_secret)):
                raise Unauthenticated("wrong client id or secret", reason="INVALID_CREDENTIALS")
            account = found[0]
            if self.authz.is_blocked(account.subject):
                raise subject_blocked()
            return self._new_session(
                TokenRepository(tx),
                account.subject,
                PrincipalKind.SERVICE_ACCOUNT,
                account.tenant_id,
                account.region_code,
                account.display_name,
                now,
                refresh=False,
            )

    def _new_session(
        self,
        tokens: TokenRepository,
        subject: str,
        kind: PrincipalKind,
        tenant_id: str,
        region_code: str,
        display_name: str,
        now: datetime,
        *,
        refresh: bool,
        family_id: str | None = None,
        password_change_required: bool = False,
    ) -> IssuedTokens:
        # The session is the refresh-token family: its id is the tokens' ``sid`` (SignOut).
        session_id = (family_id or new_id()) if refresh else ""
        access = self.tokens.issue(subject, kind, tenant_id, region_code, now, session_id)
        refresh_token, refresh_expire = "", None
        if refresh:
            refresh_token = secrets.token_urlsafe(32)
            refresh_expire = now + timedelta(seconds=self.options.refresh_token_ttl_seconds)
            tokens.add_refresh_token(
                hash_secret(refresh_token), session_id, subject, refresh_expire
            )
        principal = Principal(
            subject,
            kind,
            tenant_id,
            region_code,
            expires_at=access.expire_time.timestamp(),
            session_id=session_id,
        )
        return IssuedTokens(
            access, refresh_token, refresh_expire, principal, display_name, password_change_required
        )

    def _user_session(
        self, tokens: TokenRepository, user: User, now: datetime, family_id: str | None = None
    ) -> IssuedTokens:
        # A reset password: the token is good for ChangePassword only (the policy's
        # password_change row, rhip.identity.auth.accounts), and there is no session to refresh.
        must_change = user.password_change_required
        return self._new_session(
            tokens,
            user.subject,
            user.kind,
            user.tenant_id,
            user.region_code,
            user.display_name,
            now,
            refresh=not must_change,
            family_id=family_id,
            password_change_required=must_change,
        )

    def refresh(self, refresh_token: str) -> IssuedTokens:
        if not refresh_token:
            raise invalid("refresh_token", "must not be empty", "REFRESH_TOKEN_REQUIRED")
        now = self.clock()
        reused = False
        with self.db.transaction() as tx:
            tokens = TokenRepository(tx)
            token_hash = hash_secret(refresh_token)
            row = tokens.take_refresh_token(token_hash)
            if row is None or row.revoked or utc(row.expire_time) <= now:  # type: ignore[operator]
                raise Unauthenticated(
                    "the refresh token is not valid", reason="REFRESH_TOKEN_INVALID"
                )
            if row.used:
                # A used token presented again means it leaked: end the whole family.
                tokens.revoke_refresh_family(row.family_id)
                reused = True
            else:
                _, user_id = parse_subject(row.subject, "refresh_token")
                user = DirectoryRepository(tx).get_user(user_id)
                if (
                    user is None
                    or user.state is UserState.DISABLED
                    or self.authz.is_blocked(user.subject)
                    or user.password_change_required
                ):
                    raise Unauthenticated(
                        "the refresh token is not valid", reason="REFRESH_TOKEN_INVALID"
                    )
                tokens.mark_refresh_used(token_hash)
                return self._user_session(tokens, user, now, family_id=row.family_id)
        assert reused
        raise Unauthenticated("the refresh token was already used", reason="REFRESH_TOKEN_REUSED")

    def sign_out(self, refresh_token: str) -> datetime:
        """End the session of ``refresh_token`` (any token of its family: the one the client
        holds may be the latest or, after a lost answer, the one before): its refresh tokens no
        longer refresh and its access tokens are refused everywhere once the policy watchers
        reload (``TOKEN_REVOKED``). Answers when the session ended; repeating it is harmless."""
        if not refresh_token:
            raise invalid("refresh_token", "must not be empty", "REFRESH_TOKEN_REQUIRED")
        now = self.clock()
        # Every access token of the session was issued by now, so expires within one TTL.
        last_expiry = now + timedelta(seconds=self.options.access_token_ttl_seconds)
        with self.db.transaction() as tx:
            tokens = TokenRepository(tx)
            row = tokens.take_refresh_token(hash_secret(refresh_token))
            if row is None:
                raise Unauthenticated(
                    "the refresh token is not valid", reason="REFRESH_TOKEN_INVALID"
                )
            tokens.revoke_refresh_family(row.family_id)
            ended = self.policy.revoke_session(tx, row.family_id, now, last_expiry)
            _, user_id = parse_subject(row.subject, "refresh_token")
            user = DirectoryRepository(tx).get_user(user_id)
            audit.append(
                tx,
                audit.AuditEvent(
                    "logout",
                    f"users/{user_id}",
                    user.scope_path if user is not None else self.cell_path,
                    "OK",
                    actor=row.subject,
                    actor_tenant=user.tenant_id if user is not None else "",
                ),
            )
        # This process refuses the session at once; the others when their watchers reload.
        self.authz.refresh()
        return ended

    def jwks(self) -> list[dict[str, str]]:
        return self.keys.jwks()

    def rotate_signing_key(self) -> tuple[str, datetime]:
        principal = current_principal()
        self._require(principal, self.cell_path, "RotateSigningKey")
        kid, created = self.keys.rotate()
        with self.db.transaction() as tx:
            audit.append(
                tx,
                audit.AuditEvent("signing_key.rotate", f"signingKeys/{kid}", self.cell_path),
            )
        return kid, created


def _on_one_chain(home: str, named: str) -> bool:
    """Whether a login aimed at region ``named`` reached the account of region ``home``:
    the same region, one above it (the province of a city's user) or one below it."""
    home_path, named_path = region_path(home), region_path(named)
    return is_within(home_path, named_path) or is_within(named_path, home_path)


def _wrong_region(home: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"this account belongs to region {home}: log in there (x-rhip-region: {home})",
        reason="WRONG_REGION",
        metadata={"region": home},
    )
