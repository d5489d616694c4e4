"""Employers' bulk verification pages (issue 23): upload a staff list, see each line's result, download
the signed PDF or the CSV report, and the organisation's verification history."""

from __future__ import annotations

import io
from typing import Any

from flask import abort, current_app, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from certexam.body_limits import size_text
from certexam.crypto.keystore import KeyStoreError
from certexam.domain.staff_list import MAX_LINES
from certexam.employers import bp
from certexam.employers.bulk_forms import StaffListForm
from certexam.errors import UserError
from certexam.extensions import limiter
from certexam.models import Role
from certexam.services.employers import bulk, history, report
from certexam.services.employers.staff_files import MAX_FILE_BYTES
from certexam.web import object_id, page_number, roles_required, show_error

UPLOAD_RATE_LIMIT = "30/hour"  # each run checks up to 2,000 certificates: well above an HR office's need
REPORT_RATE_LIMIT = "20/minute"  # each PDF is signed (about half a second of CPU, more for long lists)


def _limit(name: str, default: str) -> Any:
    return lambda: current_app.config.get(name, default)


@bp.route("/employer/verifications")
@roles_required(Role.EMPLOYER)
def bulk_history() -> Any:
    page = page_number()
    return render_template("employers/bulk_history.html", runs=history.runs(current_user, page), page=page,
                           page_size=history.PAGE_SIZE, organisation=current_user.organisation)


@bp.route("/employer/verifications/new", methods=["GET", "POST"])
@roles_required(Role.EMPLOYER)
@limiter.limit(_limit("EMPLOYER_BULK_RATE_LIMIT", UPLOAD_RATE_LIMIT), methods=["POST"])
def bulk_upload() -> Any:
    form = StaffListForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            run_id = bulk.verify_staff_list(current_user, upload.filename or "", upload.read(MAX_FILE_BYTES + 1))
        except UserError as exc:
            show_error(form, exc)
        else:
            return redirect(url_for("employers.bulk_run", run_id=run_id))
    return render_template("employers/bulk_upload.html", form=form, max_lines=MAX_LINES,
                           max_size=size_text(MAX_FILE_BYTES)), 400 if form.errors else 200


@bp.route("/employer/verifications/<run_id>")
@roles_required(Role.EMPLOYER)
def bulk_run(run_id: str) -> Any:
    run = history.run_of(current_user, object_id(run_id))
    return render_template("employers/bulk_run.html", run=run, rows=[report.row(line) for line in run.lines],
                           headers=report.headers(), outcomes=report.OUTCOME_LABELS)


@bp.route("/employer/verifications/<run_id>/report.csv")
@roles_required(Role.EMPLOYER)
def bulk_report_csv(run_id: str) -> Any:
    run = history.run_of(current_user, object_id(run_id))
    return send_file(io.BytesIO(report.report_csv(run)), mimetype="text/csv", as_attachment=True,
                     download_name=f"verification-{run.report_id}.csv", max_age=0)


@bp.route("/employer/verifications/<run_id>/report.pdf")
@roles_required(Role.EMPLOYER)
@limiter.limit(_limit("EMPLOYER_REPORT_RATE_LIMIT", REPORT_RATE_LIMIT))
def bulk_report_pdf(run_id: str) -> Any:
    run = history.run_of(current_user, object_id(run_id))
    try:
        pdf = report.report_pdf(run, url_for("certificates.root_pem", _external=True))
    except KeyStoreError:
        current_app.logger.exception("cannot sign a bulk verification report")
        abort(503, _("The report cannot be signed just now. Try again later."))
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"verification-{run.report_id}.pdf", max_age=0)
