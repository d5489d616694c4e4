"""The proctor console's identity check (issue 21): each candidate's registration photo, and the
"identity checked" mark a proctor records per registration (audited in services/attempts/identity.py)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from certexam.errors import UserError
from certexam.models import Role
from certexam.services.attempts import identity
from certexam.sittings import bp
from certexam.sittings.views import _id
from certexam.web import roles_required


@bp.route("/<sitting_id>/proctor/registrations/<registration_id>/photo")
@roles_required(Role.PROCTOR)
def proctor_photo(sitting_id: str, registration_id: str) -> Any:
    """A candidate's registration photo, for the proctor of their sitting; never inline HTML."""
    try:
        path = identity.photo_file(_id(sitting_id), _id(registration_id))
    except UserError:
        abort(404)
    if path is None:
        abort(404)
    resp = send_file(path, mimetype="image/png" if path.suffix == ".png" else "image/jpeg", max_age=0)
    resp.headers["Cache-Control"] = "private, no-store"  # a face, on a shared exam-room machine
    return resp


@bp.post("/<sitting_id>/proctor/registrations/<registration_id>/identity")
@roles_required(Role.PROCTOR)
def proctor_identity(sitting_id: str, registration_id: str) -> Any:
    """Mark (checked=1) or unmark (checked=0) a candidate's identity as checked against the photo."""
    sid, rid = _id(sitting_id), _id(registration_id)
    checked = request.form.get("checked")
    if checked not in ("0", "1"):
        abort(400)
    try:
        reg = identity.mark(current_user, sid, rid, checked == "1")
    except UserError as exc:
        if exc.status == 404:
            abort(404)
        flash(_("Not done: %(why)s", why=exc.message), "error")
        return redirect(url_for("sittings.proctor", sitting_id=sid))
    flash(_("Identity of %(no)s marked as checked.", no=reg.admission_no) if checked == "1"
          else _("Identity check of %(no)s cleared.", no=reg.admission_no), "success")
    back = request.form.get("attempt", "")
    anchor = f"attempt-{back}" if back.isdigit() else None
    return redirect(url_for("sittings.proctor", sitting_id=sid, _anchor=anchor))
