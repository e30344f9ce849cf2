"""The overdue lists at scale (issue 17's benchmark, 500,000 referrals): two partial indexes
over the referrals waiting for acceptance or arrival (SUBMITTED, ACCEPTED), in the order the
lists answer (deadline, id): one led by the sending institution (an institution's list), one
by the deadline alone (a region's list scans it in order and stops at a page). The old
(state, deadline) index made both sort every overdue referral of the cell.

Revision ID: referral_0003
Revises: referral_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "referral_0003"
down_revision = "referral_0002"
branch_labels = None
depends_on = None

TIMED = sa.text("state IN ('SUBMITTED', 'ACCEPTED')")


def upgrade() -> None:
    op.create_index(
        "ix_referral_sender_overdue",
        "referral",
        ["sender_scope", "deadline", "id"],
        postgresql_where=TIMED,
        sqlite_where=TIMED,
    )
    op.create_index(
        "ix_referral_overdue",
        "referral",
        ["deadline", "id"],
        postgresql_where=TIMED,
        sqlite_where=TIMED,
    )
    op.drop_index("ix_referral_deadline", table_name="referral")


def downgrade() -> None:
    op.create_index("ix_referral_deadline", "referral", ["state", "deadline"])
    op.drop_index("ix_referral_overdue", table_name="referral")
    op.drop_index("ix_referral_sender_overdue", table_name="referral")
