"""face.grey_embedding: each enrolled face embedded again from its crop made grey, the
gallery a greyscale/IR camera's face is matched against (issue 19)

Revision ID: b7e3f1a9c2d4
Revises: b3e5f7a9c1d2
Create Date: 2026-12-07 14:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7e3f1a9c2d4'
down_revision = 'b3e5f7a9c1d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('face') as batch:
        batch.add_column(sa.Column('grey_embedding', sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table('face') as batch:
        batch.drop_column('grey_embedding')
