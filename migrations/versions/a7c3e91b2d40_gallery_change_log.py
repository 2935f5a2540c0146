"""gallery change log and database identity: workers apply changes, not rebuilds

Revision ID: a7c3e91b2d40
Revises: 5c1e0a7d9f21
Create Date: 2026-11-23 11:30:00

"""
import uuid

from alembic import op
import sqlalchemy as sa


revision = 'a7c3e91b2d40'
down_revision = '8d3c2f6a1b47'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('gallery_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('face_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('gallery_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gallery_change_generation'), ['generation'], unique=False)
    meta = op.create_table('gallery_meta',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('database_id', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.bulk_insert(meta, [{'id': 1, 'database_id': uuid.uuid4().hex}])


def downgrade():
    op.drop_table('gallery_meta')
    with op.batch_alter_table('gallery_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gallery_change_generation'))
    op.drop_table('gallery_change')
