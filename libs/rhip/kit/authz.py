"""Authorization: pycasbin RBAC whose domains are region paths; a grant reaches its region
and everything below it.

Policy rows (table ``authz_rule``):

* ``p, role:<role>, <action pattern>``: what a role may do (actions are gRPC method names,
  ``rhip.api.identity.v1.IdentityService/CreateTenant``; ``*`` as a suffix wildcard);
* ``g, <subject>, role:<role>, <domain path>``: a subject holds a role over a region path
  (``86/32/3203``) or a tenant path (``86/32/3203/320311/t-{id}``);
* ``g2, <subject>, tenant:<id>`` (membership) and ``g2, <subject or tenant>, blocked``:
  a blocked tenant or user is refused everything;
* ``g2, <subject>, password_change``: the user's password was reset by an administrator and
  must be changed; the server interceptor refuses every method but ChangePassword (the
  decisions here are unchanged: that one method is the user's own, checked without a grant).

Decisions never scan for subtrees: ``inScope`` walks the target's ancestors (at most six
segments) and asks the role manager for an exact link at each. Decisions are cached by request
and the cache is dropped whenever the policy changes; a watcher thread brings the policy up to
date in every replica within a second (PostgreSQL LISTEN/NOTIFY, or polling the version row on
SQLite), applying the logged changes since its version (rhip.kit.policy_store) and reloading
every rule only when the log cannot say what changed.

Sessions ended by SignOut (table ``revoked_session``) travel with the policy: revoking one bumps
the version, so every service reloads the list with the policy and refuses the session's tokens
(``TOKEN_REVOKED``) within a second, without asking identity on each call.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

import casbin
import psycopg
from casbin import persist
from casbin.util import key_match
from rhip.kit.authn import Principal
from rhip.kit.db import is_postgres
from rhip.kit.errors import NotFound, PermissionDenied, Unauthenticated
from rhip.kit.policy_store import ADD, NOTIFY_CHANNEL, REVOKE, Change
from rhip.kit.policy_store import PolicyStore as PolicyStore  # re-exported: services use it here
from rhip.kit.policy_store import Rule as Rule
from rhip.kit.tenancy import ancestors, is_within
from rhip.kit.workers import PeriodicWorker
from sqlalchemy import text

log = logging.getLogger(__name__)
T = TypeVar("T")

# Versions behind beyond which a replica reloads every rule rather than apply the changes one
# by one (casbin checks each against its rule list: applying costs grow with both).
MAX_VERSIONS_APPLIED = 500

BLOCKED = "blocked"
PASSWORD_CHANGE = "password_change"

MODEL_TEXT = """
[request_definition]
r = sub, dom, act

[policy_definition]
p = sub, act

[role_definition]
g = _, _, _
g2 = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = keyMatch(r.act, p.act) && inScope(r.sub, p.sub, r.dom) && !g2(r.sub, "blocked")
"""


def subject_blocked() -> PermissionDenied:
    """The error for a suspended user or a member of a suspended tenant."""
    return PermissionDenied("the account or its tenant is suspended", reason="SUBJECT_BLOCKED")


def password_change_required() -> PermissionDenied:
    """The error for a user who must change a reset password before anything else."""
    return PermissionDenied(
        "the password was reset: change it (ChangePassword) before anything else",
        reason="PASSWORD_CHANGE_REQUIRED",
    )


def session_revoked() -> Unauthenticated:
    """The error for a token of a session ended by SignOut."""
    return Unauthenticated("the session was signed out: log in again", reason="TOKEN_REVOKED")


def role_subject(role: str) -> str:
    return f"role:{role}"


def grant_rule(subject: str, role: str, domain: str) -> Rule:
    return Rule("g", (subject, role_subject(role), domain))


def permission_rule(role: str, action: str) -> Rule:
    return Rule("p", (role_subject(role), action))


def membership_rule(subject: str, tenant_id: str) -> Rule:
    return Rule("g2", (subject, f"tenant:{tenant_id}"))


def block_rule(subject_or_tenant: str) -> Rule:
    return Rule("g2", (subject_or_tenant, BLOCKED))


def password_change_rule(subject: str) -> Rule:
    return Rule("g2", (subject, PASSWORD_CHANGE))


class _RowsAdapter(persist.Adapter):
    """Feeds rows already read from the database into a casbin model (read-only)."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self._rules = rules

    def load_policy(self, model):
        sections = model.model
        for rule in self._rules:
            sections[rule.ptype[0]][rule.ptype].policy.append(list(rule.values))


class _Snapshot:
    """One loaded policy: a casbin enforcer (its role managers answer every decision) plus
    indexes for scope queries. A full reload builds a new snapshot and swaps it in; ``apply``
    brings one up to a later version in place. casbin's role managers are not thread-safe:
    use and change them under ``lock``; the indexes read without it are replaced, never
    changed, so a reader sees either the old or the new one."""

    def __init__(
        self, version: int, rules: Sequence[Rule], revoked: dict[str, datetime] | None = None
    ) -> None:
        self.version = version
        # revoked sessions, each until its last token expires (then dropped by ``apply``)
        self.revoked = dict(revoked or {})
        model = casbin.Enforcer.new_model(text=MODEL_TEXT)
        self.enforcer = casbin.Enforcer(model, _RowsAdapter(rules))
        self.enforcer.add_function("inScope", self._in_scope)
        self._roles = self.enforcer.get_role_manager()
        # pycasbin's domain role manager defaults to an equality "matching function", which
        # makes every lookup of a name it has not seen scan all names of the domain (measured:
        # cold p99 18 ms at 100,000 rows, growing with every new subject). Names here are exact.
        self._roles.add_matching_func(None)
        self._blocked = self.enforcer.get_named_role_manager("g2")
        self.grants: dict[str, list[tuple[str, str]]] = {}
        self.role_actions: dict[str, list[str]] = {}
        for rule in rules:
            if rule.ptype == "g":
                sub, role, domain = rule.values
                self.grants.setdefault(sub, []).append((role, domain))
            elif rule.ptype == "p":
                self.role_actions.setdefault(rule.values[0], []).append(rule.values[1])
        self._action_roles: dict[str, tuple[str, ...]] = {}
        self.lock = threading.Lock()

    def apply(self, version: int, changes: Sequence[Change]) -> None:
        """Bring this policy to ``version`` by the changes logged since its own, in order."""
        enforcer = self.enforcer
        now = datetime.now(UTC)
        revoked = {s: until for s, until in self.revoked.items() if until > now}
        # Copies, swapped in at the end: scopes() and roles_for() read these without the lock.
        grants, role_actions = dict(self.grants), dict(self.role_actions)
        with self.lock:
            for change in changes:
                rule = change.rule
                if change.op == REVOKE or rule is None:
                    revoked[change.session_id] = change.expires or now
                    continue
                adding = change.op == ADD
                if rule.ptype == "p":
                    change_policy = (
                        enforcer.add_named_policy if adding else enforcer.remove_named_policy
                    )
                    role, action = rule.values
                    _change_list(role_actions, role, action, adding)
                else:
                    change_policy = (
                        enforcer.add_named_grouping_policy
                        if adding
                        else enforcer.remove_named_grouping_policy
                    )
                    if rule.ptype == "g":
                        sub, role, domain = rule.values
                        _change_list(grants, sub, (role, domain), adding)
                if not change_policy(rule.ptype, list(rule.values)):
                    log.warning(
                        "policy v%d: %s of a %s rule changed nothing",
                        change.version,
                        change.op,
                        rule.ptype,
                    )
            self.grants = grants
            self.role_actions = role_actions
            self._action_roles = {}  # after role_actions: see roles_for
            self.revoked = revoked
            self.version = version

    def _in_scope(self, subject: str, role: str, domain: str) -> bool:
        # Ask only about domains that hold grants: the role manager builds (and keeps) a
        # per-domain manager for every domain it is asked about.
        granted = self._roles.all_links
        return any(
            path in granted and self._roles.has_link(subject, role, path)
            for path in ancestors(domain)
        )

    def _is_blocked_locked(self, subject: str) -> bool:
        # A subject without g2 rows is in no tenant and blocked by nobody; asking the role
        # manager about it would add it to the manager for good.
        return subject in self._blocked.all_roles and bool(self._blocked.has_link(subject, BLOCKED))

    def is_blocked(self, subject: str) -> bool:
        with self.lock:
            return self._is_blocked_locked(subject)

    def must_change_password(self, subject: str) -> bool:
        with self.lock:
            return subject in self._blocked.all_roles and bool(
                self._blocked.has_link(subject, PASSWORD_CHANGE)
            )

    def roles_for(self, action: str) -> tuple[str, ...]:
        # The memo first, then the patterns: ``apply`` replaces them in the other order, so an
        # answer from old patterns can only land in the memo that is being dropped.
        memo = self._action_roles
        roles = memo.get(action)
        if roles is None:
            roles = tuple(
                role
                for role, patterns in self.role_actions.items()
                if any(key_match(action, pattern) for pattern in patterns)
            )
            memo[action] = roles
        return roles

    def decide(self, subject: str, domain: str, action: str) -> bool:
        """The matcher of MODEL_TEXT over casbin's role managers, without re-evaluating the
        matcher text once per ``p`` row (simpleeval walks its AST each time: 150 µs per cold
        decision measured, against a few µs here). ``enforcer.enforce`` gives the same
        answer; tests/kit/test_authz.py checks that on every request of a policy."""
        roles = self.roles_for(action)
        if not roles:
            return False
        with self.lock:
            return any(
                self._in_scope(subject, role, domain) for role in roles
            ) and not self._is_blocked_locked(subject)


def _change_list(index: dict[str, list[T]], key: str, value: T, adding: bool) -> None:
    """Add ``value`` to or remove it from ``key``'s list in ``index`` (a copy of the live
    index: the list is replaced, never changed, since the live one may share it)."""
    values = [v for v in index.get(key, []) if v != value]
    if adding:
        values.append(value)
    if values:
        index[key] = values
    else:
        index.pop(key, None)


class Authorizer:
    """Thread-safe decisions over the current policy snapshot, with a decision cache."""

    def __init__(
        self, store: PolicyStore, *, poll_seconds: float = 0.25, cache_size: int = 200_000
    ):
        self.store = store
        self._cache_size = cache_size
        self._cache: dict[tuple[str, str, str], bool] = {}
        self._snapshot = _Snapshot(0, [])
        self._reload_lock = threading.Lock()
        self.full_loads = 0  # times every rule was read (start, force, or a log that fell short)
        self.changes_applied = 0  # logged changes applied in place since start
        # On SQLite a pass is one poll; on PostgreSQL it is a LISTEN session that lasts until
        # stopped or broken (then retried with backoff: a lost connection must not stop reloads).
        self._watcher = PeriodicWorker(
            "authz-watcher", self._watch_pass, poll_seconds, max_backoff=5.0
        )

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self.refresh(force=True)
        self._watcher.start()

    def stop(self) -> None:
        if self._watcher.health().running and is_postgres(self.store.db.engine):
            self._watcher.request_stop()  # seen by the listener once woken
            self._wake_listener()
        self._watcher.stop(timeout=5)

    def _wake_listener(self) -> None:
        try:
            with self.store.db.engine.begin() as conn:
                conn.execute(
                    text("SELECT pg_notify(:channel, 'stop')"), {"channel": NOTIFY_CHANNEL}
                )
        except Exception:  # the listener also wakes on its own within a second
            log.debug("could not wake the authorization listener", exc_info=True)

    def refresh(self, *, force: bool = False) -> bool:
        """Bring the policy up to date if its version moved: by the logged changes since the
        version held, or by reading every rule (always with ``force``). True if it moved."""
        with self._reload_lock:
            held = self._snapshot
            with self.store.db.read() as conn:
                version = PolicyStore.version(conn)
                if version == held.version and not force:
                    return False
                changes = None
                if not force and held.version < version <= held.version + MAX_VERSIONS_APPLIED:
                    changes = PolicyStore.changes(conn, held.version, version)
            if changes is not None:
                held.apply(version, changes)
                self._cache = {}  # after the change: see enforce
                self.changes_applied += len(changes)
                log.debug("authorization policy v%d: %d changes applied", version, len(changes))
                return True
            version, rules = self.store.load()
            with self.store.db.read() as conn:
                revoked = self.store.revoked_until(conn, datetime.now(UTC))
            self._snapshot = _Snapshot(version, rules, revoked)
            self._cache = {}
            self.full_loads += 1
            log.info("authorization policy v%d loaded: %d rules", version, len(rules))
            return True

    def sync_catalog(self, prefix: str, wanted: Iterable[Rule]) -> None:
        """Make the permission (``p``) rows whose action starts with ``prefix`` (one service's
        methods, e.g. ``rhip.api.archives.``) exactly ``wanted``; run by each service on start.
        Other services' rows, role grants and blocks are left alone, so services sharing a
        policy can start in any order."""
        want = set(wanted)
        stray = [r.values[1] for r in want if not r.values[1].startswith(prefix)]
        if stray:
            raise ValueError(f"catalogue of {prefix!r} names other actions: {stray[:3]}")
        _, current = self.store.load("p")
        have = {r for r in current if r.values[1].startswith(prefix)}
        with self.store.db.transaction() as tx:
            self.store.remove(tx, have - want)
            self.store.add(tx, want - have)
        self.refresh()

    @property
    def version(self) -> int:
        return self._snapshot.version

    # -- decisions ------------------------------------------------------------------------
    def enforce(self, subject: str, domain: str, action: str) -> bool:
        if subject.startswith("role:"):
            return False  # a role is never a caller (casbin links every name to itself)
        key = (subject, domain, action)
        cache = self._cache
        decision = cache.get(key)
        if decision is not None:
            return decision
        decision = self._snapshot.decide(subject, domain, action)
        # Only into the cache of the policy it was decided on: a refresh changes the policy
        # first and replaces the cache after, so a decision taken before it lands in the old one.
        if cache is self._cache:
            if len(cache) >= self._cache_size:
                cache.clear()
            cache[key] = decision
        return decision

    def is_blocked(self, subject: str) -> bool:
        return self._snapshot.is_blocked(subject)

    def is_revoked(self, session_id: str) -> bool:
        """True when the session was ended by SignOut (tokens without a session id are
        service accounts': they have no session to end)."""
        return bool(session_id) and session_id in self._snapshot.revoked

    def must_change_password(self, subject: str) -> bool:
        """True while the subject's password, reset by an administrator, is not changed."""
        return self._snapshot.must_change_password(subject)

    def require(self, principal: Principal, domain: str, action: str) -> None:
        """Raise PERMISSION_DENIED unless the principal may do ``action`` on ``domain``."""
        if self.enforce(principal.subject, domain, action):
            return
        raise self.denial(principal, action)

    def require_found(
        self, principal: Principal, scope: str | None, action: str, cell_path: str, missing: str
    ) -> None:
        """Permission before existence (AIP-211): ``scope`` is the owning region of the target,
        None when it does not exist. A missing target is NOT_FOUND (``missing``) only to a
        caller who may do ``action`` anywhere in the cell; to everybody else a missing target
        and one out of reach are the same PERMISSION_DENIED."""
        if scope is None:
            if self.enforce(principal.subject, cell_path, action):
                raise NotFound(missing)
            raise self.denial(principal, action)
        self.require(principal, scope, action)

    def denial(self, principal: Principal, action: str) -> PermissionDenied:
        """The refusal of ``action`` to ``principal``: the same wherever it is refused (a
        target out of reach and a missing one must not be told apart)."""
        if self.is_blocked(principal.subject):
            return subject_blocked()
        return PermissionDenied(f"not allowed to call {action.rsplit('/', 1)[-1]} here")

    def scopes(self, subject: str, action: str) -> list[str]:
        """Every domain path where ``subject`` may do ``action``, outermost only: the SQL
        filter for list queries. Empty when blocked."""
        snapshot = self._snapshot
        if snapshot.is_blocked(subject):
            return []
        roots = sorted(
            {
                domain
                for role, domain in snapshot.grants.get(subject, [])
                if role in snapshot.roles_for(action)
            }
        )
        return [r for r in roots if not any(r != o and is_within(r, o) for o in roots)]

    # -- watcher --------------------------------------------------------------------------
    def _watch_pass(self) -> None:
        if is_postgres(self.store.db.engine):
            self._listen_postgres()
        else:
            self.refresh()

    def _listen_postgres(self) -> None:
        url = self.store.db.engine.url.set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            self.refresh()  # catch changes made while not listening
            while not self._watcher.stopping:
                for _ in conn.notifies(timeout=1.0, stop_after=1):
                    break
                # A safety poll every second as well, so a missed NOTIFY costs at most that.
                self.refresh()
