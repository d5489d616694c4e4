"""Releasing a sitting's results with four eyes (issue 19.6): a results officer asks, a different
results officer confirms; each step first shows what will happen (certexam/confirmation.py)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from certexam import confirmation, db
from certexam.domain.scoring_types import PASS, PENDING
from certexam.errors import UserError
from certexam.models import Role, Sitting
from certexam.results import bp
from certexam.results.forms import ActionForm
from certexam.results.labels import STATUS_LABELS
from certexam.results.views import _fail, _id, _sitting_or_404
from certexam.services.results import release as results
from certexam.web import roles_required


@bp.post("/admin/results/<sitting_id>/release")
@roles_required(Role.RESULTS_OFFICER)
def admin_release(sitting_id: str) -> Any:  # untyped in the URL: the role check answers first
    """Ask for the release, or confirm another officer's request, each after a confirmation page that
    says how many candidates are told and certificates issued."""
    sid = _id(sitting_id)
    back = redirect(url_for("results.admin_sitting", sitting_id=sid))
    if not ActionForm().validate_on_submit():
        return back
    sitting = _sitting_or_404(sid)
    if sitting.results_released_at is not None:  # the menu no longer offers it; a stale page may
        flash(_("These results have already been released."), "error")
        return back
    counts = Counter(str(r.status) for r, _reg, _user in results.sitting_results(db.session(), sid))
    if not counts:
        flash(_("There are no results to release."), "error")
        return back
    asked = results.release_request(sid)
    if asked is not None and asked.requested_by_id == current_user.id:
        flash(_("You asked for this release: a different results officer must confirm it."), "error")
        return back
    expect = f"{counts.total()}/{counts[PASS]}"  # the confirmation holds for these numbers only
    if not confirmation.confirmed() or request.form.get("expect") != expect:
        return _confirm_release(sitting, counts, expect, changed=confirmation.confirmed(), second=asked is not None)
    try:
        if asked is None:
            results.request_release(current_user, sid)
            flash(_("The release is asked for. A second results officer must confirm it before anyone is told."),
                  "success")
            return back
        report = results.release(current_user, sid)
        flash(_("%(n)d results released; candidates have been told by email.", n=report.results), "success")
        if report.certificates is not None:
            flash(_("%(n)d certificates issued.", n=report.certificates), "success")
        else:
            flash(_("Certificates were not issued; issue them from the certificates pages."), "error")
    except UserError as exc:
        _fail(exc)
    return back


@bp.post("/admin/results/<sitting_id>/release/withdraw")
@roles_required(Role.RESULTS_OFFICER)
def admin_release_withdraw(sitting_id: str) -> Any:  # untyped in the URL: the role check answers first
    """Drop the open release request: its asker changed their mind, or the second officer declines."""
    sid = _id(sitting_id)
    if ActionForm().validate_on_submit():
        try:
            results.withdraw_release_request(current_user, sid)
            flash(_("The release request is withdrawn; nothing was released."), "success")
        except UserError as exc:
            _fail(exc)
    return redirect(url_for("results.admin_sitting", sitting_id=sid))


def _confirm_release(sitting: Sitting, counts: Counter[str], expect: str, changed: bool, second: bool) -> str:
    told, certs = format_decimal(counts.total()), format_decimal(counts[PASS])
    warning = None
    if changed:
        warning = _("The numbers changed since the confirmation was shown: check them again.")
    elif counts[PENDING]:
        warning = _("%(n)s results were still pending when last computed: compute again first, or the "
                    "release will be refused.", n=format_decimal(counts[PENDING]))
    return confirmation.page(
        title=_("Release the results of %(sitting)s", sitting=sitting.name),
        statement=_("Release results of %(sitting)s: %(told)s candidates will be told their result by email "
                    "and %(certs)s certificates issued.", sitting=sitting.name, told=told, certs=certs)
        + " " + (_("You are the second results officer: confirming releases them now.") if second else
                 _("You are the first results officer: nothing is released until a different results officer "
                   "confirms.")),
        details=[f"{STATUS_LABELS.get(status, status)}: {format_decimal(n)}" for status, n in sorted(counts.items())],
        warning=warning, button=_("Confirm the release") if second else _("Ask for the release"),
        fields={"expect": expect}, cancel_url=url_for("results.admin_sitting", sitting_id=sitting.id))
