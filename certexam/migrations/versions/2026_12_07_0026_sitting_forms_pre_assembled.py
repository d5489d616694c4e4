"""sitting_form: forms assembled ahead of the sitting

Issue 21: in the assembly mode "pre_assembled" a sitting's papers get their forms before the exam
(when registration closes, or `certexam sittings assemble`), each with its seed and expected score;
a start only hands one out. Existing sittings keep their modes: nothing to backfill.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import certexam.db

revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'sitting_form',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sitting_paper_id', sa.Integer(), nullable=False),
        sa.Column('direction', sa.String(length=8), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('seed', sa.Integer(), nullable=False),
        sa.Column('form', sa.Text(), nullable=False),
        sa.Column('bank_items', sa.Text(), nullable=False),
        sa.Column('expected_units', sa.Integer(), nullable=False),
        sa.Column('target_units', sa.Integer(), nullable=False),
        sa.Column('tolerance_units', sa.Integer(), nullable=False),
        sa.Column('within', sa.Boolean(), nullable=False),
        sa.Column('created_at', certexam.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['sitting_paper_id'], ['sitting_paper.id'],
                                name=op.f('fk_sitting_form_sitting_paper_id_sitting_paper')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sitting_form')),
        sa.UniqueConstraint('sitting_paper_id', 'direction', 'number', name='uq_sitting_form_number'),
    )


def downgrade() -> None:
    op.drop_table('sitting_form')
