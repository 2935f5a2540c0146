"""person uid, operator session token, sighting api key

Undo refers to a person by an identity that is never reused, sign-out ends every copy of
a session, and remembered strangers are counted per API key.

Revision ID: e5b7d2a9c310
Revises: e2f4a6b8c0d1
Create Date: 2026-12-07 06:00:00

"""
import secrets
import uuid

from alembic import op
import sqlalchemy as sa


revision = 'e5b7d2a9c310'
down_revision = 'e2f4a6b8c0d1'
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
    op.add_column('person', sa.Column('uid', sa.String(length=32), nullable=True))
    _fill('person', 'uid', lambda: uuid.uuid4().hex)
    op.create_index('ix_person_uid', 'person', ['uid'], unique=True)
    op.add_column('operator', sa.Column('session_token', sa.String(length=32), nullable=True))
    _fill('operator', 'session_token', lambda: secrets.token_hex(16))
    op.add_column('sighting', sa.Column('api_key_id', sa.Integer(), nullable=True))
    op.create_index('ix_sighting_api_key_id', 'sighting', ['api_key_id', 'seen_at'], unique=False)


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL), not batch mode: batch mode rebuilds the
    # table, and on SQLite (foreign keys on) dropping the old person table deletes every face.
    op.drop_index('ix_sighting_api_key_id', table_name='sighting')
    op.execute('ALTER TABLE sighting DROP COLUMN api_key_id')
    op.execute('ALTER TABLE operator DROP COLUMN session_token')
    op.drop_index('ix_person_uid', table_name='person')
    op.execute('ALTER TABLE person DROP COLUMN uid')
