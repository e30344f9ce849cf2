"""Auth rules as plain Python: the lockout after repeated failed logins. (The password policy,
which creating a user checks too, is rhip.identity.passwords.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rhip.identity.directory.domain import User


@dataclass(frozen=True)
class LoginAttempt:
    """Outcome of checking a password against the lockout policy."""

    failed_logins: int
    locked_until: datetime | None


def after_failed_login(
    user: User, now: datetime, max_failures: int, lockout: timedelta
) -> LoginAttempt:
    """Count a failure; the ``max_failures``-th consecutive one locks the account."""
    failures = user.failed_logins + 1
    if failures >= max_failures:
        return LoginAttempt(0, now + lockout)
    return LoginAttempt(failures, user.locked_until)
