"""SQLite: a stored answer raises its attempt's last_seq and stamps last_saved_at (triggers)

So that a save on SQLite can be one statement, like the data-modifying CTE on
PostgreSQL (services/autosave_sql.py): the guarded INSERT ... SELECT ... ON
CONFLICT stores the answer and these triggers keep the attempt's counters, in
the same statement and the same write lock. PostgreSQL needs none. A later
SQLite batch migration that rebuilds `response` must create them again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 04:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STAMP = ("UPDATE attempt SET last_seq = max(last_seq, NEW.seq), last_saved_at = NEW.saved_at "
          "WHERE id = NEW.attempt_id;")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"CREATE TRIGGER response_stamps_attempt_on_insert AFTER INSERT ON response BEGIN {_STAMP} END")
    op.execute(f"CREATE TRIGGER response_stamps_attempt_on_update AFTER UPDATE OF seq ON response BEGIN {_STAMP} END")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS response_stamps_attempt_on_update")
    op.execute("DROP TRIGGER IF EXISTS response_stamps_attempt_on_insert")
