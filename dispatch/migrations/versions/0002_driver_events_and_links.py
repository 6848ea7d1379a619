"""driver stop events and relay-point links

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stop_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stop_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("arrived", "collected", "missed", name="stopeventkind", native_enum=False,
                                  length=20), nullable=False),
        sa.Column("collected_m3", sa.Float(), nullable=True),
        sa.Column("remaining_m3", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("collected_m3 IS NULL OR collected_m3 >= 0",
                           name=op.f("ck_stop_event_collected_non_negative")),
        sa.ForeignKeyConstraint(["stop_id"], ["stop.id"], name=op.f("fk_stop_event_stop_id_stop"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stop_event")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_stop_event_idempotency_key")),
    )
    with op.batch_alter_table("stop_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stop_event_stop_id"), ["stop_id"], unique=False)

    op.create_table(
        "relay_point_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("relay_point_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["relay_point_id"], ["relay_point.id"],
                                name=op.f("fk_relay_point_link_relay_point_id_relay_point"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relay_point_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_relay_point_link_token_hash")),
    )
    with op.batch_alter_table("relay_point_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_relay_point_link_relay_point_id"), ["relay_point_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("relay_point_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relay_point_link_relay_point_id"))
    op.drop_table("relay_point_link")
    with op.batch_alter_table("stop_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stop_event_stop_id"))
    op.drop_table("stop_event")
