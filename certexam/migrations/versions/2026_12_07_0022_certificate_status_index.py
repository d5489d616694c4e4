"""Each certificate's index in the status lists (issue 20.3)

A random, unique index below domain/status_bits.LIST_BITS for every certificate, the bit that the
signed revocation and suspension lists keep for it. Existing rows get one here; tokens issued before
do not carry it (their offline check says "status unknown") until they are signed again.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 20:00:00
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIST_BITS = 131_072  # domain/status_bits.LIST_BITS when this revision was written


def _backfill() -> None:
    conn = op.get_bind()
    rows = sa.table("certificate", sa.column("id", sa.Integer), sa.column("status_index", sa.Integer))
    ids = conn.execute(sa.select(rows.c.id).order_by(rows.c.id)).scalars().all()
    if len(ids) > LIST_BITS:
        raise RuntimeError("more certificates than one status list holds")
    taken: set[int] = set()
    for row_id in ids:
        index = secrets.randbelow(LIST_BITS)
        while index in taken:
            index = secrets.randbelow(LIST_BITS)
        taken.add(index)
        conn.execute(sa.update(rows).where(rows.c.id == row_id).values(status_index=index))


def upgrade() -> None:
    op.add_column('certificate', sa.Column('status_index', sa.Integer(), nullable=True))
    _backfill()
    op.create_index('ix_certificate_status_index', 'certificate', ['status_index'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_certificate_status_index', table_name='certificate')
    op.drop_column('certificate', 'status_index')
