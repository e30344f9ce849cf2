"""High-risk women get more antenatal visits (DOMAIN §3.1, issue 14): on the pregnancy the day
her current visit interval began and the day her next visit is due by under it (the overdue
list's third key, indexed like the other two).

Open episodes already graded yellow or above (or purple) get an interval from their latest
assessment, due the interval after the later of it and their latest antenatal visit, by the
rule of the domain written out here (a migration never imports live code): yellow or purple
28 days, orange 14, red 7; none past 40w6d.

Revision ID: mch_0010h
Revises: mch_0008p
"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "mch_0010h"
down_revision = "mch_0008p"
branch_labels = None
depends_on = None

LAST_ANTENATAL_DAY = 40 * 7 + 6


def _interval(rank: int, purple: bool) -> int:
    if rank >= 40:
        return 7
    if rank >= 30:
        return 14
    return 28 if rank >= 20 or purple else 0


def upgrade() -> None:
    with op.batch_alter_table("pregnancy") as batch:
        batch.add_column(sa.Column("interval_from", sa.Date()))
        batch.add_column(sa.Column("interval_due", sa.Date()))
        batch.create_index("ix_pregnancy_interval_due", ["interval_due"])
    _start_intervals()


def _start_intervals() -> None:
    p = sa.table(
        "pregnancy",
        sa.column("id", sa.String),
        sa.column("state", sa.String),
        sa.column("lmp", sa.Date),
        sa.column("risk_rank", sa.Integer),
        sa.column("purple", sa.Boolean),
        sa.column("interval_from", sa.Date),
        sa.column("interval_due", sa.Date),
    )
    a = sa.table(
        "risk_assessment",
        sa.column("pregnancy_id", sa.String),
        sa.column("assessment_date", sa.Date),
    )
    v = sa.table(
        "antenatal_visit",
        sa.column("pregnancy_id", sa.String),
        sa.column("kind", sa.String),
        sa.column("visit_date", sa.Date),
    )
    bind = op.get_bind()
    graded = sa.or_(p.c.risk_rank >= 20, p.c.purple.is_(True))
    last_assessed = (
        sa.select(sa.func.max(a.c.assessment_date)).where(a.c.pregnancy_id == p.c.id)
    ).scalar_subquery()
    last_visit = (
        sa.select(sa.func.max(v.c.visit_date))
        .where(v.c.pregnancy_id == p.c.id, v.c.kind == "ANTENATAL")
        .scalar_subquery()
    )
    rows = bind.execute(
        sa.select(p.c.id, p.c.lmp, p.c.risk_rank, p.c.purple, last_assessed, last_visit).where(
            p.c.state.in_(["REGISTERED", "ANTENATAL"]), graded
        )
    ).all()
    values = []
    for pid, lmp, rank, purple, assessed, visited in rows:
        days = _interval(rank, bool(purple))
        if not days or assessed is None:
            continue
        due = max(assessed, visited or assessed) + timedelta(days=days)
        if (due - lmp).days > LAST_ANTENATAL_DAY:
            due = None
        values.append({"pid": pid, "start": assessed, "due": due})
    if values:
        bind.execute(
            sa.update(p)
            .where(p.c.id == sa.bindparam("pid"))
            .values(interval_from=sa.bindparam("start"), interval_due=sa.bindparam("due")),
            values,
        )


def downgrade() -> None:
    with op.batch_alter_table("pregnancy") as batch:
        batch.drop_index("ix_pregnancy_interval_due")
        batch.drop_column("interval_due")
        batch.drop_column("interval_from")
