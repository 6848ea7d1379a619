"""pickup requests keep the rules' decision and overrides

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pickup_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("overridden_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("override_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pickup_request", schema=None) as batch_op:
        batch_op.drop_column("override_reason")
        batch_op.drop_column("overridden_by")
        batch_op.drop_column("decision")
