"""unknown group placed_at, event group_id index

When an operator placed faces in a group (merged groups, moved a face in or out): the
background merge never moves the faces of such a group (it may only bring other groups'
faces into it) and never merges two of them. Arrivals are indexed by group: each merge
moves those of the groups it deletes, and the foreign key check of a deleted group read
every arrival without it (seconds a merge, holding the write lock).

Revision ID: f3a9c1d7e2b4
Revises: c7e9a1b3d5f7
Create Date: 2026-12-07 07:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f3a9c1d7e2b4'
down_revision = 'c7e9a1b3d5f7'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('unknown_group', sa.Column('placed_at', sa.DateTime(), nullable=True))
    op.create_index('ix_event_group_id', 'event', ['group_id'], unique=False)


def downgrade():
    op.drop_index('ix_event_group_id', table_name='event')
    # Plain DROP COLUMN, not batch mode (which rebuilds the table; see e5b7d2a9c310).
    op.execute('ALTER TABLE unknown_group DROP COLUMN placed_at')
