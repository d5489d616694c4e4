"""Home page, language switch and the signed-in user's own account page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import abort, current_app, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from certexam.auth.views import safe_next
from certexam.domain.locales import SUPPORTED
from certexam.i18n import COOKIE
from certexam.main import bp
from certexam.services.accounts import users as accounts
from certexam.services.platform import uploads


@bp.route("/")
def index() -> Any:
    return render_template("main/index.html")


@bp.route("/favicon.ico")
def favicon() -> Any:
    """Browsers ask for /favicon.ico whatever the page links; send them to the SVG icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.route("/lang", methods=["POST"])
def set_language() -> Any:
    """Switch the page language; remembered on the account and in a cookie."""
    code = request.form.get("lang", "")
    target = safe_next(request.form.get("next"), url_for("main.index"))
    if code not in SUPPORTED:
        abort(400)
    if current_user.is_authenticated:
        accounts.set_locale(current_user, code)
    resp = redirect(target)
    resp.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                    secure=bool(current_app.config["PRODUCTION"]))
    return resp


@bp.route("/account")
@login_required
def account() -> Any:
    return render_template("main/account.html", user=current_user)


@bp.route("/account/photo")
@login_required
def own_photo() -> Any:
    """The signed-in user's own registration photo, never inline HTML."""
    if not current_user.photo_path:
        abort(404)
    path = (uploads.uploads_dir() / current_user.photo_path).resolve()
    if uploads.uploads_dir().resolve() not in path.parents or not Path(path).is_file():
        abort(404)
    mimetype = "image/png" if path.suffix == ".png" else "image/jpeg"
    return send_file(path, mimetype=mimetype, max_age=0)
