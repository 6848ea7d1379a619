"""planning jobs

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_job",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("status", sa.Enum("queued", "running", "succeeded", "failed", "cancelled", name="jobstatus",
                                    native_enum=False, length=20), nullable=False),
        sa.Column("phase", sa.String(length=30), nullable=False),
        sa.Column("time_limit_s", sa.Float(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("best_cost", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_plan_job_plan_id_plan"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_job")),
    )
    with op.batch_alter_table("plan_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_job_date"), ["date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("plan_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_job_date"))
    op.drop_table("plan_job")
