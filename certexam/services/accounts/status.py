"""An administrator deactivates, reactivates or changes the role of an account; either ends every
session of it at once (issue 19.2): what the account could do is decided again at its next sign-in."""

from __future__ import annotations

from flask_babel import gettext as _

from certexam import db
from certexam.errors import NotFound, UserError
from certexam.models import Role, User
from certexam.services.accounts import sessions
from certexam.services.platform import audit


def _target(actor: User, user_id: int) -> User:
    user = db.session().get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None:
        raise NotFound(_("This account does not exist."))
    if user.id == actor.id:
        raise UserError(_("You cannot change your own account here; ask another administrator."))
    return user


@db.use_case
def set_active(actor: User, user_id: int, active: bool) -> User:
    user = _target(actor, user_id)
    if user.active != active:
        user.active = active
        sessions.end_all(user)
        audit.record(db.session(), "user.activate" if active else "user.deactivate", "user", user.id,
                     actor_id=actor.id, before={"active": not active}, after={"active": active})
    return user


@db.use_case
def set_role(actor: User, user_id: int, role: Role) -> User:
    user = _target(actor, user_id)
    if Role.CANDIDATE in (user.role, role):
        raise UserError(_("Candidates register themselves; their accounts keep the candidate role."), "role")
    if role == Role.EMPLOYER and user.organisation_id is None:
        raise UserError(_("An employer account needs an organisation."), "role")
    if user.role != role:
        before = user.role
        user.role = role
        sessions.end_all(user)
        audit.record(db.session(), "user.role", "user", user.id, actor_id=actor.id,
                     before={"role": before.value}, after={"role": role.value})
    return user
