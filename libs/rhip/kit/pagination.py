"""AIP-158 pagination: ``page_size`` with a default and a ceiling, and opaque page tokens
bound to the query they came from (a token reused with other filters is refused)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass

from rhip.kit.errors import invalid

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


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
    try:
        padded = page_token + "=" * (-len(page_token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after, token_query = str(data["a"]), str(data["q"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise invalid("page_token", "is not a token from this list", "PAGE_TOKEN_INVALID") from None
    if token_query != fingerprint:
        raise invalid("page_token", "belongs to a list with other filters", "PAGE_TOKEN_MISMATCH")
    return Page(size, after, fingerprint)
