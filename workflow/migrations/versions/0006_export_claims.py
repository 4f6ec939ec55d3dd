"""Export claims: one run at a time builds and uploads a given package (several workers, one bucket).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "export_claims",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("bucket", sa.String(length=1000), nullable=False),
        sa.Column("package_id", sa.String(length=300), nullable=False),
        sa.Column("thread_key", sa.String(length=240), nullable=False),
        sa.Column("holder", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("claimed_at", ts, nullable=False),
        sa.Column("expires_at", ts, nullable=False),
        sa.Column("finished_at", ts, nullable=True),
        sa.Column("taken_over_from", sa.String(length=300), nullable=True),
        sa.UniqueConstraint("bucket", "package_id", name="uq_export_claims_package"),
        sa.CheckConstraint("state IN ('held', 'done')", name="ck_export_claims_state"),
    )
    op.create_index("ix_export_claims_holder", "export_claims", ["holder", "state"])


def downgrade() -> None:
    op.drop_index("ix_export_claims_holder", table_name="export_claims")
    op.drop_table("export_claims")
