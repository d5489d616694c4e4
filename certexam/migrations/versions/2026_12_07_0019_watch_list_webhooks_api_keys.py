"""Employers' watch lists, signed webhooks with their outbox and delivery log, organisation API keys

Issue 23. watched_certificate: the certificates an organisation watches. webhook_endpoint: one URL
and signing secret per organisation. watch_event: the outbox, written in the transaction of the
certificate's change and sent by the worker after the commit. webhook_attempt: one row per try.
org_api_key: organisation keys with scopes, stored as a prefix and a SHA-256. New tables only.

Revision ID: 0019
Revises: 0023
Create Date: 2026-12-07 20:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import certexam.db

revision: str = '0019'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = certexam.db.UTCDateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}'))


def upgrade() -> None:
    op.create_table('watched_certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', _UTC, nullable=False),
    _fk('watched_certificate', 'organisation_id', 'organisation'),
    _fk('watched_certificate', 'certificate_id', 'certificate'),
    _fk('watched_certificate', 'added_by_id', 'user_account'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watched_certificate')),
    sa.UniqueConstraint('organisation_id', 'certificate_id', name='uq_watched_certificate')
    )
    op.create_index(op.f('ix_watched_certificate_organisation_id'), 'watched_certificate', ['organisation_id'])
    op.create_index(op.f('ix_watched_certificate_certificate_id'), 'watched_certificate', ['certificate_id'])
    op.create_table('webhook_endpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('created_at', _UTC, nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    _fk('webhook_endpoint', 'organisation_id', 'organisation'),
    _fk('webhook_endpoint', 'created_by_id', 'user_account'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoint')),
    sa.UniqueConstraint('organisation_id', name=op.f('uq_webhook_endpoint_organisation_id'))
    )
    op.create_table('watch_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', _UTC, nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', _UTC, nullable=True),
    sa.Column('claimed_until', _UTC, nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('delivered_at', _UTC, nullable=True),
    sa.Column('mailed_at', _UTC, nullable=True),
    _fk('watch_event', 'organisation_id', 'organisation'),
    _fk('watch_event', 'certificate_id', 'certificate'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watch_event'))
    )
    op.create_index(op.f('ix_watch_event_organisation_id'), 'watch_event', ['organisation_id'])
    op.create_index('ix_watch_event_due', 'watch_event', ['state', 'next_attempt_at'])
    op.create_table('webhook_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('attempted_at', _UTC, nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=200), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    _fk('webhook_attempt', 'event_id', 'watch_event'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_attempt'))
    )
    op.create_index(op.f('ix_webhook_attempt_event_id'), 'webhook_attempt', ['event_id'])
    op.create_table('org_api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.String(length=60), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', _UTC, nullable=False),
    sa.Column('last_used_at', _UTC, nullable=True),
    sa.Column('revoked_at', _UTC, nullable=True),
    _fk('org_api_key', 'organisation_id', 'organisation'),
    _fk('org_api_key', 'created_by_id', 'user_account'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_api_key')),
    sa.UniqueConstraint('prefix', name=op.f('uq_org_api_key_prefix'))
    )
    op.create_index(op.f('ix_org_api_key_organisation_id'), 'org_api_key', ['organisation_id'])


def downgrade() -> None:
    op.drop_table('org_api_key')
    op.drop_table('webhook_attempt')
    op.drop_table('watch_event')
    op.drop_table('webhook_endpoint')
    op.drop_table('watched_certificate')
