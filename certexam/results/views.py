"""Results pages: candidates (/results), markers (/marking), administrators (/admin/results)."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from certexam import db
from certexam.errors import UserError
from certexam.models import Registration, Role, Sitting, User, UserRole
from certexam.results import bp
from certexam.results.forms import (
    ActionForm,
    AssignForm,
    KeyCorrectionForm,
    MarkForm,
    MisconductForm,
    RecheckAnswerForm,
    RecheckForm,
    parse_key,
    parse_marks,
)
from certexam.results.labels import REASONS, STATUS_LABELS, module_name
from certexam.services.platform import clock, jobs
from certexam.services.results import keys as results_keys
from certexam.services.results import marking
from certexam.services.results import recheck as results_recheck
from certexam.services.results import release as results
from certexam.web import roles_required


def _ctx() -> dict[str, Any]:
    return {"reasons_text": REASONS, "status_labels": STATUS_LABELS, "module_name": module_name}


def _fail(exc: UserError) -> None:
    flash(exc.message, "error")


# --- candidates ---------------------------------------------------------------------------------

@bp.route("/results/")
@roles_required(Role.CANDIDATE)
def mine() -> Any:
    return render_template("results/mine.html", items=results.my_results(current_user), **_ctx())


@bp.route("/results/<int:result_id>")
@roles_required(Role.CANDIDATE)
def detail(result_id: int) -> Any:
    try:
        view = results.my_result(current_user, result_id)
    except UserError:
        abort(404)
    last_day = results_recheck.last_day_to_ask(view.sitting)
    can_ask = last_day is not None and clock.today() <= last_day
    return render_template("results/detail.html", v=view, form=RecheckForm(), last_day=last_day, can_ask=can_ask,
                           rechecks=results_recheck.rechecks_of(result_id), **_ctx())


@bp.post("/results/<int:result_id>/recheck")
@roles_required(Role.CANDIDATE)
def recheck_request(result_id: int) -> Any:
    form = RecheckForm()
    if form.validate_on_submit():
        try:
            rc = results_recheck.request(current_user, result_id, form.reason.data or "")
            flash(_("Your re-check request is recorded. The answer is due by %(day)s.",
                    day=rc.answer_due.isoformat()), "success")
        except UserError as exc:
            _fail(exc)
    else:
        flash(_("Say briefly what should be checked."), "error")
    return redirect(url_for("results.detail", result_id=result_id))


# --- markers --------------------------------------------------------------------------------------

@bp.route("/marking/")
@roles_required(Role.MARKER)
def marking_queue() -> Any:
    return render_template("results/marking_queue.html", tasks=marking.queue(current_user))


@bp.route("/marking/tasks/<int:assignment_id>", methods=["GET", "POST"])
@roles_required(Role.MARKER)
def marking_task(assignment_id: int) -> Any:
    try:
        task = marking.task(current_user, assignment_id)
    except UserError:
        abort(404)
    form = MarkForm()
    if form.validate_on_submit():
        try:
            marking.submit(current_user, assignment_id, int(form.points.data or 0), form.note.data or "")
            flash(_("Mark saved."), "success")
            return redirect(url_for("results.marking_queue"))
        except UserError as exc:
            _fail(exc)
    return render_template("results/marking_task.html", task=task, form=form)


# --- administrators -----------------------------------------------------------------------------

@bp.route("/admin/results/")
@roles_required(Role.RESULTS_OFFICER, read=(Role.AUDITOR,))
def admin_sittings() -> Any:
    sittings = db.session().scalars(select(Sitting).order_by(Sitting.id.desc())).all()
    return render_template("results/admin_sittings.html", sittings=sittings)


def _id(raw: str) -> int:
    """A path id given as text (so that the role check answers before the URL is parsed)."""
    if not raw.isdigit():
        abort(404)
    return int(raw)


def _sitting_or_404(sitting_id: int) -> Sitting:
    sitting = db.session().get(Sitting, sitting_id)
    if sitting is None:
        abort(404)
    return sitting


@bp.route("/admin/results/<sitting_id>")
@roles_required(Role.RESULTS_OFFICER, read=(Role.AUDITOR,))
def admin_sitting(sitting_id: str) -> Any:  # untyped in the URL: the role check answers first
    sid = _id(sitting_id)
    sess = db.session()
    sitting = _sitting_or_404(sid)
    rows = results.sitting_results(sess, sid)
    graders = sess.scalars(select(User).where(User.active, User.staff_roles.any(UserRole.role == Role.MARKER))
                           .order_by(User.name_en)).all()
    assign = AssignForm()
    assign.markers.choices = [(g.id, f"{g.name_en} <{g.email}>") for g in graders]
    misconduct = MisconductForm()
    regs = sess.scalars(select(Registration).where(Registration.sitting_id == sid)
                        .order_by(Registration.admission_no)).all()
    misconduct.registration_id.choices = [(r.id, r.admission_no) for r in regs]
    return render_template(
        "results/admin_sitting.html", sitting=sitting, rows=rows, progress=marking.progress(sess, sid),
        stats=marking.marker_statistics(sess, sid), action=ActionForm(), assign=assign,
        misconduct=misconduct, keyfix=KeyCorrectionForm(), corrections=results_keys.corrections(sid),
        certificate_job=_job_line(jobs.certificates_job(sid)), json=json,
        release_request=results.release_request(sid), **_ctx())


def _job_line(job: jobs.Job | None) -> str | None:
    """The certificate job's progress in words ("Issuing 1,243 of 3,000 certificates")."""
    if job is None:
        return None
    done, total = format_decimal(job.done), format_decimal(job.total)
    line: str
    if job.stale(clock.now()):
        line = _("The certificate job stopped reporting (the worker may have stopped); you can start it again.")
    elif job.state == jobs.QUEUED:
        line = _("Certificates queued: waiting for the worker.")
    elif job.state == jobs.RUNNING:
        line = _("Issuing %(done)s of %(total)s certificates.", done=done, total=total)
    elif job.state == jobs.DONE:
        line = _("Certificates issued with their PDFs: %(done)s of %(total)s.", done=done, total=total)
    else:
        line = _("The certificate job failed after %(done)s of %(total)s; see the worker's log.", done=done,
                 total=total)
    if job.problems:
        line += " " + _("%(n)s could not be issued (see the worker's log).", n=format_decimal(job.problems))
    return line


@bp.post("/admin/results/<sitting_id>/compute")
@roles_required(Role.RESULTS_OFFICER)
def admin_compute(sitting_id: str) -> Any:  # untyped in the URL: the role check answers first
    sid = _id(sitting_id)
    if ActionForm().validate_on_submit():
        try:
            counts = results.compute(current_user, sid)
            flash(_("Results computed: %(counts)s.", counts=", ".join(f"{k} {v}" for k, v in sorted(counts.items()))),
                  "success")
        except UserError as exc:
            _fail(exc)
    return redirect(url_for("results.admin_sitting", sitting_id=sid))


@bp.post("/admin/results/<sitting_id>/certificate-pdfs")
@roles_required(Role.RESULTS_OFFICER, Role.CERTIFICATE_OFFICER)
def admin_certificate_pdfs(sitting_id: str) -> Any:  # untyped in the URL: the role check answers first
    """Queue the sitting's certificates with their PDFs for the worker; the page shows its progress."""
    sid = _id(sitting_id)
    if ActionForm().validate_on_submit():
        sitting = _sitting_or_404(sid)
        if sitting.results_released_at is None:
            flash(_("Release the results first."), "error")
        elif jobs.start_certificates(sid, current_user.id)[1]:
            flash(_("The certificates and their PDFs are queued; this page shows the progress."), "success")
        else:
            flash(_("The certificates of this sitting are already being issued."), "error")
    return redirect(url_for("results.admin_sitting", sitting_id=sid, _anchor="certificate-job"))


@bp.post("/admin/results/<sitting_id>/assign")
@roles_required(Role.RESULTS_OFFICER)
def admin_assign(sitting_id: str) -> Any:  # untyped in the URL: the role check answers first
    sid = _id(sitting_id)
    form = AssignForm()
    if form.validate_on_submit():
        try:
            n = marking.assign(current_user, sid, list(form.markers.data or []))
            flash(_("%(n)d written answers assigned to two markers each.", n=n), "success")
        except UserError as exc:
            _fail(exc)
    return redirect(url_for("results.admin_sitting", sitting_id=sid))


@bp.post("/admin/results/<sitting_id>/misconduct")
@roles_required(Role.RESULTS_OFFICER)
def admin_misconduct(sitting_id: str) -> Any:  # untyped in the URL: the role check answers first
    sid = _id(sitting_id)
    form = MisconductForm()
    form.registration_id.choices = []
    if form.validate_on_submit():
        reg = db.session().get(Registration, form.registration_id.data)
        if reg is None or reg.sitting_id != sid:
            abort(404)
        try:
            results.rule_misconduct(current_user, reg.id, int(form.ban_years.data or 0), form.evidence.data or "")
            flash(_("Ruling recorded: the result is void and the candidate is barred."), "success")
        except UserError as exc:
            _fail(exc)
    else:
        flash(_("Describe the evidence."), "error")
    return redirect(url_for("results.admin_sitting", sitting_id=sid))


@bp.post("/admin/results/<sitting_id>/key-corrections")
@roles_required(Role.RESULTS_OFFICER)
def admin_key_correction(sitting_id: str) -> Any:  # untyped in the URL: the role check answers first
    sid = _id(sitting_id)
    form = KeyCorrectionForm()
    if form.validate_on_submit():
        head, _sep, tail = (form.item.data or "").strip().partition(".")
        if not head.isdigit() or (tail and not tail.isdigit()):
            flash(_("Give the item version number, e.g. 123 or 123.2."), "error")
            return redirect(url_for("results.admin_sitting", sitting_id=sid))
        key = parse_key(form.key.data or "") if form.action.data == "rekey" else None
        try:
            fix = results_keys.correct(current_user, sid, int(head), int(tail) if tail else None,
                                       form.action.data or "", key, form.note.data or "")
            changed = len(json.loads(fix.report)["changed"])
            flash(_("Correction recorded; %(n)d results changed (see the report).", n=changed), "success")
        except UserError as exc:
            _fail(exc)
    else:
        flash(_("Explain the correction."), "error")
    return redirect(url_for("results.admin_sitting", sitting_id=sid))


@bp.route("/admin/results/rechecks")
@roles_required(Role.RESULTS_OFFICER, read=(Role.AUDITOR,))
def admin_rechecks() -> Any:
    return render_template("results/admin_rechecks.html", items=results_recheck.open_rechecks(),
                           form=RecheckAnswerForm())


@bp.post("/admin/results/rechecks/<recheck_id>")
@roles_required(Role.RESULTS_OFFICER)
def admin_recheck_answer(recheck_id: str) -> Any:
    rid = _id(recheck_id)
    form = RecheckAnswerForm()
    if form.validate_on_submit():
        try:
            marks = parse_marks(form.marks.data or "")
        except ValueError:
            flash(_("Write corrected marks as PAPER:QUESTION=POINTS, separated by commas."), "error")
            return redirect(url_for("results.admin_rechecks"))
        try:
            rc = results_recheck.answer(current_user, rid, form.answer.data or "", marks)
            flash(_("Answer sent (result %(outcome)s).", outcome=rc.status), "success")
        except UserError as exc:
            _fail(exc)
    else:
        flash(_("Write the answer to the candidate."), "error")
    return redirect(url_for("results.admin_rechecks"))
