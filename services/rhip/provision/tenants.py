"""Does a cell still hold tenants? Asked of the cell's identity database, read-only.

The ``tenant`` table is identity's (rhip.identity.directory.store); the provisioner is an
operator tool, not a service, and reads it by name rather than through identity's code so a
change inside identity never has to touch this. Every row counts, suspended tenants included:
their records still live in the cell.
"""

from __future__ import annotations

from pathlib import Path

from rhip.kit.db import normalise_url
from sqlalchemy import create_engine, func, select, table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

TENANT_TABLE = "tenant"


class TenantCountError(RuntimeError):
    """The count could not be taken; the message says why (no password in it)."""


def count_tenants(database_url: str) -> int:
    url = make_url(normalise_url(database_url))
    # Opening a missing SQLite file would create an empty database and read "no tenants".
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file()):
        raise TenantCountError(f"no identity database at {url.database or '(none)'}")
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            count = connection.execute(
                select(func.count()).select_from(table(TENANT_TABLE))
            ).scalar_one()
    except SQLAlchemyError as error:
        where = url.render_as_string(hide_password=True)
        reason = str(getattr(error, "orig", None) or error.__class__.__name__).splitlines()[0]
        raise TenantCountError(f"cannot count tenants in {where}: {reason}") from None
    finally:
        engine.dispose()
    return int(count)
