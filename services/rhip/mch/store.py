"""What every mch feature's store shares: the metadata of the mch tables (created by the
migrations) and the base of the feature repositories, which work on the caller's connection.
Every query that can return data takes the caller's scopes and filters in SQL; nothing here
commits (the use case owns the transaction)."""

from __future__ import annotations

from sqlalchemy import Connection, MetaData

metadata = MetaData()


class StoreBase:
    def __init__(self, connection: Connection) -> None:
        self.s = connection
