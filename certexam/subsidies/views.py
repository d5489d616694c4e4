"""Training-subsidy pages (issue 23; rules s.4): projects, applications, review, notice, budget.

Institutions (employer-kind accounts of a training institution) register projects and apply;
bonus checkers and approvers check and review, as for the bonus; payment is the bonus's
payment batches (/admin/bonus/payouts), which take funded subsidies too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from certexam.bonus.forms import ActionForm, ReviewForm
from certexam.errors import UserError
from certexam.models import Role
from certexam.models.bonus import ApplicationStatus
from certexam.services.bonus import labels as bonus_labels
from certexam.services.subsidies import applications as subsidy_applications
from certexam.services.subsidies import budget as subsidy_budget
from certexam.services.subsidies import notice as subsidy_notice
from certexam.services.subsidies import projects as subsidy_projects
from certexam.services.subsidies.labels import MEASURES
from certexam.subsidies import bp
from certexam.subsidies.forms import ApplyForm, CheckForm, ObjectionForm, ProjectForm
from certexam.web import flash_form_errors, object_id, roles_required, show_error

STAFF = (Role.BONUS_CHECKER, Role.BONUS_APPROVER, Role.PAYMENT_OFFICER)


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {**bonus_labels.template_helpers(), "measures": MEASURES}


# --- institutions ------------------------------------------------------------------------------------


@bp.route("/subsidies/", methods=["GET", "POST"])
@roles_required(Role.EMPLOYER)
def institution_home() -> Any:
    """The institution's projects and applications; registers a new project.

    Another employer sees what the page is for and who may use it (not a 403: the employer role
    opens the page, the organisation's category decides what it offers)."""
    if not subsidy_projects.is_institution(current_user):
        return render_template("subsidies/home.html", institution=False)
    form = ProjectForm()
    if form.validate_on_submit():
        assert form.starts_on.data is not None and form.ends_on.data is not None
        data = subsidy_projects.ProjectInput(form.measure.data or "", form.code.data or "", form.title.data or "",
                                             form.starts_on.data, form.ends_on.data, form.audit_firm.data or "",
                                             form.audit_report_no.data or "", form.audited_costs_yuan.data or "")
        try:
            subsidy_projects.register(current_user, data)
        except UserError as exc:
            show_error(form, exc)
        else:
            flash(_("The project is registered: you can apply for its subsidy."), "success")
            return redirect(url_for("subsidies.institution_home"))
    projects = subsidy_projects.projects_of(current_user)  # Forbidden for other employers
    return render_template("subsidies/home.html", institution=True, form=form, projects=projects,
                           apps=subsidy_applications.applications_of(current_user), action=ActionForm())


@bp.route("/subsidies/projects/<project_id>/apply", methods=["GET", "POST"])
@roles_required(Role.EMPLOYER)
def apply(project_id: str) -> Any:
    project = subsidy_projects.own_project(current_user, object_id(project_id))
    form = ApplyForm()
    if form.validate_on_submit():
        data = subsidy_applications.ApplyInput(project.id, bool(form.no_same_kind_award.data),
                                               bool(form.truthful.data), form.bank_name.data or "",
                                               form.bank_account.data or "", form.bank_account_kind.data or "",
                                               form.bank_cnaps.data or "")
        try:
            app = subsidy_applications.apply(current_user, data)
        except UserError as exc:
            show_error(form, exc)
        else:
            flash(_("Application %(ref)s is submitted.", ref=app.reference), "success")
            return redirect(url_for("subsidies.institution_home"))
    return render_template("subsidies/apply.html", form=form, project=project)


@bp.route("/subsidies/applications/<application_id>/<step>", methods=["POST"])
@roles_required(Role.EMPLOYER)
def institution_step(application_id: str, step: str) -> Any:
    """Withdraw, or send a returned application again."""
    aid = object_id(application_id)
    if step not in ("withdraw", "resubmit"):
        return redirect(url_for("subsidies.institution_home"))
    if ActionForm().validate_on_submit():
        try:
            (subsidy_applications.withdraw if step == "withdraw" else subsidy_applications.resubmit)(current_user, aid)
        except UserError as exc:
            show_error(None, exc)
        else:
            flash(_("The application is updated."), "success")
    return redirect(url_for("subsidies.institution_home"))


@bp.route("/subsidies/notice")
def public_notice() -> Any:
    """The public notice (公示) of subsidies: open to everyone."""
    return render_template("subsidies/public_notice.html", lines=subsidy_notice.public_notice())


# --- staff -------------------------------------------------------------------------------------------


@bp.route("/subsidies/admin/")
@roles_required(*STAFF, read=(Role.AUDITOR,))
def admin_dashboard() -> Any:
    status = request.args.get("status", "")
    chosen = ApplicationStatus(status) if status in {s.value for s in ApplicationStatus} else None
    return render_template("subsidies/admin_dashboard.html", apps=subsidy_applications.listing(chosen),
                           budgets=subsidy_budget.overview(), status=chosen.value if chosen else "",
                           statuses=list(ApplicationStatus), action=ActionForm())


@bp.route("/subsidies/admin/applications/<application_id>")
@roles_required(*STAFF, read=(Role.AUDITOR,))
def admin_application(application_id: str) -> Any:
    app = subsidy_applications.get(object_id(application_id))
    return render_template("subsidies/admin_application.html", app=app,
                           checklist=subsidy_applications.checklist(app), check_form=CheckForm(),
                           review_form=ReviewForm(), objection_form=ObjectionForm())


def _back(aid: int) -> Any:
    return redirect(url_for("subsidies.admin_application", application_id=aid))


def _decide(aid: int, form: Any, act: Callable[[], object], done: str) -> Any:
    """An officer's decision on an application: run it if the form is valid, say what happened, go back."""
    if form.validate_on_submit():
        try:
            act()
        except UserError as exc:
            show_error(None, exc)
        else:
            flash(done, "success")
    else:
        flash_form_errors(form)
    return _back(aid)


@bp.route("/subsidies/admin/applications/<application_id>/check", methods=["POST"])
@roles_required(Role.BONUS_CHECKER)
def admin_check(application_id: str) -> Any:
    aid, form = object_id(application_id), CheckForm()
    return _decide(aid, form, lambda: subsidy_applications.check(
        current_user, aid, bool(form.complete.data), form.note.data or ""), _("The decision is recorded."))


@bp.route("/subsidies/admin/applications/<application_id>/review", methods=["POST"])
@roles_required(Role.BONUS_APPROVER)
def admin_review(application_id: str) -> Any:
    aid, form = object_id(application_id), ReviewForm()
    return _decide(aid, form, lambda: subsidy_notice.review(
        current_user, aid, bool(form.approve.data), form.note.data or ""), _("The decision is recorded."))


@bp.route("/subsidies/admin/applications/<application_id>/objection", methods=["POST"])
@roles_required(Role.BONUS_APPROVER)
def admin_objection(application_id: str) -> Any:
    aid, form = object_id(application_id), ObjectionForm()
    return _decide(aid, form, lambda: subsidy_notice.uphold_objection(current_user, aid, form.note.data or ""),
                   _("The objection is upheld: the application is rejected."))


@bp.route("/subsidies/admin/notices/close", methods=["POST"])
@roles_required(Role.BONUS_APPROVER)
def admin_close_notices() -> Any:
    if ActionForm().validate_on_submit():
        outcomes = subsidy_notice.close_ended_notices()
        flash(_("%(n)d application(s) approved for payment.", n=outcomes.count("approved")), "success")
    return redirect(url_for("subsidies.admin_dashboard"))
