"""crew updates the server refused (expired link, stop moved, plan re-published), kept for the coordinator

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

KINDS = ("arrived", "collected", "missed")


def upgrade() -> None:
    op.create_table(
        "held_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("via_round_id", sa.Integer(), nullable=True),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("stop_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum(*KINDS, name="stopeventkind", native_enum=False, length=20), nullable=False),
        sa.Column("collected_m3", sa.Float(), nullable=True),
        sa.Column("remaining_m3", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("refused_status", sa.Integer(), nullable=False),
        sa.Column("refused_reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False, server_default="held"),
        sa.Column("applied_stop_id", sa.Integer(), nullable=True),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.Column("applied_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_update")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_held_update_idempotency_key")),
    )
    op.create_index("ix_held_update_occurred_at", "held_update", ["occurred_at"])
    op.create_index("ix_held_update_status", "held_update", ["status"])


def downgrade() -> None:
    op.drop_index("ix_held_update_status", table_name="held_update")
    op.drop_index("ix_held_update_occurred_at", table_name="held_update")
    op.drop_table("held_update")
