"""The proctor's identity check at the exam (issue 21): the registration photo, and an audited mark.

The photo is the one the candidate uploaded at registration (services/platform/uploads.py); the proctor
sees it beside each attempt of the sitting and marks the registration "identity checked" (or clears a
mark set by mistake). The mark's time is on the registration; who set or cleared it is in the audit log.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from certexam import db
from certexam.errors import NotFound
from certexam.models import Registration, User
from certexam.services.platform import audit, clock, uploads


def _registration(sitting_id: int, registration_id: int, lock: bool = False) -> Registration:
    reg = db.session().get(Registration, registration_id, with_for_update=lock)
    if reg is None or reg.sitting_id != sitting_id:
        raise NotFound(_("This registration does not exist."))
    return reg


@db.use_case
def mark(actor: User, sitting_id: int, registration_id: int, checked: bool) -> Registration:
    """Set (or clear) the "identity checked" mark of a registration of this sitting, audited."""
    sess = db.session()
    reg = _registration(sitting_id, registration_id, lock=True)
    before = reg.identity_checked_at
    if checked == (before is not None):
        return reg  # already so: a second proctor's click changes nothing and logs nothing
    reg.identity_checked_at = clock.now() if checked else None
    audit.record(sess, "registration.identity_checked" if checked else "registration.identity_unchecked",
                 "registration", reg.id, actor_id=actor.id,
                 before={"identity_checked_at": before.isoformat() if before else None},
                 after={"identity_checked_at": reg.identity_checked_at.isoformat() if reg.identity_checked_at else None,
                        "admission_no": reg.admission_no})
    return reg


def photo_file(sitting_id: int, registration_id: int) -> Path | None:
    """The registration photo of a candidate of this sitting, or None (no photo, or the file is gone)."""
    sess = db.session()
    reg = _registration(sitting_id, registration_id)
    rel = sess.scalar(select(User.photo_path).where(User.id == reg.user_id))
    if not rel:
        return None
    base = uploads.uploads_dir().resolve()
    path = (base / rel).resolve()
    return path if base in path.parents and path.is_file() else None
