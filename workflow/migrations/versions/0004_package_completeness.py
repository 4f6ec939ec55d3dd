"""Package index: the capture's completeness (reported vs captured comments), for the overview chart.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("package_index") as batch:
        batch.add_column(sa.Column("reported_comments", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("captured_comments", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("package_index") as batch:
        batch.drop_column("captured_comments")
        batch.drop_column("reported_comments")
