"""people's data: cameras' "learn unknown faces" (off unless an operator turns it on) and
their own retention days; the gallery generation of the last erase of a person

A camera kept every stranger's face as a sighting; from this revision on it does only when
its learn_unknown setting is on. Existing cameras (the first one among them, made by an
earlier revision) start from FACES_CAMERAS_LEARN_UNKNOWN, off unless the operator set it:
nothing of a stranger is kept unless someone chose to (README, "People's data"). An index snapshot older than the
last erase may hold the erased person's mean vector: it is deleted, never loaded.

Revision ID: e1d4a7b9c2f3
Revises: e5b7d2a9c310
Create Date: 2026-12-07 06:00:00

"""

from alembic import op
import sqlalchemy as sa
from flask import current_app, has_app_context

from app.config import Config


revision = 'e1d4a7b9c2f3'
down_revision = 'e5b7d2a9c310'
branch_labels = None
depends_on = None


def _learn_unknown() -> bool:
    """CAMERAS_LEARN_UNKNOWN of the app being migrated (`flask db upgrade` runs in its context)."""
    if has_app_context():
        return bool(current_app.config.get("CAMERAS_LEARN_UNKNOWN"))
    return Config.CAMERAS_LEARN_UNKNOWN


def upgrade():
    with op.batch_alter_table('camera', schema=None) as batch_op:
        batch_op.add_column(sa.Column('learn_unknown', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('retain_sightings_days', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('retain_arrivals_days', sa.Float(), nullable=True))
    op.get_bind().execute(sa.text("UPDATE camera SET learn_unknown = :on"), {"on": _learn_unknown()})
    with op.batch_alter_table('app_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_generation', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('app_state', schema=None) as batch_op:
        batch_op.drop_column('erased_generation')
    with op.batch_alter_table('camera', schema=None) as batch_op:
        batch_op.drop_column('retain_arrivals_days')
        batch_op.drop_column('retain_sightings_days')
        batch_op.drop_column('learn_unknown')
