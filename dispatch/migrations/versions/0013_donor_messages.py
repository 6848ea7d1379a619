"""pickups can be cancelled (status ``cancelled``); donors' e-mail, language and opt-out; the donor-message
outbox (dispatch/messages/)

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_OLD = ("requested", "accepted", "refused", "scheduled", "collected", "missed")
_NEW = (*_OLD, "cancelled")


def _status(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name="pickupstatus", native_enum=False, length=20)


def upgrade() -> None:
    with op.batch_alter_table("pickup_request", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=_status(_OLD), type_=_status(_NEW), existing_nullable=False)
        batch_op.add_column(sa.Column("email", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("lang", sa.String(length=2), server_default="fr", nullable=False))
        batch_op.add_column(sa.Column("messages_opt_out", sa.Boolean(), server_default="0", nullable=False))
    with op.batch_alter_table("pickup_event", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=_status(_OLD), type_=_status(_NEW), existing_nullable=False)
    op.create_table(
        "donor_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pickup_request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("status", sa.Enum("pending", "sent", "failed", "skipped", name="donormessagestatus",
                                    native_enum=False, length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["pickup_request_id"], ["pickup_request.id"],
                                name=op.f("fk_donor_message_pickup_request_id_pickup_request"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donor_message")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_donor_message_dedupe_key")),
    )
    with op.batch_alter_table("donor_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_donor_message_pickup_request_id"), ["pickup_request_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_donor_message_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_donor_message_next_attempt_at"), ["next_attempt_at"], unique=False)


def downgrade() -> None:
    op.drop_table("donor_message")
    # A cancelled request becomes "refused" in the older schema (its history keeps the cancellation's detail).
    for table in ("pickup_request", "pickup_event"):
        op.execute(sa.text(f"UPDATE {table} SET status = 'refused' WHERE status = 'cancelled'"))
    with op.batch_alter_table("pickup_event", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=_status(_NEW), type_=_status(_OLD), existing_nullable=False)
    with op.batch_alter_table("pickup_request", schema=None) as batch_op:
        batch_op.drop_column("messages_opt_out")
        batch_op.drop_column("lang")
        batch_op.drop_column("email")
        batch_op.alter_column("status", existing_type=_status(_NEW), type_=_status(_OLD), existing_nullable=False)
