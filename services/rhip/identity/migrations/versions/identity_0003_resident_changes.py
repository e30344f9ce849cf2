"""The resident change feed (deaths, merges, undone merges) other services of the cell follow,
with its one-row head that orders the writers; filled from the history already recorded, so
deaths and merges from before the feed reach archives too.

Revision ID: identity_0003
Revises: identity_0002
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "identity_0003"
down_revision = "identity_0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    change = op.create_table(
        "resident_change",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("death_date", sa.Date(), nullable=True),
        sa.Column("survivor_id", sa.String(36), nullable=False),
        sa.Column("merge_id", sa.String(36), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("change_time", TZ, nullable=False),
    )
    head = op.create_table(
        "resident_change_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
    )
    rows = _history()
    if rows:
        op.bulk_insert(change, rows)
    op.bulk_insert(head, [{"id": 1, "seq": len(rows)}])


def _history() -> list[dict[str, object]]:
    """Feed entries for the deaths, merges and undos already in ``resident_event``, in the
    order they happened (an undo is recorded on both residents: keep the merged one's)."""
    event = sa.table(
        "resident_event",
        sa.column("id", sa.String),
        sa.column("resident_id", sa.String),
        sa.column("event_time", TZ),
        sa.column("kind", sa.String),
        sa.column("actor", sa.String),
        sa.column("detail", sa.Text),
    )
    resident = sa.table("resident", sa.column("id", sa.String), sa.column("death_date", sa.Date))
    merge = sa.table(
        "resident_merge",
        sa.column("id", sa.String),
        sa.column("survivor_id", sa.String),
        sa.column("merged_id", sa.String),
    )
    bind = op.get_bind()
    merges = {m.id: m for m in bind.execute(sa.select(merge))}
    deaths = dict(
        bind.execute(
            sa.select(resident.c.id, resident.c.death_date).where(
                resident.c.death_date.is_not(None)
            )
        ).all()
    )
    query = (
        sa.select(event)
        .where(event.c.kind.in_(["DECEASED", "MERGED_INTO", "MERGE_UNDONE"]))
        .order_by(event.c.event_time, event.c.id)
    )
    rows: list[dict[str, object]] = []
    for e in bind.execute(query):
        detail = json.loads(e.detail or "{}")
        entry: dict[str, object] = {
            "resident_id": e.resident_id, "death_date": None, "survivor_id": "", "merge_id": "",
            "actor": e.actor, "change_time": e.event_time,
        }  # fmt: skip
        if e.kind == "DECEASED":
            if e.resident_id not in deaths:
                continue
            entry.update(kind="DECEASED", death_date=deaths[e.resident_id])
        else:
            found = merges.get(str(detail.get("merge", "")))
            if found is None or e.resident_id != found.merged_id:
                continue
            kind = "MERGED" if e.kind == "MERGED_INTO" else "MERGE_UNDONE"
            entry.update(kind=kind, survivor_id=found.survivor_id, merge_id=found.id)
        rows.append({"seq": len(rows) + 1, **entry})
    return rows


def downgrade() -> None:
    op.drop_table("resident_change_head")
    op.drop_table("resident_change")
