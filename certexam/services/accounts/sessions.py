"""Ending every session of an account at once (issue 19.2; the mechanism: certexam/sessions.py)."""

from __future__ import annotations

from sqlalchemy import update

from certexam import db
from certexam.models import User


def end_all(user: User) -> None:
    """Raise the account's session epoch inside the caller's use case: each of its sessions, on any
    device, is refused from its next request. The increment runs in SQL, so two at once both count."""
    db.session().execute(update(User).where(User.id == user.id)
                         .values(session_epoch=User.session_epoch + 1)
                         .execution_options(synchronize_session=False))
    db.session().refresh(user, ["session_epoch"])


@db.use_case
def sign_out(user: User) -> None:
    """Sign out everywhere: this session and every other one of the account."""
    row = db.session().get(User, user.id)
    if row is not None:
        end_all(row)
