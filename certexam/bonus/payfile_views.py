"""Administrator pages of the bank files (issue 23): file formats, per-line status, returns, statements."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from certexam.bonus import bp
from certexam.bonus.forms import CorrectLineForm, LineOutcomeForm, StatementForm
from certexam.errors import UserError
from certexam.models import Role
from certexam.services.bonus import payouts as bonus_payouts
from certexam.services.bonus.payfiles import exports, lines, statement
from certexam.web import flash_form_errors, object_id, roles_required, show_error

_MIMETYPES = {"pain001": "application/xml", "cn": "text/csv"}


@bp.route("/admin/bonus/payouts/<batch_id>/file/<fmt>")
@roles_required(Role.PAYMENT_OFFICER)
def admin_batch_file(batch_id: str, fmt: str) -> Any:
    """The batch as ISO 20022 pain.001 (fmt=pain001) or as the Chinese bank template (fmt=cn)."""
    if fmt not in _MIMETYPES:
        abort(404)
    batch = bonus_payouts.get_batch(object_id(batch_id))
    try:
        data = exports.pain001_file(batch) if fmt == "pain001" else exports.cn_template_file(batch)
    except UserError as exc:
        flash(exc.message, "error")
        return redirect(url_for("bonus.admin_batch_lines", batch_id=batch.id))
    resp = Response(data, mimetype=_MIMETYPES[fmt])
    resp.headers["Content-Disposition"] = f'attachment; filename="{exports.filename(batch, fmt)}"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.route("/admin/bonus/payouts/<batch_id>/lines")
@roles_required(Role.PAYMENT_OFFICER, read=(Role.AUDITOR,))
def admin_batch_lines(batch_id: str) -> Any:
    batch = bonus_payouts.get_batch(object_id(batch_id))
    return render_template("bonus/admin_payout_lines.html", batch=batch, outcome_form=LineOutcomeForm(),
                           correct_form=CorrectLineForm())


@bp.route("/admin/bonus/payouts/lines/<payout_id>/outcome", methods=["POST"])
@roles_required(Role.PAYMENT_OFFICER)
def admin_line_outcome(payout_id: str) -> Any:
    form = LineOutcomeForm()
    line = lines.get_line(object_id(payout_id))
    batch_id = line.batch_id
    if form.validate_on_submit():
        assert form.settled_on.data is not None
        try:
            lines.record_outcome(current_user, line.id, form.outcome.data or "", form.settled_on.data,
                                 form.reason.data or "")
        except UserError as exc:
            show_error(None, exc)
        else:
            flash(_("Line %(ref)s is recorded.", ref=line.end_to_end_id), "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("bonus.admin_batch_lines", batch_id=batch_id))


@bp.route("/admin/bonus/payouts/lines/<payout_id>/correct", methods=["POST"])
@roles_required(Role.PAYMENT_OFFICER)
def admin_line_correct(payout_id: str) -> Any:
    form = CorrectLineForm()
    line = lines.get_line(object_id(payout_id))
    batch_id = line.batch_id
    if form.validate_on_submit():
        try:
            lines.correct_returned(current_user, line.id, form.bank_name.data or "", form.bank_account.data or "",
                                   form.bank_account_kind.data or "", form.bank_cnaps.data or "")
        except UserError as exc:
            show_error(None, exc)
        else:
            flash(_("The new details are saved: the bonus goes into the next batch."), "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("bonus.admin_batch_lines", batch_id=batch_id))


@bp.route("/admin/bonus/payouts/statement", methods=["GET", "POST"])
@roles_required(Role.PAYMENT_OFFICER, read=(Role.AUDITOR,))
def admin_statement() -> Any:
    form = StatementForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            parsed = statement.parse(upload.read())
            report = statement.reconcile(current_user, parsed, upload.filename or "statement.csv")
        except UserError as exc:
            show_error(form, exc)
    return render_template("bonus/admin_statement.html", form=form, report=report,
                           waiting=lines.returned_lines())
