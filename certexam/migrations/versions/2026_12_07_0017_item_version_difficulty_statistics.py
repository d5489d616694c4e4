"""bank_item_version.facility and facility_n: difficulty statistics for form assembly

Issue 21: an item version carries its facility (the share of points scored, 0..1) and the number
of responses it rests on, from item analysis or pretesting; forms are assembled to a difficulty
target from them. Both are empty for existing versions (the blueprint's prior applies).

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-07 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no default): no batch copy of the table on SQLite.
    op.add_column('bank_item_version', sa.Column('facility', sa.Float(), nullable=True))
    op.add_column('bank_item_version', sa.Column('facility_n', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column('bank_item_version', 'facility_n')
    op.drop_column('bank_item_version', 'facility')
