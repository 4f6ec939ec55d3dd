"""Package index: the archivist's review queue over the archive bucket (filters and paging in the database).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "package_index",
        sa.Column("package_id", sa.String(length=300), primary_key=True),
        sa.Column("thread_key", sa.String(length=240), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("account", sa.String(length=200), nullable=False),
        sa.Column("owning_unit", sa.String(length=200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("case_number", sa.String(length=40), nullable=True),
        sa.Column("flag_kind", sa.String(length=20), nullable=True),
        sa.Column("comments", sa.Integer(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("exported_at", ts, nullable=False),
        sa.Column("previous_package_id", sa.String(length=300), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", ts, nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="ck_package_index_status"),
    )
    op.create_index("ix_package_index_thread_key", "package_index", ["thread_key"])
    op.create_index("ix_package_index_case_number", "package_index", ["case_number"])
    op.create_index("ix_package_index_queue", "package_index", ["status", "exported_at"])
    op.create_index("ix_package_index_platform", "package_index", ["platform", "exported_at"])
    op.create_index("ix_package_index_unit", "package_index", ["owning_unit", "exported_at"])


def downgrade() -> None:
    op.drop_table("package_index")
