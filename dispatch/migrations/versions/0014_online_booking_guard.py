"""online bookings: pickup requests remember the door they came through (channel "online" for the public
form), and the switchboard's releases of the daily cap of online bookings (dispatch/access/booking_guard.py)

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pickup_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=20), nullable=True))
    op.create_table(
        "online_booking_release",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False, index=True),
        sa.Column("extra", sa.Integer(), nullable=False),
        sa.Column("released_by", sa.String(length=80), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("online_booking_release")
    with op.batch_alter_table("pickup_request", schema=None) as batch_op:
        batch_op.drop_column("channel")
