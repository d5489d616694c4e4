"""item_translation: which languages of an item version a reviewer has checked

Issue 22: translation as a workflow. A language of a version is a draft until an item reviewer who
is not the version's author marks it reviewed; a sitting offers only the languages every item it can
draw has reviewed. Versions approved before this revision had their translations approved with them
(bulk imports with a reviewer, or the author-reviewer workflow): they are backfilled as reviewed by
the version's reviewer, so existing sittings keep their languages.

Revision ID: 0025
Revises: 0022
Create Date: 2026-12-07 20:30:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import certexam.db

revision: str = '0025'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCE = "zh_Hans"


def _languages(content: str) -> set[str]:
    """Every language of a version's texts (the canonical JSON of domain/item_codec)."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            keys = set(node)
            if keys and keys <= {"zh_Hans", "zh_Hant", "en", "pt"} and all(isinstance(v, str) for v in node.values()):
                found.update(keys)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(content))
    return found - {SOURCE}


def upgrade() -> None:
    op.create_table(
        'item_translation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('reviewer_id', sa.Integer(), nullable=True),
        sa.Column('reviewed_at', certexam.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['bank_item_version.id'],
                                name=op.f('fk_item_translation_version_id_bank_item_version')),
        sa.ForeignKeyConstraint(['reviewer_id'], ['user_account.id'],
                                name=op.f('fk_item_translation_reviewer_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_item_translation')),
        sa.UniqueConstraint('version_id', 'language', name='uq_item_translation_version_language'),
    )
    op.create_index(op.f('ix_item_translation_version_id'), 'item_translation', ['version_id'], unique=False)
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, content, reviewed_by_id FROM bank_item_version "
                                "WHERE status = 'approved'")).all()
    now = datetime.now(UTC)
    table = sa.table('item_translation', sa.column('version_id', sa.Integer), sa.column('language', sa.String),
                     sa.column('reviewer_id', sa.Integer), sa.column('reviewed_at', certexam.db.UTCDateTime(timezone=True)))
    # reviewed_at is the migration's time: the approval's own time is on the version.
    values = [{"version_id": vid, "language": lang, "reviewer_id": reviewer, "reviewed_at": now}
              for vid, content, reviewer in rows for lang in sorted(_languages(content))]
    if values:
        op.bulk_insert(table, values)


def downgrade() -> None:
    op.drop_index(op.f('ix_item_translation_version_id'), table_name='item_translation')
    op.drop_table('item_translation')
