"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-28 10:27:54.860562
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('depot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_depot'))
    )
    op.create_table('pickup_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=40), nullable=False),
    sa.Column('donor_name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('postcode', sa.String(length=10), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('volume_m3', sa.Float(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('slot', sa.Enum('morning', 'afternoon', name='slot', native_enum=False, length=20), nullable=False),
    sa.Column('floor', sa.Integer(), nullable=True),
    sa.Column('has_lift', sa.Boolean(), nullable=True),
    sa.Column('access_code', sa.String(length=40), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('requested', 'accepted', 'refused', 'scheduled', 'collected', 'missed', name='pickupstatus', native_enum=False, length=20), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('volume_m3 > 0', name=op.f('ck_pickup_request_volume_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pickup_request')),
    sa.UniqueConstraint('ref', name=op.f('uq_pickup_request_ref'))
    )
    with op.batch_alter_table('pickup_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pickup_request_date'), ['date'], unique=False)

    op.create_table('plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', name='planstatus', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('solve_seconds', sa.Float(), nullable=False),
    sa.Column('matrix_seconds', sa.Float(), nullable=False),
    sa.Column('time_limit_s', sa.Float(), nullable=False),
    sa.Column('cost', sa.Integer(), nullable=False),
    sa.Column('distance_m', sa.Integer(), nullable=False),
    sa.Column('load_m3', sa.Float(), nullable=False),
    sa.Column('solver_status', sa.String(length=20), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_date'), ['date'], unique=False)

    op.create_table('relay_point',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('town_hall', 'library', 'shop', 'company', 'association', 'home', name='relaypointkind', native_enum=False, length=20), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('postcode', sa.String(length=10), nullable=False),
    sa.Column('arrondissement', sa.Integer(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('capacity_m3', sa.Float(), nullable=False),
    sa.Column('stock_m3', sa.Float(), nullable=False),
    sa.Column('full', sa.Boolean(), nullable=False),
    sa.Column('daily_rate_m3', sa.Float(), nullable=False),
    sa.Column('opening_hours', sa.JSON(), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('access_notes', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('stock_updated_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('capacity_m3 > 0', name=op.f('ck_relay_point_capacity_positive')),
    sa.CheckConstraint('stock_m3 >= 0', name=op.f('ck_relay_point_stock_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_relay_point')),
    sa.UniqueConstraint('code', name=op.f('uq_relay_point_code'))
    )
    op.create_table('stock_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('relay_point_id', sa.Integer(), nullable=False),
    sa.Column('reported_at', sa.DateTime(), nullable=False),
    sa.Column('source', sa.Enum('relay_point', 'driver', 'staff', name='reportsource', native_enum=False, length=20), nullable=False),
    sa.Column('level_pct', sa.Float(), nullable=True),
    sa.Column('stock_m3', sa.Float(), nullable=False),
    sa.Column('full', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['relay_point_id'], ['relay_point.id'], name=op.f('fk_stock_report_relay_point_id_relay_point'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_report'))
    )
    with op.batch_alter_table('stock_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_report_relay_point_id'), ['relay_point_id'], unique=False)

    op.create_table('unassigned_visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('relay_point', 'pickup', 'break', name='stopkind', native_enum=False, length=20), nullable=False),
    sa.Column('relay_point_id', sa.Integer(), nullable=True),
    sa.Column('pickup_request_id', sa.Integer(), nullable=True),
    sa.Column('mandatory', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['pickup_request_id'], ['pickup_request.id'], name=op.f('fk_unassigned_visit_pickup_request_id_pickup_request')),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_unassigned_visit_plan_id_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['relay_point_id'], ['relay_point.id'], name=op.f('fk_unassigned_visit_relay_point_id_relay_point')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unassigned_visit'))
    )
    with op.batch_alter_table('unassigned_visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unassigned_visit_plan_id'), ['plan_id'], unique=False)

    op.create_table('van',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('plate', sa.String(length=20), nullable=True),
    sa.Column('capacity_m3', sa.Float(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['depot_id'], ['depot.id'], name=op.f('fk_van_depot_id_depot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_van')),
    sa.UniqueConstraint('name', name=op.f('uq_van_name'))
    )
    op.create_table('crew',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('members', sa.JSON(), nullable=False),
    sa.Column('van_id', sa.Integer(), nullable=True),
    sa.Column('shift_start_min', sa.Integer(), nullable=False),
    sa.Column('shift_end_min', sa.Integer(), nullable=False),
    sa.Column('break_minutes', sa.Integer(), nullable=False),
    sa.Column('break_earliest_min', sa.Integer(), nullable=False),
    sa.Column('break_latest_min', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['van_id'], ['van.id'], name=op.f('fk_crew_van_id_van')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crew')),
    sa.UniqueConstraint('name', name=op.f('uq_crew_name'))
    )
    op.create_table('round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('van_id', sa.Integer(), nullable=False),
    sa.Column('crew_id', sa.Integer(), nullable=True),
    sa.Column('start_at', sa.DateTime(), nullable=False),
    sa.Column('end_at', sa.DateTime(), nullable=False),
    sa.Column('distance_m', sa.Integer(), nullable=False),
    sa.Column('duration_s', sa.Integer(), nullable=False),
    sa.Column('load_m3', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['crew_id'], ['crew.id'], name=op.f('fk_round_crew_id_crew')),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_round_plan_id_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['van_id'], ['van.id'], name=op.f('fk_round_van_id_van')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_plan_id'), ['plan_id'], unique=False)

    op.create_table('stop',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('relay_point', 'pickup', 'break', name='stopkind', native_enum=False, length=20), nullable=False),
    sa.Column('relay_point_id', sa.Integer(), nullable=True),
    sa.Column('pickup_request_id', sa.Integer(), nullable=True),
    sa.Column('planned_arrival', sa.DateTime(), nullable=False),
    sa.Column('service_s', sa.Integer(), nullable=False),
    sa.Column('waiting_s', sa.Integer(), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=True),
    sa.Column('window_end', sa.DateTime(), nullable=True),
    sa.Column('expected_m3', sa.Float(), nullable=False),
    sa.Column('load_after_m3', sa.Float(), nullable=False),
    sa.Column('distance_from_start_m', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['pickup_request_id'], ['pickup_request.id'], name=op.f('fk_stop_pickup_request_id_pickup_request')),
    sa.ForeignKeyConstraint(['relay_point_id'], ['relay_point.id'], name=op.f('fk_stop_relay_point_id_relay_point')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_stop_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stop')),
    sa.UniqueConstraint('round_id', 'position', name='round_position'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('stop', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stop_round_id'), ['round_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('stop', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stop_round_id'))

    op.drop_table('stop')
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_plan_id'))

    op.drop_table('round')
    op.drop_table('crew')
    op.drop_table('van')
    with op.batch_alter_table('unassigned_visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unassigned_visit_plan_id'))

    op.drop_table('unassigned_visit')
    with op.batch_alter_table('stock_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_report_relay_point_id'))

    op.drop_table('stock_report')
    op.drop_table('relay_point')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_date'))

    op.drop_table('plan')
    with op.batch_alter_table('pickup_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pickup_request_date'))

    op.drop_table('pickup_request')
    op.drop_table('depot')
