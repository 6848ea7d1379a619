"""edit jobs: re-optimisation and mid-day re-plan run as plan jobs (kind, plan version, parameters)

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), server_default="plan", nullable=False))
        batch_op.add_column(sa.Column("plan_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plan_job", schema=None) as batch_op:
        batch_op.drop_column("params")
        batch_op.drop_column("plan_version")
        batch_op.drop_column("kind")
