"""Staff roles (user_role) and four-eyes requests

Issue 19.6, separation of duties. user_account.role becomes the account's kind
(candidate, employer, staff); a staff account's roles are its user_role rows, any
set of the eleven staff roles. Existing deployments keep working: an ADMIN gets
every staff role and a GRADER the marker role. four_eyes_request holds a step one
officer asked for until a different officer confirms it (a release of results, a
batch payment).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import certexam.db

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The staff roles as they are at this revision (not imported: a later change of the enum must not
# change what this migration did).
STAFF_ROLES = ("item_author", "item_reviewer", "proctor", "marker", "results_officer", "certificate_officer",
               "bonus_checker", "bonus_approver", "payment_officer", "auditor", "system_admin")


def upgrade() -> None:
    op.create_table('user_role',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum(*STAFF_ROLES, 'candidate', 'employer', name='staff_role', native_enum=False,
                              length=32), nullable=False),
    sa.Column('granted_at', certexam.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['granted_by_id'], ['user_account.id'], name=op.f('fk_user_role_granted_by_id_user_account')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_role_user_id_user_account')),
    sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('pk_user_role'))
    )
    op.create_index(op.f('ix_user_role_role'), 'user_role', ['role'], unique=False)
    op.create_table('four_eyes_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', certexam.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'],
                            name=op.f('fk_four_eyes_request_requested_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_four_eyes_request')),
    sa.UniqueConstraint('action', 'object_id', name='uq_four_eyes_request_action_object')
    )
    # ADMIN did everything: it keeps everything. GRADER is the marker. Granted when the account was made.
    for role in STAFF_ROLES:
        op.execute(sa.text("INSERT INTO user_role (user_id, role, granted_at) "
                           "SELECT id, :role, created_at FROM user_account WHERE role = 'admin'").bindparams(role=role))
    op.execute("INSERT INTO user_role (user_id, role, granted_at) "
               "SELECT id, 'marker', created_at FROM user_account WHERE role = 'grader'")
    op.execute("UPDATE user_account SET role = 'staff' WHERE role IN ('admin', 'grader')")


def downgrade() -> None:
    # Back to one role: a system administrator becomes ADMIN, anyone else on staff GRADER (never more
    # than they had: only the system administrator role leads back to everything).
    op.execute("UPDATE user_account SET role = 'grader' WHERE role = 'staff'")
    op.execute("UPDATE user_account SET role = 'admin' WHERE id IN "
               "(SELECT user_id FROM user_role WHERE role = 'system_admin')")
    op.drop_table('four_eyes_request')
    op.drop_index(op.f('ix_user_role_role'), table_name='user_role')
    op.drop_table('user_role')
