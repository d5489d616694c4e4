"""Administrator pages of the holder bonus (/admin/bonus): review, notice, budget, payouts, fraud."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from certexam import db
from certexam.bonus import bp, chart
from certexam.bonus.forms import (
    ActionForm,
    CheckForm,
    FraudForm,
    ImportForm,
    ObjectionForm,
    PaidForm,
    RecoveryForm,
    ResolveForm,
    ReviewForm,
)
from certexam.domain.identity import normalise_id_number
from certexam.errors import UserError
from certexam.models import BonusApplication, Role, User
from certexam.models.bonus import ApplicationStatus
from certexam.services.bonus import applications as bonus_applications
from certexam.services.bonus import budget as bonus_budget
from certexam.services.bonus import eligibility as bonus_eligibility
from certexam.services.bonus import fraud as bonus_fraud
from certexam.services.bonus import notice as bonus_notice
from certexam.services.bonus import payouts as bonus_payouts
from certexam.services.bonus import records as bonus_records
from certexam.services.bonus import social as bonus_social
from certexam.services.bonus.settings import city_and_code_disagree
from certexam.services.platform import clock
from certexam.services.subsidies import payments as subsidy_payments
from certexam.web import flash_form_errors, object_id, roles_required, show_error

PAGE_SIZE = 50


def _back(application_id: int) -> Any:
    return redirect(url_for("bonus.admin_application", application_id=application_id))


@bp.route("/admin/bonus/")
@roles_required(Role.BONUS_CHECKER, Role.BONUS_APPROVER, Role.PAYMENT_OFFICER, read=(Role.AUDITOR,))
def admin_dashboard() -> Any:
    overview = bonus_budget.overview()
    counts = {status: n for status, n in db.session().execute(
        select(BonusApplication.status, func.count()).group_by(BonusApplication.status))}
    return render_template("bonus/admin_dashboard.html", overview=overview, counts=counts,
                           chart=chart.budget_chart(overview, _("Waiting")), action=ActionForm(),
                           due=len(bonus_notice.due_notices()))


@bp.route("/admin/bonus/applications")
@roles_required(Role.BONUS_CHECKER, Role.BONUS_APPROVER, Role.PAYMENT_OFFICER, read=(Role.AUDITOR,))
def admin_applications() -> Any:
    status = request.args.get("status", "")
    stmt = select(BonusApplication).order_by(BonusApplication.id.desc()).limit(PAGE_SIZE)
    if status in {s.value for s in ApplicationStatus}:
        stmt = stmt.where(BonusApplication.status == ApplicationStatus(status))
    else:
        status = ""
    return render_template("bonus/admin_applications.html", apps=db.session().scalars(stmt).all(),
                           status=status, statuses=list(ApplicationStatus))


@bp.route("/admin/bonus/applications/<application_id>")
@roles_required(Role.BONUS_CHECKER, Role.BONUS_APPROVER, Role.PAYMENT_OFFICER, read=(Role.AUDITOR,))
def admin_application(application_id: str) -> Any:
    app = bonus_applications.get(object_id(application_id))
    on = clock.today()
    verdict = bonus_eligibility.evaluate(app.user_id, on)
    records = bonus_records.records_of(app.holder)
    months: dict[int, list[Any]] = {}
    for m in bonus_social.months_for(app.user_id):
        months.setdefault(m.organisation_id, []).append(m.month)
    return render_template(
        "bonus/admin_application.html", app=app, verdict=verdict.result, by_record=verdict.reasons_by_record(),
        records=records, si_months=months, checklist=bonus_applications.checklist(app), on=on,
        check_form=CheckForm(), review_form=ReviewForm(), objection_form=ObjectionForm(),
        resolve_form=ResolveForm(), disagree=city_and_code_disagree)


def _decide(aid: int, form: CheckForm | ReviewForm) -> Any:
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(aid)
    try:
        if isinstance(form, CheckForm):
            bonus_applications.check(current_user, aid, bool(form.complete.data), form.note.data or "")
        else:
            bonus_notice.review(current_user, aid, bool(form.approve.data), form.note.data or "")
    except UserError as exc:
        show_error(None, exc)
    else:
        flash(_("The decision is recorded."), "success")
    return _back(aid)


@bp.route("/admin/bonus/applications/<application_id>/check", methods=["POST"])
@roles_required(Role.BONUS_CHECKER)
def admin_check(application_id: str) -> Any:
    """The completeness check: on to review, or back to the holder."""
    return _decide(object_id(application_id), CheckForm())


@bp.route("/admin/bonus/applications/<application_id>/review", methods=["POST"])
@roles_required(Role.BONUS_APPROVER)
def admin_review(application_id: str) -> Any:
    """Approve for the public notice, or reject."""
    return _decide(object_id(application_id), ReviewForm())


@bp.route("/admin/bonus/applications/<application_id>/objections", methods=["POST"])
@roles_required(Role.BONUS_CHECKER, Role.BONUS_APPROVER)
def admin_objection(application_id: str) -> Any:
    aid = object_id(application_id)
    form = ObjectionForm()
    if form.validate_on_submit():
        assert form.received_on.data is not None
        try:
            bonus_notice.record_objection(current_user, aid, form.received_on.data, form.objector.data or "",
                                          form.text.data or "")
        except UserError as exc:
            show_error(None, exc)
        else:
            flash(_("The objection is recorded."), "success")
    else:
        flash_form_errors(form)
    return _back(aid)


@bp.route("/admin/bonus/objections/<objection_id>/resolve", methods=["POST"])
@roles_required(Role.BONUS_APPROVER)
def admin_resolve(objection_id: str) -> Any:
    form = ResolveForm()
    oid = object_id(objection_id)
    if form.validate_on_submit():
        try:
            obj = bonus_notice.resolve_objection(current_user, oid, bool(form.uphold.data), form.resolution.data or "")
        except UserError as exc:
            show_error(None, exc)
        else:
            flash(_("The objection is resolved."), "success")
            return _back(obj.application_id)
    else:
        flash_form_errors(form)
    return redirect(url_for("bonus.admin_applications"))


@bp.route("/admin/bonus/notices/close", methods=["POST"])
@roles_required(Role.BONUS_APPROVER)
def admin_close_notices() -> Any:
    if ActionForm().validate_on_submit():
        outcomes = bonus_notice.close_ended_notices()
        approved = sum(1 for o in outcomes if o.result == "approved")
        flash(_("%(n)d application(s) approved for payment; %(m)d still waiting.", n=approved,
                m=len(outcomes) - approved), "success")
    return redirect(url_for("bonus.admin_dashboard"))


@bp.route("/admin/bonus/social-insurance", methods=["GET", "POST"])
@roles_required(Role.BONUS_CHECKER, read=(Role.AUDITOR,))
def admin_social_insurance() -> Any:
    form = ImportForm()
    errors: list[tuple[int, str]] = []
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        parsed = bonus_social.parse_file(upload.read())
        errors = parsed.errors[: bonus_social.MAX_ERRORS_SHOWN]
        if parsed.errors:
            flash(_("%(n)d line(s) have errors; nothing was imported.", n=len(parsed.errors)), "error")
        else:
            report = bonus_social.import_lines(current_user, parsed.lines, upload.filename or "upload.csv")
    return render_template("bonus/admin_social.html", form=form, errors=errors, report=report,
                           on_file=bonus_social.on_file())


@bp.route("/admin/bonus/payouts", methods=["GET", "POST"])
@roles_required(Role.PAYMENT_OFFICER, read=(Role.AUDITOR,))
def admin_payouts() -> Any:
    action = ActionForm()
    if request.method == "POST" and action.validate_on_submit():
        try:
            batch = bonus_payouts.create_batch(current_user)
        except UserError as exc:
            flash(exc.message, "error")
        else:
            flash(_("Batch %(n)d is ready: download its file for the bank.", n=batch.id), "success")
        return redirect(url_for("bonus.admin_payouts"))
    return render_template("bonus/admin_payouts.html", ready=bonus_payouts.ready_grants(),
                           subsidies=subsidy_payments.ready_grants(),
                           batches=bonus_payouts.batches(), action=action, paid_form=PaidForm())


@bp.route("/admin/bonus/payouts/<batch_id>.csv")
@roles_required(Role.PAYMENT_OFFICER)
def admin_batch_csv(batch_id: str) -> Any:
    batch = bonus_payouts.get_batch(object_id(batch_id))
    data = bonus_payouts.export_csv(batch)
    resp = Response(data, mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="bonus-batch-{batch.id}.csv"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.route("/admin/bonus/payouts/<batch_id>/paid", methods=["POST"])
@roles_required(Role.PAYMENT_OFFICER)
def admin_batch_paid(batch_id: str) -> Any:
    form = PaidForm()
    bid = object_id(batch_id)
    if form.validate_on_submit():
        assert form.paid_on.data is not None
        try:
            bonus_payouts.mark_paid(current_user, bid, form.bank_reference.data or "", form.paid_on.data)
        except UserError as exc:
            show_error(None, exc)
        else:
            flash(_("Batch %(n)d is marked paid.", n=bid), "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("bonus.admin_payouts"))


def _find_holder(text: str) -> User | None:
    raw = text.strip()
    stmt = select(User).where(User.role == Role.CANDIDATE, or_(User.email == raw.lower(),
                                                               User.id_number == normalise_id_number(raw)))
    found = db.session().scalars(stmt).all()
    return found[0] if len(found) == 1 else None


@bp.route("/admin/bonus/fraud", methods=["GET", "POST"])
@roles_required(Role.BONUS_APPROVER, read=(Role.AUDITOR,))
def admin_fraud() -> Any:
    form = FraudForm()
    if form.validate_on_submit():
        assert form.found_on.data is not None
        holder = _find_holder(form.holder.data or "")
        if holder is None:
            form.holder.errors = [*form.holder.errors, _("No single holder has this email or ID number.")]
        else:
            try:
                bonus_fraud.record_finding(current_user, holder.id, form.finding.data or "", form.found_on.data)
            except UserError as exc:
                show_error(form, exc)
            else:
                flash(_("The finding is recorded."), "success")
                return redirect(url_for("bonus.admin_fraud"))
    return render_template("bonus/admin_fraud.html", form=form, cases=bonus_fraud.cases(),
                           recovery_form=RecoveryForm(), interest_on=bonus_fraud.interest_on, on=clock.today())


@bp.route("/admin/bonus/fraud/<case_id>/recovered", methods=["POST"])
@roles_required(Role.PAYMENT_OFFICER)
def admin_fraud_recovered(case_id: str) -> Any:
    form = RecoveryForm()
    if form.validate_on_submit():
        assert form.recovered_on.data is not None
        try:
            bonus_fraud.record_recovery(current_user, object_id(case_id), form.recovered_on.data)
        except UserError as exc:
            show_error(None, exc)
        else:
            flash(_("The repayment is recorded."), "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("bonus.admin_fraud"))
