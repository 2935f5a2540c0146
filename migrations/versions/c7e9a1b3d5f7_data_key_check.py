"""data key check: which FACES_DATA_KEY sealed this database's face images

A short constant sealed with the key that sealed the images (app/models/sealed.py); NULL
while no key was ever set. At start a missing or wrong key is refused by it, with a clear
error, instead of images that cannot be opened later.

Revision ID: c7e9a1b3d5f7
Revises: b6d8f0a2c4e6
Create Date: 2026-12-07 11:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c7e9a1b3d5f7'
down_revision = 'b6d8f0a2c4e6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('app_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_key_check', sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table('app_state', schema=None) as batch_op:
        batch_op.drop_column('data_key_check')
