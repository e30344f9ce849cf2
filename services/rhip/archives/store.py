"""What every archives feature's store shares: the declarative base of the archives tables
(one metadata, created by the migrations) and the base of the feature repositories, which
all work on the caller's connection.

Every query that can return records takes the caller's scopes and filters in SQL. Nothing in
the stores commits: the use case owns the transaction (``ArchivesRepository``, repository.py,
is all of them over one connection).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rhip.archives.quality import indicator_counts
from sqlalchemy import Connection
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class StoreBase:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    @contextmanager
    def _counted(self, record_id: str) -> Iterator[None]:
        """Around every write of a record, its visits or its plans: add the change of the
        record's contribution to the indicator counts, in the same transaction. The record's
        row lock (taken first) makes concurrent writes of one record take turns."""
        before = indicator_counts.load_facts(self.s, record_id, lock=True).get(record_id)
        yield
        after = indicator_counts.load_facts(self.s, record_id).get(record_id)
        indicator_counts.add(self.s, indicator_counts.change(before, after))
