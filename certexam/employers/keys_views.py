"""Organisation API keys (issue 23): create (shown once), list with last use, revoke."""

from __future__ import annotations

from typing import Any

from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from certexam.employers import bp
from certexam.employers.watch_forms import SCOPE_LABELS, ApiKeyForm, CsrfOnly
from certexam.errors import UserError
from certexam.models import Role
from certexam.services.employers import api_keys, watch
from certexam.web import roles_required, show_error


def _page(form: ApiKeyForm | None = None, new_key: str | None = None, status: int = 200) -> Any:
    org_id = watch.org_of(current_user)
    html = render_template("employers/keys.html", form=form or ApiKeyForm(), keys=api_keys.listing(org_id),
                           new_key=new_key, scope_labels=SCOPE_LABELS)
    resp = make_response(html, status)
    resp.headers["Cache-Control"] = "no-store"  # a new key is on it once
    return resp


@bp.get("/employer/keys")
@roles_required(Role.EMPLOYER)
def keys() -> Any:
    """The organisation's API keys: name, scopes, created, last used, revoked."""
    return _page()


@bp.post("/employer/keys")
@roles_required(Role.EMPLOYER)
def key_create() -> Any:
    """Make a key; it is shown on this answer only and kept as a hash."""
    form = ApiKeyForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    try:
        key = api_keys.create(current_user, watch.org_of(current_user), form.name.data or "", form.scopes.data or [])
    except UserError as exc:
        show_error(form, exc)
        return _page(form, status=exc.status)
    return _page(ApiKeyForm(formdata=None), new_key=key)


@bp.post("/employer/keys/<int:key_id>/revoke")
@roles_required(Role.EMPLOYER)
def key_revoke(key_id: int) -> Any:
    if not CsrfOnly().validate_on_submit():
        flash(_("The form expired. Try again."), "error")
    else:
        api_keys.revoke(current_user, watch.org_of(current_user), key_id)
        flash(_("The key is revoked: calls with it are refused from now on."), "success")
    return redirect(url_for("employers.keys"))
