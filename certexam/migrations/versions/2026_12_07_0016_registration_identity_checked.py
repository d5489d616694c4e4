"""registration.identity_checked_at: the proctor's "identity checked" mark

A proctor compares the candidate with the registration photo at the exam and marks
the registration checked (issue 21); the mark's time is kept here, and who set or
cleared it is in the audit log. Existing registrations start unchecked.

Revision ID: 0016
Revises: 0017
Create Date: 2026-12-07 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import certexam.db

revision: str = '0016'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('registration', sa.Column('identity_checked_at', certexam.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of registration would break the foreign keys to it.
    op.drop_column('registration', 'identity_checked_at')
