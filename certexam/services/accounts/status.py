"""A system administrator deactivates, reactivates or changes the roles of an account; either ends every
session of it at once (issue 19.2): what the account could do is decided again at its next sign-in."""

from __future__ import annotations

from collections.abc import Collection

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certexam import db
from certexam.errors import NotFound, UserError
from certexam.models import STAFF_ROLES, AccountKind, Role, User, UserRole
from certexam.services.accounts import sessions
from certexam.services.platform import audit, clock


def _target(actor: User, user_id: int) -> User:
    user = db.session().get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None:
        raise NotFound(_("This account does not exist."))
    if user.id == actor.id:
        raise UserError(_("You cannot change your own account here; ask another administrator."))
    return user


def _other_system_admins(sess: Session, user: User) -> int:
    """Active accounts other than `user` that hold the system administrator role."""
    return sess.scalar(select(func.count()).select_from(UserRole).join(User, User.id == UserRole.user_id)
                       .where(UserRole.role == Role.SYSTEM_ADMIN, User.active, User.id != user.id)) or 0


@db.use_case
def set_active(actor: User, user_id: int, active: bool) -> User:
    user = _target(actor, user_id)
    if user.active != active:
        if not active and Role.SYSTEM_ADMIN in user.roles and not _other_system_admins(db.session(), user):
            raise UserError(_("This is the last system administrator: make another one first."))
        user.active = active
        sessions.end_all(user)
        audit.record(db.session(), "user.activate" if active else "user.deactivate", "user", user.id,
                     actor_id=actor.id, before={"active": not active}, after={"active": active})
    return user


@db.use_case
def set_roles(actor: User | None, user_id: int, roles: Collection[Role]) -> User:
    """Grant and remove a staff account's roles at once (issue 19.6). Candidates and employers keep
    their one role; a change that leaves no active system administrator is refused; a change ends
    every session of the account and is audited."""
    sess = db.session()
    user = _target(actor, user_id) if actor is not None else sess.get(User, user_id)
    if user is None:
        raise NotFound(_("This account does not exist."))
    wanted = frozenset(roles)
    if user.role != AccountKind.STAFF:
        raise UserError(_("Candidates and employers keep the one role of their account; staff roles are for "
                          "staff accounts."), "role")
    if not wanted:
        raise UserError(_("Choose at least one role."), "role")
    if not wanted <= STAFF_ROLES:
        raise UserError(_("Only staff roles can be granted."), "role")
    before = user.roles
    if before == wanted:
        return user
    if Role.SYSTEM_ADMIN in before - wanted and not _other_system_admins(sess, user):
        raise UserError(_("This is the last system administrator: make another one first."), "role")
    at = clock.now()
    user.staff_roles = [r for r in user.staff_roles if r.role in wanted] + [
        UserRole(role=r, granted_at=at, granted_by_id=actor.id if actor else None) for r in sorted(wanted - before)]
    sess.flush()
    sessions.end_all(user)
    audit.record(sess, "user.roles", "user", user.id, actor_id=actor.id if actor else None,
                 before={"roles": sorted(r.value for r in before)},
                 after={"roles": sorted(r.value for r in wanted),
                        "granted": sorted(r.value for r in wanted - before),
                        "removed": sorted(r.value for r in before - wanted)})
    return user


def set_role(actor: User, user_id: int, role: Role) -> User:
    """One staff role instead of the account's roles (the old single-role form's call)."""
    return set_roles(actor, user_id, {role})
