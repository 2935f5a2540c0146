"""face library: sightings, unknown groups, corrections, undo, face origins

Revision ID: c4e8f1a2b3d5
Revises: a7c3e91b2d40
Create Date: 2026-12-03 17:11:23.611644

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4e8f1a2b3d5'
down_revision = 'a7c3e91b2d40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('undo_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('what', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('undo_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_undo_entry_created_at'), ['created_at'], unique=False)

    op.create_table('correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=64), nullable=False),
    sa.Column('embedding', sa.LargeBinary(), nullable=False),
    sa.Column('crop_jpeg', sa.LargeBinary(), nullable=False),
    sa.Column('where', sa.String(length=16), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('sighting_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('correction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_correction_person_id'), ['person_id'], unique=False)

    op.create_table('unknown_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('model', sa.String(length=64), nullable=False),
    sa.Column('centroid', sa.LargeBinary(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('first_seen', sa.DateTime(), nullable=False),
    sa.Column('last_seen', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('unknown_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unknown_group_last_seen'), ['last_seen'], unique=False)
        batch_op.create_index(batch_op.f('ix_unknown_group_model'), ['model'], unique=False)
        batch_op.create_index(batch_op.f('ix_unknown_group_status'), ['status'], unique=False)

    op.create_table('sighting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.Column('camera_id', sa.Integer(), nullable=True),
    sa.Column('camera', sa.String(length=120), nullable=True),
    sa.Column('source_sha256', sa.String(length=64), nullable=True),
    sa.Column('model', sa.String(length=64), nullable=False),
    sa.Column('embedding', sa.LargeBinary(), nullable=False),
    sa.Column('crop_jpeg', sa.LargeBinary(), nullable=False),
    sa.Column('det_score', sa.Double(), nullable=False),
    sa.Column('quality', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['unknown_group.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sighting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sighting_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sighting_seen_at'), ['seen_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sighting_source_sha256'), ['source_sha256'], unique=False)

    with op.batch_alter_table('app_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('library_generation', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('embedding', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('model', sa.String(length=64), nullable=True))
        batch_op.create_foreign_key('fk_event_group_id_unknown_group', 'unknown_group', ['group_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('face', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=16), server_default='upload', nullable=False))
        batch_op.add_column(sa.Column('origin_camera', sa.String(length=120), nullable=True))



def downgrade():
    with op.batch_alter_table('face', schema=None) as batch_op:
        batch_op.drop_column('origin_camera')
        batch_op.drop_column('origin')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint('fk_event_group_id_unknown_group', type_='foreignkey')
        batch_op.drop_column('model')
        batch_op.drop_column('embedding')
        batch_op.drop_column('group_id')

    with op.batch_alter_table('app_state', schema=None) as batch_op:
        batch_op.drop_column('library_generation')

    with op.batch_alter_table('sighting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sighting_source_sha256'))
        batch_op.drop_index(batch_op.f('ix_sighting_seen_at'))
        batch_op.drop_index(batch_op.f('ix_sighting_group_id'))

    op.drop_table('sighting')
    with op.batch_alter_table('unknown_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unknown_group_status'))
        batch_op.drop_index(batch_op.f('ix_unknown_group_model'))
        batch_op.drop_index(batch_op.f('ix_unknown_group_last_seen'))

    op.drop_table('unknown_group')
    with op.batch_alter_table('correction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_correction_person_id'))

    op.drop_table('correction')
    with op.batch_alter_table('undo_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_undo_entry_created_at'))

    op.drop_table('undo_entry')
