"""exposure counted from attempt_item rows instead of a shared counter

Every exam start used to increment bank_item.exposure_count for its 45-240
items; candidates starting together queued on those rows. The new table holds
one row per item shown on an attempt (insert only); existing attempts are
copied into it from their frozen forms, so exposure figures carry over.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 23:00:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('attempt_item',
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('bank_item_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_attempt_item_attempt_id_attempt')),
    sa.ForeignKeyConstraint(['bank_item_id'], ['bank_item.id'], name=op.f('fk_attempt_item_bank_item_id_bank_item')),
    sa.ForeignKeyConstraint(['version_id'], ['bank_item_version.id'], name=op.f('fk_attempt_item_version_id_bank_item_version')),
    sa.PrimaryKeyConstraint('attempt_id', 'position', name=op.f('pk_attempt_item'))
    )
    op.create_index(op.f('ix_attempt_item_bank_item_id'), 'attempt_item', ['bank_item_id'], unique=False)
    conn = op.get_bind()
    item_of = dict(conn.execute(sa.text("SELECT id, item_id FROM bank_item_version")).all())
    rows = []
    for attempt_id, form in conn.execute(sa.text("SELECT id, form FROM attempt")):
        for position, entry in enumerate(json.loads(form), 1):
            rows.append({"a": attempt_id, "p": position, "i": item_of[entry["v"]], "v": entry["v"]})
    if rows:
        conn.execute(sa.text("INSERT INTO attempt_item (attempt_id, position, bank_item_id, version_id) "
                             "VALUES (:a, :p, :i, :v)"), rows)
    # Plain ALTER TABLE (SQLite >= 3.35 drops a column in place): a batch copy of bank_item
    # would have to drop a table that item versions refer to, which foreign keys forbid.
    op.drop_column('bank_item', 'exposure_count')


def downgrade() -> None:
    op.add_column('bank_item', sa.Column('exposure_count', sa.Integer(), nullable=False, server_default='0'))
    op.execute("UPDATE bank_item SET exposure_count = "
               "(SELECT count(*) FROM attempt_item WHERE attempt_item.bank_item_id = bank_item.id)")
    op.drop_index(op.f('ix_attempt_item_bank_item_id'), table_name='attempt_item')
    op.drop_table('attempt_item')
