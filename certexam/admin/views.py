"""Administrator pages: accounts, organisations and the audit log."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from certexam import db
from certexam.admin import bp
from certexam.admin.forms import (
    GRANTABLE,
    ORG_CATEGORIES,
    ROLE_LABELS,
    AccountActionForm,
    AccountRoleForm,
    OrganisationForm,
    StaffAccountForm,
)
from certexam.errors import UserError
from certexam.models import STAFF_ROLES, AuditEntry, Organisation, OrgCategory, Role, User, UserRole
from certexam.services.accounts import organisations, status
from certexam.services.accounts import users as accounts
from certexam.services.platform import audit as audit_service
from certexam.web import object_id, page_number, roles_required, show_error

PAGE_SIZE = 50




@bp.route("/")
@roles_required(*sorted(STAFF_ROLES - {Role.AUDITOR}), read=(Role.AUDITOR,))
def dashboard() -> Any:
    """Every staff member's starting page: the menu shows what their roles open."""
    sess = db.session()
    counts: dict[str, int] = {str(kind): n for kind, n in sess.execute(
        select(User.role, func.count()).where(User.active).group_by(User.role))}
    counts.update((str(role), n) for role, n in sess.execute(
        select(UserRole.role, func.count()).join(User, User.id == UserRole.user_id).where(User.active)
        .group_by(UserRole.role)))
    return render_template("admin/dashboard.html", counts=counts, role_labels=ROLE_LABELS)


@bp.route("/users", methods=["GET", "POST"])
@roles_required(Role.SYSTEM_ADMIN)
def users() -> Any:
    sess = db.session()
    form = StaffAccountForm()
    orgs = sess.scalars(select(Organisation).order_by(Organisation.name)).all()
    form.organisation_id.choices = [(0, "—")] + [(o.id, o.name) for o in orgs]
    if form.validate_on_submit():
        try:
            accounts.create_staff_account(
                current_user, form.email.data or "", form.password.data or "", {Role(r) for r in form.role.data or []},
                form.name_zh.data or "", form.name_en.data or "", form.organisation_id.data or None,
                name_family=form.name_family.data or None)
        except UserError as exc:
            show_error(form, exc)
        else:
            flash(_("The account is created."), "success")
            return redirect(url_for("admin.users"))
    page = page_number(1_000_000)
    rows = sess.scalars(select(User).order_by(User.id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("admin/users.html", form=form, users=rows, page=page, page_size=PAGE_SIZE,
                           role_labels=ROLE_LABELS)


@bp.route("/users/<user_id>/role", methods=["GET", "POST"])
@roles_required(Role.SYSTEM_ADMIN)
def user_role(user_id: str) -> Any:
    """Grant and remove a staff account's roles (issue 19.6)."""
    user = db.session().get(User, object_id(user_id))
    if user is None:
        abort(404)
    form = AccountRoleForm(data={"role": sorted(r.value for r in user.roles)} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            status.set_roles(current_user, user.id, {Role(r) for r in form.role.data or []})
        except UserError as exc:
            show_error(form, exc)
        else:
            flash(_("The roles are saved; every session of the account has ended."), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/roles.html", form=form, account=user, role_labels=ROLE_LABELS,
                           grantable=GRANTABLE), 400 if form.errors else 200


@bp.route("/users/<user_id>/<step>", methods=["POST"])
@roles_required(Role.SYSTEM_ADMIN)
def user_active(user_id: str, step: str) -> Any:
    if step not in ("deactivate", "reactivate"):
        abort(404)
    if AccountActionForm().validate_on_submit():
        try:
            status.set_active(current_user, object_id(user_id), step == "reactivate")
        except UserError as exc:
            flash(exc.message, "error")
        else:
            flash(_("The account is active again.") if step == "reactivate"
                  else _("The account is deactivated; every session of it has ended."), "success")
    return redirect(url_for("admin.users"))


@bp.route("/organisations", methods=["GET", "POST"])
@roles_required(Role.SYSTEM_ADMIN)
def organisation_list() -> Any:
    sess = db.session()
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            organisations.create(current_user, form.name.data or "", form.credit_code.data or "",
                                 form.city.data or "", OrgCategory(form.category.data))
        except UserError as exc:
            show_error(form, exc)
        else:
            flash(_("The organisation is added."), "success")
            return redirect(url_for("admin.organisation_list"))
    orgs = sess.scalars(select(Organisation).order_by(Organisation.name)).all()
    return render_template("admin/organisations.html", form=form, orgs=orgs, categories=ORG_CATEGORIES)


@bp.route("/audit")
@roles_required(Role.SYSTEM_ADMIN, read=(Role.AUDITOR,))
def audit_log() -> Any:
    sess = db.session()
    page = page_number(1_000_000)
    entries = sess.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())
                           .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    checked = problems = None
    if request.args.get("verify") == "1":
        checked, problems = audit_service.verify(sess)
    return render_template("admin/audit.html", entries=entries, page=page, page_size=PAGE_SIZE,
                           checked=checked, problems=problems)
