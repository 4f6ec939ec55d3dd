"""Accounts registry in the database: key, platform id vs handle, aliases, credentials reference (never a
token), scopes, TikTok business id, Noark arkivdel/series, and the responsible editors (``account_editors``).

Accounts added before this revision get a key from platform and handle (``facebook-fjordvikkommune``).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_REF_CHECK = ("credentials_ref IS NULL OR credentials_ref LIKE 'env:%' OR credentials_ref LIKE 'secret:%' "
              "OR credentials_ref LIKE 'settings:%'")


def _key(platform: str, handle: str, taken: set[str], row_id: int) -> str:
    base = re.sub(r"[^a-z0-9._-]+", "-", f"{platform}-{handle.strip().lstrip('@')}".lower())
    base = re.sub(r"-{2,}", "-", base).strip("-._")[:70] or f"konto-{row_id}"
    key = base if base[0].isalnum() else f"k{base}"
    if key in taken:
        key = f"{key}-{row_id}"
    taken.add(key)
    return key


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("key", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("platform_id", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("aliases", sa.Text(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("credentials_ref", sa.String(length=140), nullable=True))
        batch.add_column(sa.Column("credential_kind", sa.String(length=10), nullable=False, server_default="bearer"))
        batch.add_column(sa.Column("scopes", sa.Text(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("business_id", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("noark_arkivdel", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("noark_series", sa.String(length=200), nullable=True))
    bind = op.get_bind()
    accounts = sa.table("accounts", sa.column("id", sa.Integer), sa.column("platform", sa.String),
                        sa.column("handle", sa.String), sa.column("key", sa.String))
    taken: set[str] = set()
    for row_id, platform, handle in bind.execute(
            sa.select(accounts.c.id, accounts.c.platform, accounts.c.handle).order_by(accounts.c.id)).all():
        bind.execute(sa.update(accounts).where(accounts.c.id == row_id)
                     .values(key=_key(platform, handle, taken, row_id)))
    with op.batch_alter_table("accounts") as batch:
        batch.alter_column("key", existing_type=sa.String(length=80), nullable=False)
        batch.create_unique_constraint("uq_accounts_key", ["key"])
        batch.create_check_constraint("ck_accounts_credential_kind", "credential_kind IN ('bearer', 'api_key')")
        batch.create_check_constraint("ck_accounts_credentials_ref", _REF_CHECK)
    op.create_table(
        "account_editors",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "username"),
    )


def downgrade() -> None:
    op.drop_table("account_editors")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_constraint("ck_accounts_credentials_ref", type_="check")
        batch.drop_constraint("ck_accounts_credential_kind", type_="check")
        batch.drop_constraint("uq_accounts_key", type_="unique")
        for column in ("noark_series", "noark_arkivdel", "business_id", "scopes", "credential_kind",
                       "credentials_ref", "aliases", "platform_id", "key"):
            batch.drop_column(column)
