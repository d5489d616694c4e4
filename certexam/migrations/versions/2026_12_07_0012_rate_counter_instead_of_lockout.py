"""rate_counter replaces the account lockout columns

Sign-in failures are counted per email, per email and address, and per address
(domain/throttle.py: a growing delay, never a lockout; issue 19.4), in a table
every worker shares; the same table holds the rate limiter's windows when no
Redis is configured (issue 19.3). user_account.failed_logins and locked_until go.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import certexam.db

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('rate_counter',
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('last_at', certexam.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', certexam.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_counter'))
    )
    op.create_index(op.f('ix_rate_counter_expires_at'), 'rate_counter', ['expires_at'], unique=False)
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of user_account would break the foreign keys to it.
    op.drop_column('user_account', 'locked_until')
    op.drop_column('user_account', 'failed_logins')


def downgrade() -> None:
    op.add_column('user_account', sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
    op.add_column('user_account', sa.Column('locked_until', certexam.db.UTCDateTime(timezone=True), nullable=True))
    op.drop_index(op.f('ix_rate_counter_expires_at'), table_name='rate_counter')
    op.drop_table('rate_counter')
