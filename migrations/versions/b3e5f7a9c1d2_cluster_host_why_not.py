"""cluster_host.why_not: why a host runs no cameras (it opted out, or the active model's
weights are not on it)

Revision ID: b3e5f7a9c1d2
Revises: f6c2d8e4a1b9
Create Date: 2026-12-07 14:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b3e5f7a9c1d2'
down_revision = 'f6c2d8e4a1b9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cluster_host') as batch:
        batch.add_column(sa.Column('why_not', sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table('cluster_host') as batch:
        batch.drop_column('why_not')
