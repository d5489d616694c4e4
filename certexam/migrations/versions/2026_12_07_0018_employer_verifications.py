"""Employers' bulk verification runs and their lines (issue 23)

An employer uploads a staff list; each run and what it showed for every line
is kept for the employer's organisation (the verification history), so a run's
signed report can be downloaded again later.

Revision ID: 0018
Revises: 0020
Create Date: 2026-12-07 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import certexam.db

revision: str = '0018'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'employer_verification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.String(length=16), nullable=False),
        sa.Column('source_name', sa.String(length=200), nullable=False),
        sa.Column('line_count', sa.Integer(), nullable=False),
        sa.Column('valid_count', sa.Integer(), nullable=False),
        sa.Column('checked_at', certexam.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_employer_verification_organisation_id_organisation')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_employer_verification_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_employer_verification')),
        sa.UniqueConstraint('report_id', name=op.f('uq_employer_verification_report_id')),
    )
    with op.batch_alter_table('employer_verification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employer_verification_organisation_id'), ['organisation_id'])
        batch_op.create_index(batch_op.f('ix_employer_verification_user_id'), ['user_id'])
    op.create_table(
        'employer_verification_line',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('line_no', sa.Integer(), nullable=False),
        sa.Column('name_given', sa.String(length=200), nullable=False),
        sa.Column('number_given', sa.String(length=60), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('problem', sa.String(length=16), nullable=True),
        sa.Column('certificate_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=True),
        sa.Column('holder_shown', sa.String(length=310), nullable=True),
        sa.Column('level', sa.Integer(), nullable=True),
        sa.Column('direction', sa.String(length=8), nullable=True),
        sa.Column('issued_on', sa.Date(), nullable=True),
        sa.Column('status_since', sa.Date(), nullable=True),
        sa.Column('replaced_by', sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(['run_id'], ['employer_verification.id'], ondelete='CASCADE',
                                name=op.f('fk_employer_verification_line_run_id_employer_verification')),
        sa.ForeignKeyConstraint(['certificate_id'], ['certificate.id'],
                                name=op.f('fk_employer_verification_line_certificate_id_certificate')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_employer_verification_line')),
    )
    with op.batch_alter_table('employer_verification_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employer_verification_line_run_id'), ['run_id'])
        batch_op.create_index(batch_op.f('ix_employer_verification_line_certificate_id'), ['certificate_id'])


def downgrade() -> None:
    with op.batch_alter_table('employer_verification_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employer_verification_line_certificate_id'))
        batch_op.drop_index(batch_op.f('ix_employer_verification_line_run_id'))
    op.drop_table('employer_verification_line')
    with op.batch_alter_table('employer_verification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employer_verification_user_id'))
        batch_op.drop_index(batch_op.f('ix_employer_verification_organisation_id'))
    op.drop_table('employer_verification')
