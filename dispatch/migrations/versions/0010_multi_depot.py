"""multi-depot and scale: depot regions, planning-job regions and live progress

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("depot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=60), nullable=True))
        batch_op.create_index(batch_op.f("ix_depot_region"), ["region"], unique=False)
    with op.batch_alter_table("plan_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("regions", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("progress", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plan_job", schema=None) as batch_op:
        batch_op.drop_column("progress")
        batch_op.drop_column("regions")
    with op.batch_alter_table("depot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_depot_region"))
        batch_op.drop_column("region")
