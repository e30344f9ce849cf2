"""AIP-158 pagination: ``page_size`` with a default and a ceiling, and opaque page tokens
bound to the query they came from (a token reused with other filters is refused)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass

from rhip.kit.errors import InvalidArgument, invalid

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
# Tokens we make are at most ~250 characters (a sort key and a 16-character fingerprint).
# Anything longer did not come from us and is refused before it is decoded; this also bounds
# how deeply a forged token's JSON can nest (384 levels at most, well inside the recursion
# limit json.loads runs into: issue 12).
MAX_TOKEN_CHARS = 512
_TOKEN_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Page:
    """How many rows to return and the sort key to continue after (None on the first page)."""

    size: int
    after: str | None
    query: str

    def next_token(self, last_key: str | None, has_more: bool) -> str:
        if not has_more or last_key is None:
            return ""
        payload = json.dumps({"a": last_key, "q": self.query}, separators=(",", ":"))
        return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def query_fingerprint(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def parse_page(page_size: int, page_token: str, *query: object) -> Page:
    """Validate ``page_size``/``page_token`` for a query described by ``query``."""
    if page_size < 0:
        raise invalid("page_size", "must not be negative", "PAGE_SIZE_NEGATIVE")
    size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    fingerprint = query_fingerprint(*query)
    if not page_token:
        return Page(size, None, fingerprint)
    after, token_query = _decode_token(page_token)
    if token_query != fingerprint:
        raise invalid("page_token", "belongs to a list with other filters", "PAGE_TOKEN_MISMATCH")
    return Page(size, after, fingerprint)


def _decode_token(page_token: str) -> tuple[str, str]:
    """(sort key, query fingerprint) from a token made by ``Page.next_token``. The token
    comes from the caller, so it is checked for size and alphabet before decoding, and the
    JSON must be one object of two strings."""
    if len(page_token) > MAX_TOKEN_CHARS or not _TOKEN_ALPHABET.fullmatch(page_token):
        raise foreign_page_token()
    try:
        padded = page_token + "=" * (-len(page_token) % 4)
        raw = base64.urlsafe_b64decode(padded.encode())
    except (binascii.Error, ValueError):
        raise foreign_page_token() from None
    try:
        data = json.loads(raw)
    except ValueError:  # includes UnicodeDecodeError
        raise foreign_page_token() from None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("a"), str)
        or not isinstance(data.get("q"), str)
    ):
        raise foreign_page_token()
    return data["a"], data["q"]


def foreign_page_token() -> InvalidArgument:
    """The error for a page token we did not make (also for a sort key inside one that does
    not parse)."""
    return invalid("page_token", "is not a token from this list", "PAGE_TOKEN_INVALID")
