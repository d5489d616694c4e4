"""bonus_objection_online: objections made online during a public notice

Anyone signed in may object to an application on the bonus notice, with a reason and an
evidence file (issue 23). The objection itself is a bonus_objection row as before (so the
notice's close step and the ruling work unchanged); this table adds its author's account and the
evidence. New table only: existing objections were recorded by staff and have no row here.

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-07 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import certexam.db

revision: str = '0021'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('bonus_objection_online',
    sa.Column('objection_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('objector_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', certexam.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('evidence_name', sa.String(length=200), nullable=False),
    sa.Column('evidence_path', sa.String(length=200), nullable=False),
    sa.Column('evidence_type', sa.String(length=40), nullable=False),
    sa.Column('evidence_size', sa.Integer(), nullable=False),
    sa.Column('evidence_sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['objection_id'], ['bonus_objection.id'],
                            name=op.f('fk_bonus_objection_online_objection_id_bonus_objection')),
    sa.ForeignKeyConstraint(['objector_id'], ['user_account.id'],
                            name=op.f('fk_bonus_objection_online_objector_id_user_account')),
    sa.PrimaryKeyConstraint('objection_id', name=op.f('pk_bonus_objection_online'))
    )
    with op.batch_alter_table('bonus_objection_online', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bonus_objection_online_objector_id'), ['objector_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('bonus_objection_online', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bonus_objection_online_objector_id'))
    op.drop_table('bonus_objection_online')
