"""user_account.session_epoch: sessions that can be ended

A session names the epoch it was opened in; raising the account's epoch (sign-out,
password change or reset, role change, deactivation) ends every session of it at
once (issue 19.2). Existing rows start at 0; sessions from before this revision
carried no epoch and sign in again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('user_account', sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of user_account would break the foreign keys to it.
    op.drop_column('user_account', 'session_epoch')
