"""The durable outbox (rhip.kit.outbox): events written in the business transaction and
delivered later, in order per (stream, key), by a background worker.

Revision ID: kit_0005
Revises: kit_0004

``outbox_key`` holds one row per (stream, key) with the last position handed out: enqueue
increments it under the row's lock, so positions within a key follow commit order and have no
gaps even when two transactions enqueue for the same key at once (a sequence value is taken
at insert time, not at commit, and would not).
"""

import sqlalchemy as sa
from alembic import op

revision = "kit_0005"
down_revision = "kit_0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")  # SQLite: the rowid, autoincrementing


def upgrade() -> None:
    op.create_table(
        "outbox_key",
        sa.Column("stream", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("last_position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "outbox_event",
        sa.Column("seq", _ID, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("stream", sa.String(64), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(300), nullable=False, server_default=""),
        sa.Column("lease_owner", sa.String(64), nullable=False, server_default=""),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replays", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ux_outbox_event_id", "outbox_event", ["event_id"], unique=True)
    op.create_index(
        "ux_outbox_event_position", "outbox_event", ["stream", "key", "position"], unique=True
    )
    # The worker's scan (pending and due) and the overdue listing (undelivered by due time).
    op.create_index("ix_outbox_event_next", "outbox_event", ["state", "next_attempt_at"])
    op.create_index("ix_outbox_event_due", "outbox_event", ["state", "due_at"])


def downgrade() -> None:
    op.drop_table("outbox_event")
    op.drop_table("outbox_key")
