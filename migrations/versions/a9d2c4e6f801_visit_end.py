"""arrivals keep their visit's end: last_seen_at (the last time the person was seen in the
visit) and left_at (when the departure was published); an index for per-person look-ups
(last seen, attendance of one person) and one that covers the attendance report (its rows are
read from the index alone: the table's rows carry a thumbnail and often overflow a page)

Revision ID: a9d2c4e6f801
Revises: f3a5b7c9d1e2
Create Date: 2026-12-07 07:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a9d2c4e6f801'
down_revision = 'f3a5b7c9d1e2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("left_at", sa.DateTime(), nullable=True))
        batch.create_index("ix_event_person_id_created_at", ["person_id", "created_at"])
        batch.create_index("ix_event_visits", ["created_at", "person_id", "camera", "name",
                                               "last_seen_at", "left_at"])
    # Older arrivals' visits are over and their length unknown: a visit of an instant, so
    # that nobody counts as present for an arrival recorded before this column existed.
    op.execute("UPDATE event SET last_seen_at = created_at, left_at = created_at")


def downgrade():
    with op.batch_alter_table("event") as batch:
        batch.drop_index("ix_event_visits")
        batch.drop_index("ix_event_person_id_created_at")
        batch.drop_column("left_at")
        batch.drop_column("last_seen_at")
