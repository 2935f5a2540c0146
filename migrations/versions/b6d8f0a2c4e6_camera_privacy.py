"""camera privacy mode: whose faces its stream, snapshots and crops hide

"off" (every face shown, as before), "unknown" (the faces of people not enrolled, and of
faces not named yet) or "all". Existing cameras keep showing what they showed: "off".

Revision ID: b6d8f0a2c4e6
Revises: f3a5b7c9d1e2
Create Date: 2026-12-07 07:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b6d8f0a2c4e6'
down_revision = 'f3a5b7c9d1e2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('camera', schema=None) as batch_op:
        batch_op.add_column(sa.Column('privacy', sa.String(length=8), nullable=False, server_default='off'))


def downgrade():
    with op.batch_alter_table('camera', schema=None) as batch_op:
        batch_op.drop_column('privacy')
