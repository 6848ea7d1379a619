"""one plan per day: at most one queued or running planning job per day and one published plan per day,
enforced by unique partial indexes (several API workers and Celery share the database); replaced drafts
are kept with status "replaced" instead of being deleted; crew events name the event they correct and why,
and carry a flag when the crew confirmed an unusual volume

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_ACTIVE = "status IN ('queued', 'running')"
_PUBLISHED = "status = 'published'"


def upgrade() -> None:
    conn = op.get_bind()
    # Jobs that already broke the rule: all but the oldest active job of a day are failed, with the reason.
    rows = conn.execute(sa.text(f"SELECT id, date FROM plan_job WHERE {_ACTIVE} ORDER BY created_at, id")).all()
    seen: set = set()
    for job_id, day in rows:
        if day in seen:
            conn.execute(sa.text("UPDATE plan_job SET status = 'failed', phase = 'failed', error = :e WHERE id = :i"),
                         {"i": job_id, "e": "stopped at the upgrade: another job of the same day was already "
                                            "queued or running (one job per day); start it again"})
        seen.add(day)
    # Days published twice (the race this migration closes): the latest publication stays, the others are
    # kept, readable, as replaced plans.
    rows = conn.execute(sa.text(f"SELECT id, date FROM plan WHERE {_PUBLISHED} ORDER BY id DESC")).all()
    seen = set()
    for plan_id, day in rows:
        if day in seen:
            conn.execute(sa.text("UPDATE plan SET status = 'replaced' WHERE id = :i"), {"i": plan_id})
        seen.add(day)
    with op.batch_alter_table("stop_event", schema=None) as batch_op:  # crew rules: corrections, flags
        batch_op.add_column(sa.Column("corrects_event_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("correction_reason", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("flag", sa.String(length=30), nullable=True))
    op.create_index("uq_plan_job_active_day", "plan_job", ["date"], unique=True,
                    sqlite_where=sa.text(_ACTIVE), postgresql_where=sa.text(_ACTIVE))
    op.create_index("uq_plan_published_day", "plan", ["date"], unique=True,
                    sqlite_where=sa.text(_PUBLISHED), postgresql_where=sa.text(_PUBLISHED))


def downgrade() -> None:
    with op.batch_alter_table("stop_event", schema=None) as batch_op:
        batch_op.drop_column("flag")
        batch_op.drop_column("correction_reason")
        batch_op.drop_column("corrects_event_id")
    op.drop_index("uq_plan_published_day", table_name="plan")
    op.drop_index("uq_plan_job_active_day", table_name="plan_job")
    op.execute("UPDATE plan SET status = 'draft' WHERE status = 'replaced'")
