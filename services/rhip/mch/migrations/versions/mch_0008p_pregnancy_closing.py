"""Pregnancy episodes that end and what the antenatal checks open (issue 14): the day an
episode is CLOSED from (after delivery), the referral item an abnormal antenatal finding opens
with its due date, the delivery plan, the delivering institution and an abnormal postpartum
finding (where the 42-day check is done); on the visits the abnormal finding, the follow-up and
the emergency reason of a graded woman seen below secondary level; on risk assessments the
postpartum day of a postpartum assessment.

Existing delivered episodes get their delivering institution from their delivery and their
close date from the rule of the domain (written out
here: a migration never imports live code): the day after the 42-day check (not before
postpartum day 43), else the delivery + 42 days + the default 14-day grace + 28 days + 1.

Revision ID: mch_0008p
Revises: mch_0009b
"""

import sqlalchemy as sa
from alembic import op

revision = "mch_0008p"
down_revision = "mch_0009b"
branch_labels = None
depends_on = None

DEFAULT_GRACE, CHASE = 14, 28


def upgrade() -> None:
    with op.batch_alter_table("pregnancy") as batch:
        batch.add_column(sa.Column("close_date", sa.Date()))
        batch.add_column(
            sa.Column("open_referral", sa.String(36), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("referral_due", sa.Date()))
        batch.add_column(
            sa.Column("plan_tenant_id", sa.String(36), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("plan_level", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("plan_reason", sa.String(500), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("plan_by", sa.String(80), nullable=False, server_default=""))
        batch.add_column(sa.Column("plan_time", sa.DateTime(timezone=True)))
        batch.add_column(
            sa.Column("delivery_tenant_id", sa.String(36), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column(
                "postpartum_abnormal", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.create_index("ix_pregnancy_close_date", ["close_date"])
        batch.create_index("ix_pregnancy_referral_due", ["referral_due"])
    with op.batch_alter_table("antenatal_visit") as batch:
        batch.add_column(
            sa.Column("abnormal_finding", sa.String(500), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column(
                "referral_followed_up", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(
            sa.Column("emergency_reason", sa.String(500), nullable=False, server_default="")
        )
    with op.batch_alter_table("risk_assessment") as batch:
        batch.add_column(sa.Column("postpartum_day", sa.Integer()))
    _close_delivered()


def _close_delivered() -> None:
    from datetime import timedelta

    p = sa.table(
        "pregnancy",
        sa.column("id", sa.String),
        sa.column("state", sa.String),
        sa.column("end_date", sa.Date),
        sa.column("close_date", sa.Date),
        sa.column("delivery_id", sa.String),
        sa.column("delivery_tenant_id", sa.String),
    )
    d = sa.table("delivery", sa.column("id", sa.String), sa.column("tenant_id", sa.String))
    v = sa.table(
        "antenatal_visit",
        sa.column("pregnancy_id", sa.String),
        sa.column("kind", sa.String),
        sa.column("visit_date", sa.Date),
    )
    bind = op.get_bind()
    checks = dict(
        bind.execute(
            sa.select(v.c.pregnancy_id, sa.func.max(v.c.visit_date))
            .where(v.c.kind == "CHECK_42D")
            .group_by(v.c.pregnancy_id)
        ).all()
    )
    # One set-based UPDATE for the institutions, one executemany for the dates (the date
    # arithmetic is done here: SQLite and PostgreSQL spell it differently).
    bind.execute(
        sa.update(p)
        .where(p.c.delivery_id != "")
        .values(
            delivery_tenant_id=sa.func.coalesce(
                sa.select(d.c.tenant_id).where(d.c.id == p.c.delivery_id).scalar_subquery(), ""
            )
        )
    )
    rows = bind.execute(
        sa.select(p.c.id, p.c.state, p.c.end_date).where(
            p.c.state.in_(["DELIVERED", "POSTPARTUM_VISITED", "CHECK_42D_DONE"]),
            p.c.end_date.is_not(None),
        )
    ).all()
    dates = []
    for pid, state, end in rows:
        if state == "CHECK_42D_DONE" and pid in checks:
            close = max(checks[pid], end + timedelta(days=42)) + timedelta(days=1)
        else:
            close = end + timedelta(days=42 + DEFAULT_GRACE + CHASE + 1)
        dates.append({"pid": pid, "close": close})
    if dates:
        bind.execute(
            sa.update(p)
            .where(p.c.id == sa.bindparam("pid"))
            .values(close_date=sa.bindparam("close")),
            dates,
        )


def downgrade() -> None:
    with op.batch_alter_table("risk_assessment") as batch:
        batch.drop_column("postpartum_day")
    with op.batch_alter_table("antenatal_visit") as batch:
        batch.drop_column("emergency_reason")
        batch.drop_column("referral_followed_up")
        batch.drop_column("abnormal_finding")
    with op.batch_alter_table("pregnancy") as batch:
        batch.drop_index("ix_pregnancy_referral_due")
        batch.drop_index("ix_pregnancy_close_date")
        for column in (
            "postpartum_abnormal", "delivery_tenant_id", "plan_time", "plan_by", "plan_reason", "plan_level", "plan_tenant_id",
            "referral_due", "open_referral", "close_date",
        ):  # fmt: skip
            batch.drop_column(column)
