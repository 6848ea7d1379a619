"""relay-point and fleet availability, pickup lifecycle

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_STATUS = ("requested", "accepted", "refused", "scheduled", "collected", "missed")


def _calendar(table: str, owner: str) -> None:
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(f"{owner}_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("end_date >= start_date", name=op.f(f"ck_{table}_dates_ordered")),
        sa.ForeignKeyConstraint([f"{owner}_id"], [f"{owner}.id"], name=op.f(f"fk_{table}_{owner}_id_{owner}"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    )
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_{owner}_id"), [f"{owner}_id"], unique=False)


def upgrade() -> None:
    with op.batch_alter_table("relay_point", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("pause_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("no_visit_weekdays", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("max_visits_per_week", sa.Integer(), nullable=True))
    with op.batch_alter_table("pickup_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reschedule_count", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vans_out", sa.JSON(), nullable=True))

    _calendar("relay_point_closure", "relay_point")
    _calendar("van_unavailability", "van")
    _calendar("crew_unavailability", "crew")

    op.create_table(
        "pickup_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pickup_request_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.Enum(*_STATUS, name="pickupstatus", native_enum=False, length=20), nullable=False),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("slot", sa.Enum("morning", "afternoon", name="slot", native_enum=False, length=20), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["pickup_request_id"], ["pickup_request.id"],
                                name=op.f("fk_pickup_event_pickup_request_id_pickup_request"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pickup_event")),
    )
    with op.batch_alter_table("pickup_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pickup_event_pickup_request_id"), ["pickup_request_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pickup_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pickup_event_pickup_request_id"))
    op.drop_table("pickup_event")
    for table, owner in (("crew_unavailability", "crew"), ("van_unavailability", "van"),
                         ("relay_point_closure", "relay_point")):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_{owner}_id"))
        op.drop_table(table)
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_column("vans_out")
    with op.batch_alter_table("pickup_request", schema=None) as batch_op:
        batch_op.drop_column("reschedule_count")
    with op.batch_alter_table("relay_point", schema=None) as batch_op:
        batch_op.drop_column("max_visits_per_week")
        batch_op.drop_column("no_visit_weekdays")
        batch_op.drop_column("pause_reason")
        batch_op.drop_column("paused")
