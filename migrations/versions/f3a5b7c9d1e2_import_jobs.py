"""import jobs: bulk enrolment from the Enrol page runs in the background; its row is the
progress every worker reads

Revision ID: f3a5b7c9d1e2
Revises: e1d4a7b9c2f3
Create Date: 2026-12-07 06:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f3a5b7c9d1e2'
down_revision = 'e1d4a7b9c2f3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_job",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("report", sa.LargeBinary(), nullable=False),
        sa.Column("error", sa.String(500), nullable=False),
    )


def downgrade():
    op.drop_table("import_job")
