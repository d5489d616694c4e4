"""Training subsidies: projects, applications, grants and yearly budgets; payment lines that pay them

Issue 23, rules s.4 (the measures' items 24-25). The subsidy tables follow the
holder bonus's (statuses, first-come grants, a budget row per year, here per
measure and year). A payment line (bonus_payout) now pays either a bonus grant
or a subsidy grant: grant_id and user_id become nullable, subsidy_grant_id is
added, and a CHECK keeps exactly one of grant_id and subsidy_grant_id. Existing
lines are all bonus lines, so they pass the CHECK as they are.

Revision ID: 0020
Revises: 0015
Create Date: 2026-12-07 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import certexam.db

revision: str = '0020'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE_APP = sa.text("status NOT IN ('rejected', 'withdrawn', 'cancelled')")
_LIVE_LINE = sa.text("status <> 'returned'")
_STATUSES = ('submitted', 'incomplete', 'under_review', 'in_notice', 'approved', 'paid', 'rejected', 'withdrawn',
             'cancelled')


def _measure() -> sa.Enum:
    return sa.Enum('training', 'knowledge', name='subsidy_measure', native_enum=False, length=16)


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, certexam.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'subsidy_project',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('measure', _measure(), nullable=False),
        sa.Column('code', sa.String(length=50), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('audit_firm', sa.String(length=200), nullable=False),
        sa.Column('audit_report_no', sa.String(length=100), nullable=False),
        sa.Column('audited_costs_fen', sa.BigInteger(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        _at('created_at'),
        sa.CheckConstraint('audited_costs_fen > 0', name=op.f('ck_subsidy_project_costs_positive')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f('fk_subsidy_project_created_by_id_user_account')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_subsidy_project_organisation_id_organisation')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_subsidy_project')),
        sa.UniqueConstraint('organisation_id', 'code', name='uq_subsidy_project_code'),
    )
    op.create_index(op.f('ix_subsidy_project_organisation_id'), 'subsidy_project', ['organisation_id'])
    op.create_table(
        'subsidy_application',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('measure', _measure(), nullable=False),
        sa.Column('audit_key', sa.String(length=100), nullable=False),
        sa.Column('status', sa.Enum(*_STATUSES, name='subsidy_application_status', native_enum=False, length=16),
                  nullable=False),
        _at('submitted_at'),
        sa.Column('submitted_by_id', sa.Integer(), nullable=False),
        sa.Column('share_fen', sa.BigInteger(), nullable=False),
        sa.Column('amount_fen', sa.BigInteger(), nullable=False),
        sa.Column('declared_no_same_kind_award', sa.Boolean(), nullable=False),
        sa.Column('declared_truthful', sa.Boolean(), nullable=False),
        sa.Column('bank_name', sa.String(length=100), nullable=False),
        sa.Column('bank_account', sa.String(length=40), nullable=False),
        sa.Column('bank_account_kind', sa.String(length=8), server_default='account', nullable=False),
        sa.Column('bank_cnaps', sa.String(length=12), nullable=True),
        sa.Column('check_note', sa.Text(), nullable=True),
        sa.Column('checked_by_id', sa.Integer(), nullable=True),
        _at('checked_at', True),
        sa.Column('review_note', sa.Text(), nullable=True),
        sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
        _at('reviewed_at', True),
        sa.Column('notice_starts_on', sa.Date(), nullable=True),
        sa.Column('notice_ends_on', sa.Date(), nullable=True),
        _at('closed_at', True),
        _at('updated_at'),
        sa.CheckConstraint('amount_fen > 0', name=op.f('ck_subsidy_application_amount_positive')),
        sa.CheckConstraint("measure <> 'training' OR amount_fen <= 100000000",
                           name=op.f('ck_subsidy_application_training_project_cap')),
        sa.ForeignKeyConstraint(['checked_by_id'], ['user_account.id'],
                                name=op.f('fk_subsidy_application_checked_by_id_user_account')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_subsidy_application_organisation_id_organisation')),
        sa.ForeignKeyConstraint(['project_id'], ['subsidy_project.id'],
                                name=op.f('fk_subsidy_application_project_id_subsidy_project')),
        sa.ForeignKeyConstraint(['reviewed_by_id'], ['user_account.id'],
                                name=op.f('fk_subsidy_application_reviewed_by_id_user_account')),
        sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'],
                                name=op.f('fk_subsidy_application_submitted_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_subsidy_application')),
    )
    op.create_index(op.f('ix_subsidy_application_organisation_id'), 'subsidy_application', ['organisation_id'])
    op.create_index(op.f('ix_subsidy_application_project_id'), 'subsidy_application', ['project_id'])
    op.create_index(op.f('ix_subsidy_application_status'), 'subsidy_application', ['status'])
    op.create_index('uq_subsidy_application_live_project', 'subsidy_application', ['project_id'], unique=True,
                    sqlite_where=_LIVE_APP, postgresql_where=_LIVE_APP)
    op.create_index('uq_subsidy_application_live_audit', 'subsidy_application', ['audit_key'], unique=True,
                    sqlite_where=_LIVE_APP, postgresql_where=_LIVE_APP)
    op.create_table(
        'subsidy_budget_year',
        sa.Column('measure', _measure(), nullable=False),
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('cap_fen', sa.BigInteger(), nullable=False),
        sa.Column('committed_fen', sa.BigInteger(), nullable=False),
        _at('updated_at'),
        sa.CheckConstraint('committed_fen >= 0', name=op.f('ck_subsidy_budget_year_committed_not_negative')),
        sa.CheckConstraint('committed_fen <= cap_fen', name=op.f('ck_subsidy_budget_year_within_cap')),
        sa.PrimaryKeyConstraint('measure', 'year', name=op.f('pk_subsidy_budget_year')),
    )
    op.create_table(
        'subsidy_grant',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('measure', _measure(), nullable=False),
        sa.Column('amount_fen', sa.BigInteger(), nullable=False),
        _at('approved_at'),
        sa.Column('status', sa.Enum('waiting', 'funded', 'paid', 'recovery', name='subsidy_grant_status',
                                    native_enum=False, length=16), nullable=False),
        sa.Column('budget_year', sa.Integer(), nullable=True),
        _at('funded_at', True),
        sa.CheckConstraint('amount_fen > 0', name=op.f('ck_subsidy_grant_amount_positive')),
        sa.ForeignKeyConstraint(['application_id'], ['subsidy_application.id'],
                                name=op.f('fk_subsidy_grant_application_id_subsidy_application')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_subsidy_grant_organisation_id_organisation')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_subsidy_grant')),
        sa.UniqueConstraint('application_id', name=op.f('uq_subsidy_grant_application_id')),
    )
    op.create_index(op.f('ix_subsidy_grant_budget_year'), 'subsidy_grant', ['budget_year'])
    op.create_index(op.f('ix_subsidy_grant_organisation_id'), 'subsidy_grant', ['organisation_id'])
    op.create_index(op.f('ix_subsidy_grant_status'), 'subsidy_grant', ['status'])
    with op.batch_alter_table('bonus_payout', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subsidy_grant_id', sa.Integer(), nullable=True))
        batch_op.alter_column('grant_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_bonus_payout_subsidy_grant_id_subsidy_grant'), 'subsidy_grant',
                                    ['subsidy_grant_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_bonus_payout_one_funding'),
                                         '(grant_id IS NULL) <> (subsidy_grant_id IS NULL)')
        batch_op.create_index(batch_op.f('ix_bonus_payout_subsidy_grant_id'), ['subsidy_grant_id'], unique=False)
    op.create_index('uq_bonus_payout_live_subsidy', 'bonus_payout', ['subsidy_grant_id'], unique=True,
                    sqlite_where=_LIVE_LINE, postgresql_where=_LIVE_LINE)


def downgrade() -> None:
    # Subsidy lines have no place in a table whose lines all pay a bonus: they go with the subsidies.
    op.drop_index('uq_bonus_payout_live_subsidy', table_name='bonus_payout')
    op.execute("DELETE FROM bonus_payout WHERE subsidy_grant_id IS NOT NULL")
    with op.batch_alter_table('bonus_payout', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bonus_payout_subsidy_grant_id'))
        batch_op.drop_constraint(batch_op.f('ck_bonus_payout_one_funding'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_bonus_payout_subsidy_grant_id_subsidy_grant'), type_='foreignkey')
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('grant_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('subsidy_grant_id')
    op.drop_table('subsidy_grant')
    op.drop_table('subsidy_budget_year')
    op.drop_index('uq_subsidy_application_live_audit', table_name='subsidy_application')
    op.drop_index('uq_subsidy_application_live_project', table_name='subsidy_application')
    op.drop_table('subsidy_application')
    op.drop_table('subsidy_project')
