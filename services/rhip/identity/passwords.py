"""The password policy: minimum length, required character classes, and how many recent
passwords a change may not reuse. Plain Python; the values come from ``RHIP_PASSWORD_*``
(rhip.kit.config), the defaults being the rule every password met before the policy was
configurable: at least 12 characters with letters and digits."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rhip.identity.settings import IdentitySettings
from rhip.kit.errors import FieldViolation, InvalidArgument

# Not configurable: argon2 hashes any length, but nobody types more, and a bound keeps a
# request of megabytes from being hashed (over and over for the history check).
MAX_PASSWORD_LENGTH = 256

_CLASSES: dict[str, tuple[re.Pattern[str], str]] = {
    "letter": (re.compile(r"[A-Za-z]"), "a letter"),
    "lower": (re.compile(r"[a-z]"), "a lower-case letter"),
    "upper": (re.compile(r"[A-Z]"), "an upper-case letter"),
    "digit": (re.compile(r"\d"), "a digit"),
    "symbol": (re.compile(r"[^A-Za-z\d\s]"), "a symbol (neither letter, digit nor space)"),
}


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 12
    character_classes: tuple[str, ...] = ("letter", "digit")
    # Recent passwords (the current one included) a change may not reuse; 0 and 1 both mean
    # the current one only.
    history: int = 0

    @classmethod
    def from_settings(cls, settings: IdentitySettings) -> PasswordPolicy:
        return cls(
            settings.password_min_length,
            settings.password_character_classes,
            settings.password_history,
        )

    def validate(self, password: str, field: str) -> None:
        """INVALID_ARGUMENT ``PASSWORD_WEAK`` listing every rule ``password`` breaks."""
        problems = []
        if len(password) < self.min_length:
            problems.append(f"must be at least {self.min_length} characters")
        if len(password) > MAX_PASSWORD_LENGTH:
            problems.append(f"must be at most {MAX_PASSWORD_LENGTH} characters")
        missing = [
            _CLASSES[name][1]
            for name in self.character_classes
            if not _CLASSES[name][0].search(password)
        ]
        if missing:
            problems.append("must contain " + ", ".join(missing))
        if problems:
            raise InvalidArgument(
                "password is too weak",
                reason="PASSWORD_WEAK",
                violations=[FieldViolation(field, p) for p in problems],
            )


DEFAULT_POLICY = PasswordPolicy()
