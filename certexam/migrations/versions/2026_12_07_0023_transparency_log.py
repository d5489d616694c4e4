"""tlog_leaf, tlog_node, tlog_head, tlog_checkpoint: the issuance transparency log

Issue 20.5: every issuance, status change, key event and audit-log anchor is a leaf of an append-only
RFC 9162 Merkle tree; the hashes of its perfect subtrees are kept so proofs never read every leaf;
signed checkpoints (C2SP tlog-checkpoint) are kept for every size published. New tables only, so
nothing is copied on SQLite. Certificates issued before this revision have no leaf:
`certexam log backfill` records them (services/tlog/log.py says how a verifier sees them).

Revision ID: 0023
Revises: 0018
Create Date: 2026-12-07 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import certexam.db

revision: str = '0023'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'tlog_leaf',
        sa.Column('index', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('number', sa.String(length=40), nullable=True),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('logged_at', certexam.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('index', name=op.f('pk_tlog_leaf')),
    )
    op.create_index(op.f('ix_tlog_leaf_kind'), 'tlog_leaf', ['kind'], unique=False)
    op.create_index(op.f('ix_tlog_leaf_number'), 'tlog_leaf', ['number'], unique=False)
    op.create_table(
        'tlog_node',
        sa.Column('level', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('index', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('level', 'index', name=op.f('pk_tlog_node')),
    )
    op.create_table(
        'tlog_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tlog_head')),
    )
    op.create_table(
        'tlog_checkpoint',
        sa.Column('size', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('root', sa.String(length=64), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('signed_at', certexam.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('size', name=op.f('pk_tlog_checkpoint')),
    )


def downgrade() -> None:
    op.drop_table('tlog_checkpoint')
    op.drop_table('tlog_head')
    op.drop_table('tlog_node')
    op.drop_index(op.f('ix_tlog_leaf_number'), table_name='tlog_leaf')
    op.drop_index(op.f('ix_tlog_leaf_kind'), table_name='tlog_leaf')
    op.drop_table('tlog_leaf')
