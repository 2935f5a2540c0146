"""person uid, operator session token, sighting api key

Undo refers to a person by an identity that is never reused, sign-out ends every copy of
a session, and remembered strangers are counted per API key.

Revision ID: e5b7d2a9c310
Revises: c4e8f1a2b3d5
Create Date: 2026-12-07 06:00:00

"""
import secrets
import uuid

from alembic import op
import sqlalchemy as sa


revision = 'e5b7d2a9c310'
down_revision = 'c4e8f1a2b3d5'
branch_labels = None
depends_on = None


def _fill(table: str, column: str, make) -> None:
    """Give every existing row its own value (generated here, so that SQLite and PostgreSQL
    need no random function of their own)."""
    rows = sa.table(table, sa.column('id', sa.Integer), sa.column(column, sa.String))
    conn = op.get_bind()
    ids = [r[0] for r in conn.execute(sa.select(rows.c.id))]
    if ids:
        conn.execute(rows.update().where(rows.c.id == sa.bindparam('rid')).values({column: sa.bindparam('v')}),
                     [{'rid': i, 'v': make()} for i in ids])


def upgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uid', sa.String(length=32), nullable=True))
    _fill('person', 'uid', lambda: uuid.uuid4().hex)
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_uid'), ['uid'], unique=True)
    with op.batch_alter_table('operator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=32), nullable=True))
    _fill('operator', 'session_token', lambda: secrets.token_hex(16))
    with op.batch_alter_table('sighting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('api_key_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_sighting_api_key_id'), ['api_key_id', 'seen_at'], unique=False)


def downgrade():
    with op.batch_alter_table('sighting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sighting_api_key_id'))
        batch_op.drop_column('api_key_id')
    with op.batch_alter_table('operator', schema=None) as batch_op:
        batch_op.drop_column('session_token')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_uid'))
        batch_op.drop_column('uid')
