"""Residents linked across cells: the links (this cell's resident ↔ another cell's resident of
the same person), the residents still to announce to the platform's locator (an outbox: the
locator being down never blocks a registration), and a cursor per linked cell's change feed.

Revision ID: identity_0006
Revises: identity_0005q
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0006"
down_revision = "identity_0005q"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "resident_link",
        sa.Column("resident_id", sa.String(36), primary_key=True),
        sa.Column("cell", sa.String(6), primary_key=True),
        sa.Column("remote_resident_id", sa.String(36), primary_key=True),
        sa.Column("moved_by_merge", sa.String(36), nullable=False),
        sa.Column("moved_from", sa.String(36), nullable=False),
        sa.Column("create_time", TZ, nullable=False),
    )
    op.create_index("ix_resident_link_remote", "resident_link", ["cell", "remote_resident_id"])
    op.create_table(
        "resident_announcement",
        sa.Column("resident_id", sa.String(36), primary_key=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("create_time", TZ, nullable=False),
    )
    op.create_table(
        "linked_feed_cursor",
        sa.Column("cell", sa.String(6), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("update_time", TZ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("linked_feed_cursor")
    op.drop_table("resident_announcement")
    op.drop_table("resident_link")
