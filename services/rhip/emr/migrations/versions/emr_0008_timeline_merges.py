"""The timeline follows identity's resident merges: emr's cursor in identity's resident change
feed, and the merges it applied (survivor, merged resident, undone or not). A survivor's
timeline shows the entries of every resident merged into it while the merge stands; the
merges recorded in the feed before this revision are applied when emr first reads it (the
cursor starts at 0).

Revision ID: emr_0008
Revises: emr_0007
"""

import sqlalchemy as sa
from alembic import op

revision = "emr_0008"
down_revision = "emr_0007"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    cursor = op.create_table(
        "emr_resident_change_cursor",
        sa.Column("source", sa.String(20), primary_key=True),
        sa.Column("last_sequence", sa.BigInteger(), nullable=False),
        sa.Column("update_time", TZ, nullable=True),
    )
    op.bulk_insert(cursor, [{"source": "identity", "last_sequence": 0, "update_time": None}])
    op.create_table(
        "emr_timeline_merge",
        sa.Column("merge_id", sa.String(36), primary_key=True),
        sa.Column("survivor_id", sa.String(36), nullable=False),
        sa.Column("merged_id", sa.String(36), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),  # active, undone
        sa.Column("merge_sequence", sa.BigInteger(), nullable=True),
        sa.Column("undo_sequence", sa.BigInteger(), nullable=True),
        sa.Column("apply_time", TZ, nullable=False),
        sa.Column("undo_time", TZ, nullable=True),
    )
    # A timeline page asks both: whom the resident absorbed, whether it was merged away.
    op.create_index("ix_emr_timeline_merge_survivor", "emr_timeline_merge", ["survivor_id"])
    op.create_index("ix_emr_timeline_merge_merged", "emr_timeline_merge", ["merged_id"])


def downgrade() -> None:
    op.drop_index("ix_emr_timeline_merge_merged", table_name="emr_timeline_merge")
    op.drop_index("ix_emr_timeline_merge_survivor", table_name="emr_timeline_merge")
    op.drop_table("emr_timeline_merge")
    op.drop_table("emr_resident_change_cursor")
