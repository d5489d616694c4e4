"""Payment lines with their own status, and the account details the bank files need

Issue 23. bonus_payout gets a status (sent, paid, returned), the day the bank
settled it and a return reason; the one-line-per-grant and per-person UNIQUE
constraints become partial unique indexes over the lines that are not returned,
so a returned payment can be sent again in a later batch and still be paid only
once (rules s.3, item 26). Applications and lines get the kind of number (card:
Luhn-checked; account) and the CNAPS code of the receiving branch (联行号).
Existing applications are classed as cards when the number looks like a UnionPay
card (62..., 16-19 digits), as accounts otherwise; existing lines are sent, or
paid on their batch's day when the batch was marked paid.

Revision ID: 0015
Revises: 0016
Create Date: 2026-12-07 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import certexam.db

revision: str = '0015'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE = sa.text("status <> 'returned'")
_CARD_LIKE = ("CASE WHEN bank_account LIKE '62%' AND length(bank_account) BETWEEN 16 AND 19 "
              "THEN 'card' ELSE 'account' END")


def upgrade() -> None:
    with op.batch_alter_table('bonus_application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bank_account_kind', sa.String(length=8), server_default='card',
                                      nullable=False))
        batch_op.add_column(sa.Column('bank_cnaps', sa.String(length=12), nullable=True))
    op.execute(f"UPDATE bonus_application SET bank_account_kind = {_CARD_LIKE}")
    with op.batch_alter_table('bonus_payout', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bank_account_kind', sa.String(length=8), server_default='card',
                                      nullable=False))
        batch_op.add_column(sa.Column('bank_cnaps', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('status', sa.Enum('sent', 'paid', 'returned', name='bonus_payout_status',
                                                        native_enum=False, length=16),
                                      server_default='sent', nullable=False))
        batch_op.add_column(sa.Column('settled_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('return_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', certexam.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cleared_at', certexam.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_constraint('uq_bonus_payout_grant_id', type_='unique')
        batch_op.drop_constraint('uq_bonus_payout_user_id', type_='unique')
        batch_op.create_index(batch_op.f('ix_bonus_payout_grant_id'), ['grant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bonus_payout_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bonus_payout_status'), ['status'], unique=False)
    op.execute(f"UPDATE bonus_payout SET bank_account_kind = {_CARD_LIKE}")
    op.execute("UPDATE bonus_payout SET status = 'paid', settled_on = (SELECT b.paid_on FROM bonus_payout_batch b "
               "WHERE b.id = bonus_payout.batch_id) WHERE batch_id IN "
               "(SELECT id FROM bonus_payout_batch WHERE paid_on IS NOT NULL)")
    op.create_index('uq_bonus_payout_live_grant', 'bonus_payout', ['grant_id'], unique=True,
                    sqlite_where=_LIVE, postgresql_where=_LIVE)
    op.create_index('uq_bonus_payout_live_user', 'bonus_payout', ['user_id'], unique=True,
                    sqlite_where=_LIVE, postgresql_where=_LIVE)


def downgrade() -> None:
    # Returned lines have no place in the old one-line-per-grant table: they go with the columns.
    op.drop_index('uq_bonus_payout_live_user', table_name='bonus_payout')
    op.drop_index('uq_bonus_payout_live_grant', table_name='bonus_payout')
    op.execute("DELETE FROM bonus_payout WHERE status = 'returned'")
    with op.batch_alter_table('bonus_payout', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bonus_payout_status'))
        batch_op.drop_index(batch_op.f('ix_bonus_payout_user_id'))
        batch_op.drop_index(batch_op.f('ix_bonus_payout_grant_id'))
        batch_op.create_unique_constraint('uq_bonus_payout_user_id', ['user_id'])
        batch_op.create_unique_constraint('uq_bonus_payout_grant_id', ['grant_id'])
        batch_op.drop_column('cleared_at')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('return_reason')
        batch_op.drop_column('settled_on')
        batch_op.drop_column('status')
        batch_op.drop_column('bank_cnaps')
        batch_op.drop_column('bank_account_kind')
    with op.batch_alter_table('bonus_application', schema=None) as batch_op:
        batch_op.drop_column('bank_cnaps')
        batch_op.drop_column('bank_account_kind')
