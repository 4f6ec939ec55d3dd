"""Candidates: posts the scan suggests for flagging, to be confirmed or dismissed by an editor.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 16:04:01.398998
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('candidates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('post_id', sa.String(length=200), nullable=False),
    sa.Column('thread_key', sa.String(length=240), nullable=False),
    sa.Column('thread_url', sa.Text(), nullable=True),
    sa.Column('account', sa.String(length=200), nullable=True),
    sa.Column('excerpt', sa.Text(), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('cues', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('flag_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('open', 'confirmed', 'dismissed')", name='ck_candidates_state'),
    sa.ForeignKeyConstraint(['flag_id'], ['flags.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('thread_key')
    )
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_candidates_state'), ['state'], unique=False)

def downgrade() -> None:
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_candidates_state'))

    op.drop_table('candidates')
