"""Following identity's resident change feed: the consumer's cursor, the changes already
applied (a replay after a cursor reset changes nothing), the records each merge moved (so
its undo moves back exactly those), and the other record of a duplicate-record task.

Revision ID: archives_0010
Revises: archives_0009
"""

import sqlalchemy as sa
from alembic import op

revision = "archives_0010"
down_revision = "archives_0009"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    cursor = op.create_table(
        "resident_change_cursor",
        sa.Column("source", sa.String(20), primary_key=True),
        sa.Column("last_sequence", sa.BigInteger(), nullable=False),
        sa.Column("update_time", TZ, nullable=True),
    )
    op.bulk_insert(cursor, [{"source": "identity", "last_sequence": 0, "update_time": None}])
    op.create_table(
        "resident_change_applied",
        sa.Column("sequence", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("outcome", sa.String(200), nullable=False),
        sa.Column("applied_time", TZ, nullable=False),
    )
    op.create_table(
        "resident_merge_move",
        sa.Column("merge_id", sa.String(36), primary_key=True),
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("from_resident_id", sa.String(36), nullable=False),
        sa.Column("to_resident_id", sa.String(36), nullable=False),
        sa.Column("related_record_id", sa.String(36), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("move_time", TZ, nullable=False),
    )
    op.add_column(
        "record_task",
        sa.Column("related_record_id", sa.String(36), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("record_task") as batch:
        batch.drop_column("related_record_id")
    op.drop_table("resident_merge_move")
    op.drop_table("resident_change_applied")
    op.drop_table("resident_change_cursor")
