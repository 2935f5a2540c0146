"""arrivals keep their visit's end: last_seen_at (the last time the person was seen in the
visit) and left_at (when the departure was published); an index for per-person look-ups
(last seen, attendance of one person) and one that covers the attendance report (its rows are
read from the index alone: the table's rows carry a thumbnail and often overflow a page); a
partial index of the open visits (who is here now)

Revision ID: a9d2c4e6f801
Revises: f3a9c1d7e2b4
Create Date: 2026-12-07 07:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a9d2c4e6f801'
down_revision = 'f3a9c1d7e2b4'
branch_labels = None
depends_on = None

# Who is here now: the few open visits of known people, not every arrival.
OPEN_VISIT = sa.text("left_at IS NULL AND person_id IS NOT NULL")


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
    op.create_index("ix_event_open", "event", ["person_id"], sqlite_where=OPEN_VISIT, postgresql_where=OPEN_VISIT)


def downgrade():
    op.drop_index("ix_event_open", table_name="event")
    with op.batch_alter_table("event") as batch:
        batch.drop_index("ix_event_visits")
        batch.drop_index("ix_event_person_id_created_at")
        batch.drop_column("left_at")
        batch.drop_column("last_seen_at")
