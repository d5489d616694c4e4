"""Family name of accounts and certificates (issue 19.11)

The public lookup matched the typed surname against any word of the English
name, so "Tai" and "Man" both found "Chan Tai Man". Accounts now carry the
family name as written in the English name, certificates record it at issue,
and the lookup compares the surname with it alone. Existing rows take the
first word of the English name: certexam's convention until now (the demo
prints "look it up with the surname <first word>"; "Chan Tai Man", "Li Ming").

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FAMILY_MAX = 100


def _first_word(name: str | None) -> str:
    words = (name or "").replace(",", " ").split()
    return words[0][:FAMILY_MAX] if words else ""


def _backfill(table: str, source: str, target: str) -> None:
    conn = op.get_bind()
    rows = sa.table(table, sa.column("id", sa.Integer), sa.column(source, sa.String),
                    sa.column(target, sa.String))
    for row_id, name in conn.execute(sa.select(rows.c.id, rows.c[source])).all():
        conn.execute(sa.update(rows).where(rows.c.id == row_id).values({target: _first_word(name)}))


def upgrade() -> None:
    # Plain ADD COLUMN with a default (SQLite cannot add a NOT NULL column without one, and a batch copy
    # of user_account would break the foreign keys to it); the default goes again where the dialect can.
    for table, source, target in (("user_account", "name_en", "name_family"),
                                  ("certificate", "holder_name_en", "holder_name_family")):
        op.add_column(table, sa.Column(target, sa.String(length=FAMILY_MAX), nullable=False, server_default=""))
        _backfill(table, source, target)
        if op.get_bind().dialect.name != "sqlite":
            op.alter_column(table, target, server_default=None)


def downgrade() -> None:
    op.drop_column('certificate', 'holder_name_family')
    op.drop_column('user_account', 'name_family')
