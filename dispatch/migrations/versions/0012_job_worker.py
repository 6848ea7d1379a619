"""plan jobs remember the process that runs them (host:pid), so that an API worker starting up fails only
the jobs of processes that died, not those another live worker is running

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("worker", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plan_job", schema=None) as batch_op:
        batch_op.drop_column("worker")
