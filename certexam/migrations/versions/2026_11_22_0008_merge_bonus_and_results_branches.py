"""merge bonus and results branches

Revision ID: 0008
Revises: 0005, 0007
Create Date: 2026-11-22 21:12:52.840268
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import certexam.db


revision: str = '0008'
down_revision: str | None = ('0005', '0007')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
