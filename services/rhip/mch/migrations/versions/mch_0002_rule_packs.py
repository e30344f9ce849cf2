"""Rule packs: each risk assessment names the pack it was graded with (its id beside the
version), and the pregnancy's grade is kept as a severity on a scale with room for pink
(green 10, pink 15, yellow 20, orange 30, red 40; was 1–4). Indexes for the indicators.

Revision ID: mch_0002
Revises: mch_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "mch_0002"
down_revision = "mch_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("risk_assessment") as batch:
        batch.add_column(
            sa.Column(
                "rules_pack",
                sa.String(40),
                nullable=False,
                server_default="national-five-colour",
            )
        )
    op.execute("UPDATE pregnancy SET risk_rank = risk_rank * 10 WHERE risk_rank BETWEEN 1 AND 4")
    op.create_index(
        "ix_pregnancy_scope_registration", "pregnancy", ["scope_path", "registration_date"]
    )
    op.create_index("ix_child_record_scope_path", "child_record", ["scope_path"])
    op.create_index("ix_risk_report_pregnancy_id_state", "risk_report", ["pregnancy_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_risk_report_pregnancy_id_state", "risk_report")
    op.drop_index("ix_child_record_scope_path", "child_record")
    op.drop_index("ix_pregnancy_scope_registration", "pregnancy")
    op.execute("UPDATE pregnancy SET risk_rank = risk_rank / 10 WHERE risk_rank >= 10")
    with op.batch_alter_table("risk_assessment") as batch:
        batch.drop_column("rules_pack")
