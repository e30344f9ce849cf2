"""SQL filters by region scope: a path column equal to a scope or below it (whole segments).

Every list and search query of every service filters with these, so a caller never receives
a row outside the subtrees the authorizer gives them (docs/architecture.md §4, defense in depth).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, false, or_


def like_prefix(path: str) -> str:
    """The LIKE pattern for everything strictly below ``path`` (``\\`` escapes)."""
    return path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"


def within_scopes(column: Any, scopes: Sequence[str]) -> Any:
    """``column`` equals one of ``scopes`` or lies below it; false when there are none."""
    if not scopes:
        return false()
    return or_(*(or_(column == s, column.like(like_prefix(s), escape="\\")) for s in scopes))


def within_bound_scopes(column: Any, count: int) -> Any:
    """The same for ``count`` scopes given at execution as ``root{i}`` and ``like{i}``
    (``scope_params``), for statements built once and reused."""
    if not count:
        return false()
    return or_(
        *(
            or_(column == bindparam(f"root{i}"), column.like(bindparam(f"like{i}"), escape="\\"))
            for i in range(count)
        )
    )


def scope_params(scopes: Sequence[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for i, scope in enumerate(scopes):
        params[f"root{i}"], params[f"like{i}"] = scope, like_prefix(scope)
    return params
