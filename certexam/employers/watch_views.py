"""The watch list, the webhook endpoint and its delivery log (issue 23), for employer accounts."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from certexam.certificates.forms import DIRECTION_LABELS, LEVEL_LABELS, VERDICT_LABELS
from certexam.domain import webhooks as W
from certexam.employers import bp
from certexam.employers.watch_forms import CsrfOnly, EndpointForm, WatchForm
from certexam.errors import UserError
from certexam.extensions import limiter
from certexam.models import Role
from certexam.services.employers import watch, webhooks
from certexam.web import roles_required, show_error

WATCH_ADD_RATE_LIMIT = "10/minute"  # a typed name is checked, as on the public page (its name limit)


def _watch_limit() -> str:
    return str(current_app.config.get("WATCH_ADD_RATE_LIMIT", WATCH_ADD_RATE_LIMIT))


def _page(form: WatchForm | None = None, status: int = 200) -> Any:
    org_id = watch.org_of(current_user)
    html = render_template("employers/watch.html", form=form or WatchForm(), rows=watch.listing(org_id),
                           verdicts=VERDICT_LABELS, levels=LEVEL_LABELS, directions=DIRECTION_LABELS,
                           endpoint=webhooks.endpoint_of(org_id))
    return make_response(html, status)


@bp.get("/employer/watch")
@roles_required(Role.EMPLOYER)
def watch_list() -> Any:
    """The certificates the organisation watches, with their public status."""
    return _page()


@bp.post("/employer/watch")
@roles_required(Role.EMPLOYER)
@limiter.limit(_watch_limit)
def watch_add() -> Any:
    """Watch a certificate by number and the holder's full name (also the verify page's button)."""
    form = WatchForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    try:
        cert = watch.add(watch.org_of(current_user), current_user, form.number.data or "", form.name.data or "")
    except UserError as exc:
        show_error(form, exc)
        return _page(form, exc.status)
    flash(_("Certificate %(number)s is on your watch list.", number=cert.number), "success")
    return redirect(url_for("employers.watch_list"))


@bp.post("/employer/watch/remove")
@roles_required(Role.EMPLOYER)
def watch_remove() -> Any:
    if not CsrfOnly().validate_on_submit():
        flash(_("The form expired. Try again."), "error")
    else:
        watch.remove(watch.org_of(current_user), current_user, (request.form.get("number") or "")[:40])
        flash(_("The certificate is no longer watched."), "success")
    return redirect(url_for("employers.watch_list"))


def _hook_page(form: EndpointForm | None = None, secret: str | None = None, status: int = 200) -> Any:
    org_id = watch.org_of(current_user)
    html = render_template("employers/webhook.html", form=form or EndpointForm(), secret=secret,
                           endpoint=webhooks.endpoint_of(org_id), log=webhooks.delivery_log(org_id),
                           header=W.SIGNATURE_HEADER, delivery_header=W.DELIVERY_HEADER)
    resp = make_response(html, status)
    resp.headers["Cache-Control"] = "no-store"  # the secret is on it once
    return resp


@bp.get("/employer/webhook")
@roles_required(Role.EMPLOYER)
def webhook() -> Any:
    """The webhook address, how deliveries are signed, and the delivery log."""
    return _hook_page()


@bp.post("/employer/webhook")
@roles_required(Role.EMPLOYER)
def webhook_set() -> Any:
    """Save the address with a new secret, shown on this answer only."""
    form = EndpointForm()
    if not form.validate_on_submit():
        return _hook_page(form, status=400)
    try:
        secret = webhooks.set_endpoint(current_user, form.url.data or "")
    except UserError as exc:
        show_error(form, exc)
        return _hook_page(form, status=exc.status)
    return _hook_page(EndpointForm(formdata=None), secret=secret)


@bp.post("/employer/webhook/remove")
@roles_required(Role.EMPLOYER)
def webhook_remove() -> Any:
    if not CsrfOnly().validate_on_submit():
        flash(_("The form expired. Try again."), "error")
    else:
        webhooks.remove_endpoint(current_user)
        flash(_("Webhooks are off; watch events are still mailed."), "success")
    return redirect(url_for("employers.webhook"))
