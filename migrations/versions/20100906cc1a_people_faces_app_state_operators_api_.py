"""people, faces, app state, operators, API keys

Revision ID: 20100906cc1a
Revises: 
Create Date: 2026-11-22 12:33:28.555644

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '20100906cc1a'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_hash')
    )
    op.create_table('app_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('active_model', sa.String(length=64), nullable=False),
    sa.Column('gallery_generation', sa.Integer(), nullable=False),
    sa.Column('identify_threshold', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('operator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_key', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_name_key'), ['name_key'], unique=True)

    op.create_table('face',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('embedding', sa.LargeBinary(), nullable=False),
    sa.Column('model', sa.String(length=64), nullable=False),
    sa.Column('crop_jpeg', sa.LargeBinary(), nullable=False),
    sa.Column('det_score', sa.Double(), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('face', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_face_model'), ['model'], unique=False)
        batch_op.create_index(batch_op.f('ix_face_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_face_source_sha256'), ['source_sha256'], unique=False)




def downgrade():

    with op.batch_alter_table('face', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_face_source_sha256'))
        batch_op.drop_index(batch_op.f('ix_face_person_id'))
        batch_op.drop_index(batch_op.f('ix_face_model'))

    op.drop_table('face')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_name_key'))

    op.drop_table('person')
    op.drop_table('operator')
    op.drop_table('app_state')
    op.drop_table('api_key')

