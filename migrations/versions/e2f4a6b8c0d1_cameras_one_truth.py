"""the camera table is the one list of cameras: the first camera is made here (from
CAMERA_SOURCE) instead of by the first request that listed cameras, and the live page's
separate source (app_state.camera_source) goes (the first camera's row holds it)

Revision ID: e2f4a6b8c0d1
Revises: c4e8f1a2b3d5
Create Date: 2026-12-07 06:30:00

"""
from datetime import datetime

from alembic import op
import sqlalchemy as sa
from flask import current_app, has_app_context

from app.config import Config


revision = 'e2f4a6b8c0d1'
down_revision = 'c4e8f1a2b3d5'
branch_labels = None
depends_on = None


def _configured_source() -> str:
    """CAMERA_SOURCE of the app being migrated (`flask db upgrade` runs in its context),
    else as app/config.py reads it (FACES_CAMERA_SOURCE)."""
    if has_app_context():
        return current_app.config.get("CAMERA_SOURCE") or "auto"
    return Config.CAMERA_SOURCE


def upgrade():
    conn = op.get_bind()
    if not conn.execute(sa.text("SELECT COUNT(*) FROM camera")).scalar():
        chosen = conn.execute(sa.text("SELECT camera_source FROM app_state WHERE id = 1")).scalar()
        conn.execute(sa.text(
            "INSERT INTO camera (name, source, enabled, detect_side, min_face, recognition_fps, created_at) "
            "VALUES ('Camera 1', :source, :on, 320, 40, 10.0, :now)"),
            {"source": chosen or _configured_source(), "on": True, "now": datetime.utcnow()})
    with op.batch_alter_table('app_state', schema=None) as batch_op:
        batch_op.drop_column('camera_source')


def downgrade():
    with op.batch_alter_table('app_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('camera_source', sa.String(length=500), nullable=True))
