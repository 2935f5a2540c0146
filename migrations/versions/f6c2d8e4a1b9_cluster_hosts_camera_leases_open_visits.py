"""cluster: hosts, camera leases, visits in progress (with their arrival's event row, which
the departure closes: presence), a camera's pinned host

Revision ID: f6c2d8e4a1b9
Revises: a9d2c4e6f801
Create Date: 2026-12-07 07:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f6c2d8e4a1b9'
down_revision = 'a9d2c4e6f801'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cluster_host',
                    sa.Column('host_id', sa.String(length=120), nullable=False),
                    sa.Column('runs_cameras', sa.Boolean(), nullable=False),
                    sa.Column('url', sa.String(length=500), nullable=True),
                    sa.Column('started_at', sa.DateTime(), nullable=False),
                    sa.Column('heartbeat_at', sa.DateTime(), nullable=False),
                    sa.PrimaryKeyConstraint('host_id'))
    op.create_table('camera_lease',
                    sa.Column('camera_id', sa.Integer(), nullable=False),
                    sa.Column('host_id', sa.String(length=120), nullable=False),
                    sa.Column('since', sa.DateTime(), nullable=False),
                    sa.Column('expires_at', sa.DateTime(), nullable=False),
                    sa.Column('stats', sa.Text(), nullable=True),
                    sa.ForeignKeyConstraint(['camera_id'], ['camera.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('camera_id'))
    op.create_table('open_visit',
                    sa.Column('camera_id', sa.Integer(), nullable=False),
                    sa.Column('subject', sa.String(length=40), nullable=False),
                    sa.Column('person_id', sa.Integer(), nullable=True),
                    sa.Column('name', sa.String(length=120), nullable=True),
                    sa.Column('distance', sa.Float(), nullable=True),
                    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
                    sa.Column('event_id', sa.Integer(), nullable=True),
                    sa.ForeignKeyConstraint(['camera_id'], ['camera.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='SET NULL'),
                    sa.PrimaryKeyConstraint('camera_id', 'subject'))
    op.add_column('camera', sa.Column('pinned_host', sa.String(length=120), nullable=True))


def downgrade():
    op.drop_column('camera', 'pinned_host')
    op.drop_table('open_visit')
    op.drop_table('camera_lease')
    op.drop_table('cluster_host')
