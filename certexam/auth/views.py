"""Sign-in, sign-out, registration and password reset."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from certexam.auth import bp
from certexam.auth.forms import ChangePasswordForm, ForgotForm, RegisterForm, ResetForm, SignInForm
from certexam.errors import UserError
from certexam.extensions import limiter
from certexam.services.accounts import sessions as account_sessions
from certexam.services.accounts import signin
from certexam.services.accounts import users as accounts
from certexam.web import show_error


def safe_next(target: str | None, default: str) -> str:
    """Only follow a `next` that stays on this site (no scheme, no host).

    Control characters (CR/LF would split the Location header: a 500 before, issue 19.8; browsers drop
    tab and newline, so `/<TAB>/evil.example` becomes `//evil.example`) and backslashes (read as `/`
    by browsers) send the user to `default` instead.
    """
    if not target or any(ch < " " or ch in "\\\x7f" for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def sign_in() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = SignInForm()
    if form.validate_on_submit():
        result = signin.sign_in(form.email.data or "", form.password.data or "", request.remote_addr or "")
        if result.user is not None:
            login_user(result.user)
            return redirect(safe_next(request.args.get("next"), url_for("main.index")))
        if result.wait_seconds:  # the same for every email, known or not (domain/throttle.py)
            flash(_("Too many attempts. Wait %(seconds)d seconds and try again.", seconds=result.wait_seconds),
                  "error")
        else:
            flash(_("The email or password is not right."), "error")
    return render_template("auth/sign_in.html", form=form)


@bp.route("/sign-out", methods=["POST"])
@login_required
def sign_out() -> Any:
    account_sessions.sign_out(current_user)  # every session of the account, not just this cookie
    logout_user()
    flash(_("You have signed out on every device."), "info")
    return redirect(url_for("main.index"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"])
def change_password() -> Any:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.change_password(current_user, form.current.data or "", form.password.data or "")
        except UserError as exc:
            show_error(form, exc)
        else:
            login_user(user)  # this device goes on with the new epoch; every other session has ended
            flash(_("Your password is changed. Every other device is signed out."), "success")
            return redirect(url_for("main.account"))
    return render_template("auth/password.html", form=form)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def register() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        photo = form.photo.data.read() if form.photo.data else None
        try:
            user = accounts.register_candidate(accounts.Registration(
                email=form.email.data or "", password=form.password.data or "",
                name_zh=form.name_zh.data or "", name_en=form.name_en.data or "",
                name_family=form.name_family.data or "",
                id_type=form.id_type.data or "", id_number=form.id_number.data or "",
                photo=photo, locale=str(get_locale()),
            ))
        except UserError as exc:
            show_error(form, exc)
        else:
            login_user(user)
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.name_zh), "success")
            return redirect(url_for("main.account"))
    return render_template("auth/register.html", form=form)


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def forgot() -> Any:
    form = ForgotForm()
    if form.validate_on_submit():
        accounts.request_password_reset(
            form.email.data or "", lambda t: url_for("auth.reset", token=t, _external=True))
        flash(_("If an account uses this email, a reset link is on its way."), "info")
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def reset(token: str) -> Any:
    form = ResetForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data or "")
        except UserError as exc:
            flash(exc.message, "error")
        else:
            flash(_("Your password is changed. Sign in with the new one."), "success")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/reset.html", form=form)
