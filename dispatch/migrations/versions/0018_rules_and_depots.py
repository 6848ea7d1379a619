"""rules reach the plan: depots' opening hours, crews' features (skills), requirements set by hand on a
pickup or a relay point, and whether a plan was asked to balance the crews' working time, and the
parameters of an unassigned visit's reason (rendered in the reader's language), and what a
planned stop needs of the crew and why

Revision ID: 0018
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("depot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opening_hours", sa.JSON(), nullable=True))
    with op.batch_alter_table("crew", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skills", sa.JSON(), nullable=True))
    with op.batch_alter_table("pickup_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requirements", sa.JSON(), nullable=True))
    with op.batch_alter_table("relay_point", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requirements", sa.JSON(), nullable=True))
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("balanced", sa.Boolean(), nullable=True))
    with op.batch_alter_table("unassigned_visit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
    with op.batch_alter_table("stop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requirements", sa.JSON(), nullable=True))


def downgrade() -> None:
    for table, column in (("stop", "requirements"), ("unassigned_visit", "params"), ("plan", "balanced"), ("relay_point", "requirements"), ("pickup_request", "requirements"),
                          ("crew", "skills"), ("depot", "opening_hours")):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
