"""Holder-bonus pages for holders (/bonus), employers (/employer), the public (/public/...).

Administrator pages are in admin_views, the JSON API in api; both add their
routes to this blueprint.  Views only parse input, call a service and render.
Object ids are plain path segments parsed here, so that a tampered id is a
clean 404 and role checks always run first.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from certexam import db
from certexam.bonus import bp
from certexam.bonus.forms import ActionForm, ApplyForm, DecideForm, EvidenceForm, PeriodForm
from certexam.errors import UserError
from certexam.models import Organisation, Role
from certexam.models.bonus import PeriodStatus
from certexam.services.bonus import applications as bonus_applications
from certexam.services.bonus import eligibility as bonus_eligibility
from certexam.services.bonus import evidence as bonus_evidence
from certexam.services.bonus import fraud as bonus_fraud
from certexam.services.bonus import labels as bonus_labels
from certexam.services.bonus import notice as bonus_notice
from certexam.services.bonus import objections as bonus_objections
from certexam.services.bonus import records as bonus_records
from certexam.services.bonus import social as bonus_social
from certexam.services.platform import clock
from certexam.web import flash_form_errors, object_id, roles_required, show_error


@bp.context_processor
def _labels() -> dict[str, Any]:
    return bonus_labels.template_helpers()


# --- holders -----------------------------------------------------------------------------------------


@bp.route("/bonus/")
@roles_required(Role.CANDIDATE)
def holder_home() -> Any:
    on = clock.today()
    verdict = bonus_eligibility.evaluate(current_user, on)
    records = bonus_records.records_of(current_user)
    months: dict[int, list[Any]] = {}
    for m in bonus_social.months_for(current_user.id):
        months.setdefault(m.organisation_id, []).append(m.month)
    return render_template(
        "bonus/holder_home.html", verdict=verdict.result, by_record=verdict.reasons_by_record(),
        records=records, si_months=months, evidence_form=EvidenceForm(), action=ActionForm(),
        current=bonus_applications.current_application(current_user),
        applications=bonus_applications.applications_of(current_user), on=on)


@bp.route("/bonus/periods/new", methods=["GET", "POST"])
@roles_required(Role.CANDIDATE)
def period_new() -> Any:
    form = PeriodForm()
    orgs = db.session().scalars(select(Organisation).order_by(Organisation.name)).all()
    form.organisation_id.choices = [(0, "—")] + [(o.id, f"{o.name} ({o.credit_code})") for o in orgs]
    if form.validate_on_submit():
        assert form.starts_on.data is not None
        data = bonus_records.PeriodInput(form.organisation_id.data or 0, form.starts_on.data, form.ends_on.data,
                                         bool(form.full_time.data))
        try:
            bonus_records.add_period(current_user, data)
        except UserError as exc:
            show_error(form, exc)
        else:
            flash(_("The period is added. Your employer can now confirm it."), "success")
            return redirect(url_for("bonus.holder_home"))
    return render_template("bonus/period_new.html", form=form)


@bp.route("/bonus/periods/<record_id>/delete", methods=["POST"])
@roles_required(Role.CANDIDATE)
def period_delete(record_id: str) -> Any:
    if ActionForm().validate_on_submit():
        try:
            bonus_records.delete_period(current_user, object_id(record_id))
        except UserError as exc:
            if exc.status == 404:  # noqa: PLR2004 - HTTP status
                abort(404)
            flash(exc.message, "error")
        else:
            flash(_("The period is removed."), "success")
    return redirect(url_for("bonus.holder_home"))


@bp.route("/bonus/periods/<record_id>/evidence", methods=["POST"])
@roles_required(Role.CANDIDATE)
def evidence_upload(record_id: str) -> Any:
    rid = object_id(record_id)
    bonus_records.own_record(current_user, rid)  # someone else's period: 404 before reading the upload
    form = EvidenceForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            bonus_records.add_evidence(current_user, rid, upload.filename or "evidence", upload.read())
        except UserError as exc:
            flash(exc.message, "error")
        else:
            flash(_("The file is uploaded."), "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("bonus.holder_home") + f"#period-{rid}")


@bp.route("/bonus/evidence/<evidence_id>")
@roles_required(Role.CANDIDATE, Role.EMPLOYER, Role.BONUS_CHECKER, Role.BONUS_APPROVER, read=(Role.AUDITOR,))
def evidence_download(evidence_id: str) -> Any:
    """An evidence file, always as a download with its checked type, never rendered by the browser."""
    ev = bonus_records.evidence_for(current_user, object_id(evidence_id))
    path = bonus_evidence.path_of(ev.stored_path)
    if path is None:
        abort(404)
    resp = send_file(path, mimetype=ev.content_type, as_attachment=True, download_name=ev.original_name,
                     max_age=0)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.route("/bonus/apply", methods=["GET", "POST"])
@roles_required(Role.CANDIDATE)
def apply() -> Any:
    form = ApplyForm()
    on = clock.today()
    verdict = bonus_eligibility.evaluate(current_user, on)
    current = bonus_applications.current_application(current_user)
    if current is not None:
        return redirect(url_for("bonus.application_detail", application_id=current.id))
    if form.validate_on_submit():
        data = bonus_applications.ApplyInput(bool(form.no_same_kind_award.data), bool(form.truthful.data),
                                             form.bank_name.data or "", form.bank_account.data or "",
                                             form.bank_account_kind.data or "", form.bank_cnaps.data or "")
        try:
            app = bonus_applications.apply(current_user, data)
        except UserError as exc:
            show_error(form, exc)
        else:
            flash(_("Your application is submitted."), "success")
            return redirect(url_for("bonus.application_detail", application_id=app.id))
    return render_template("bonus/apply.html", form=form, verdict=verdict.result)


@bp.route("/bonus/applications/<application_id>")
@roles_required(Role.CANDIDATE)
def application_detail(application_id: str) -> Any:
    app = bonus_applications.own_application(current_user, object_id(application_id))
    return render_template("bonus/application.html", app=app, action=ActionForm())


@bp.route("/bonus/applications/<application_id>/<any(withdraw, resubmit):step>", methods=["POST"])
@roles_required(Role.CANDIDATE)
def application_step(application_id: str, step: str) -> Any:
    aid = object_id(application_id)
    bonus_applications.own_application(current_user, aid)
    if ActionForm().validate_on_submit():
        try:
            if step == "withdraw":
                bonus_applications.withdraw(current_user, aid)
                flash(_("Your application is withdrawn."), "success")
            else:
                bonus_applications.resubmit(current_user, aid)
                flash(_("Your application is sent again."), "success")
        except UserError as exc:
            flash(exc.message, "error")
    return redirect(url_for("bonus.application_detail", application_id=aid))


# --- employers ---------------------------------------------------------------------------------------


@bp.route("/employer/confirmations")
@roles_required(Role.EMPLOYER)
def employer_confirmations() -> Any:
    records = bonus_records.employer_records(current_user)
    pending = [r for r in records if r.status == PeriodStatus.PENDING]
    answered = [r for r in records if r.status != PeriodStatus.PENDING]
    return render_template("bonus/employer.html", pending=pending, answered=answered, form=DecideForm(),
                           organisation=current_user.organisation)


@bp.route("/employer/periods/<record_id>/decide", methods=["POST"])
@roles_required(Role.EMPLOYER)
def employer_decide(record_id: str) -> Any:
    rid = object_id(record_id)
    form = DecideForm()
    if form.validate_on_submit():
        try:
            bonus_records.decide(current_user, rid, bool(form.confirm.data), form.note.data or "")
        except UserError as exc:
            if exc.status == 404:  # noqa: PLR2004 - HTTP status
                abort(404)
            flash(exc.message, "error")
        else:
            flash(_("Your answer is recorded."), "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("bonus.employer_confirmations"))


# --- public ------------------------------------------------------------------------------------------


@bp.route("/public/bonus-notice")
def public_notice() -> Any:
    return render_template("bonus/public_notice.html", lines=bonus_notice.public_notice(), on=clock.today(),
                           objections=bonus_objections.counts_on_notice())


@bp.route("/public/bonus-fraud")
def public_fraud() -> Any:
    return render_template("bonus/public_fraud.html", cases=bonus_fraud.public_cases())
