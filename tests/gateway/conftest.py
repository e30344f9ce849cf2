"""Fixtures for gateway tests: the two in-process cells behind a gateway (archives' fixture)."""

from archives.two_cells import two_cells  # noqa: F401  (the two-cell fixture)
