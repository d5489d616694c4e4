"""Online objections during the bonus public notice (issue 23): the objector's form, the reviewer's queue.

Anyone signed in objects from the public notice page; the reviewer (bonus approver) decides in the
queue. Objections are rate-limited per account: each one is work for a reviewer and a stored file.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from certexam.bonus import bp
from certexam.bonus.forms import ResolveForm
from certexam.errors import UserError
from certexam.extensions import limiter
from certexam.models import Role
from certexam.services.bonus import evidence as bonus_evidence
from certexam.services.bonus import objections as bonus_objections
from certexam.web import flash_form_errors, object_id, roles_required, show_error

# Security policy, not a programme rule (settable in the app config): an honest objector sends one
# or two; this stops one account filling the reviewer's queue and the disk.
OBJECTION_RATE_LIMIT = "5/hour"


def _objection_limit() -> str:
    return str(current_app.config.get("BONUS_OBJECTION_RATE_LIMIT", OBJECTION_RATE_LIMIT))


def _per_account() -> str:
    # Per signed-in account (the route requires one), so people behind one office proxy do not share it.
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()


class OnlineObjectionForm(FlaskForm):
    reason = TextAreaField(_l("Why the application is untrue"),
                           validators=[DataRequired(), Length(max=bonus_objections.REASON_MAX)])
    file = FileField(_l("Evidence (PDF, JPEG or PNG)"), validators=[FileRequired()])
    submit = SubmitField(_l("Send the objection"))


@bp.route("/public/bonus-notice/<reference>/objection", methods=["GET", "POST"])
@login_required
@limiter.limit(_objection_limit, key_func=_per_account, methods=["POST"])
def objection_new(reference: str) -> Any:
    """Object to one listed application (anyone signed in); who objects is never published."""
    app = bonus_objections.application_for(reference)
    form = OnlineObjectionForm()
    refused = bonus_objections.refusal_for(current_user, app)
    status = 200
    if request.method == "POST" and refused is not None:
        status = 409  # the notice ended (or another reason): a clear refusal, the form is not taken
    elif form.validate_on_submit():
        upload = form.file.data
        try:
            bonus_objections.object_online(current_user, app.id, form.reason.data or "",
                                           upload.filename or "evidence", upload.read())
        except UserError as exc:
            show_error(form, exc)
            status = exc.status
        else:
            flash(_("Your objection to %(ref)s is sent to the reviewer. It is not published with your name.",
                    ref=app.reference), "success")
            return redirect(url_for("bonus.public_notice"))
    elif request.method == "POST":
        status = 400
    return render_template("bonus/objection_new.html", app=app, form=form, refused=refused,
                           masked=bonus_objections.masked_name(app)), status


@bp.route("/admin/bonus/objections")
@roles_required(Role.BONUS_CHECKER, Role.BONUS_APPROVER, read=(Role.AUDITOR,))
def objection_queue() -> Any:
    """Open objections, the notice ending soonest first, and the latest decisions."""
    return render_template("bonus/objection_queue.html", lines=bonus_objections.queue(),
                           decided=bonus_objections.queue(resolved=True, limit=20), form=ResolveForm(),
                           may_decide=current_user.has_role(Role.BONUS_APPROVER))


@bp.route("/admin/bonus/objections/<objection_id>/decide", methods=["POST"])
@roles_required(Role.BONUS_APPROVER)
def objection_decide(objection_id: str) -> Any:
    """Upheld (the application is rejected and never paid) or dismissed, with a reason."""
    oid = object_id(objection_id)
    form = ResolveForm()
    if form.validate_on_submit():
        try:
            obj = bonus_objections.decide(current_user, oid, bool(form.uphold.data), form.resolution.data or "")
        except UserError as exc:
            show_error(None, exc)
        else:
            flash(_("The decision on the objection to %(ref)s is recorded.", ref=obj.application.reference),
                  "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("bonus.objection_queue"))


@bp.route("/admin/bonus/objections/<objection_id>/evidence")
@roles_required(Role.BONUS_CHECKER, Role.BONUS_APPROVER, read=(Role.AUDITOR,))
def objection_evidence(objection_id: str) -> Any:
    """The objector's file, always as a download with its checked type, never rendered by the browser."""
    found = bonus_objections.evidence_of(object_id(objection_id))
    path = bonus_evidence.path_of(found.evidence_path)
    if path is None:
        abort(404)
    resp = send_file(path, mimetype=found.evidence_type, as_attachment=True, download_name=found.evidence_name,
                     max_age=0)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
