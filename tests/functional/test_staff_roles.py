"""Staff roles (issue 19.6): a system administrator grants and removes them on the account's page, the
change is audited and ends the account's sessions, and nobody can leave the service without an active
system administrator. Before, an account had one role and ADMIN did everything."""

from __future__ import annotations

import json
import re

from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from certexam import db
from certexam.errors import UserError
from certexam.models import AuditEntry, Role, User
from certexam.services.accounts import status
from tests.conftest import post_form
from tests.factories import candidate, sign_in, staff


def _roles(app: Flask, user_id: int) -> frozenset[Role]:
    with app.app_context():
        user = db.session().get(User, user_id)
        assert user is not None
        return user.roles


def test_an_administrator_grants_and_removes_roles_on_the_account_page(app: Flask) -> None:
    admin, person = staff(app, {Role.SYSTEM_ADMIN}), staff(app, {Role.MARKER})
    client = app.test_client()
    sign_in(client, admin.email)
    page = client.get(f"/admin/users/{person.id}/role", headers={"Accept-Language": "en"}).get_data(as_text=True)
    checked = set(re.findall(r'<input checked[^>]*value="(\w+)"', page))
    assert checked == {"marker"}, checked  # the form shows the roles held
    resp = post_form(client, f"/admin/users/{person.id}/role", {"role": ["proctor", "results_officer"]},
                     get_url=f"/admin/users/{person.id}/role")
    assert resp.status_code == 302
    assert _roles(app, person.id) == {Role.PROCTOR, Role.RESULTS_OFFICER}
    with app.app_context():
        entry = db.session().scalar(select(AuditEntry).where(AuditEntry.action == "user.roles"))
        assert entry is not None and entry.actor_id == admin.id
        assert json.loads(entry.after)["granted"] == ["proctor", "results_officer"]
        assert json.loads(entry.after)["removed"] == ["marker"]
    refused = post_form(client, f"/admin/users/{person.id}/role", {"role": ["candidate"]},
                        get_url=f"/admin/users/{person.id}/role")
    assert refused.status_code == 400 and _roles(app, person.id) == {Role.PROCTOR, Role.RESULTS_OFFICER}
    empty = post_form(client, f"/admin/users/{person.id}/role", {}, get_url=f"/admin/users/{person.id}/role")
    assert empty.status_code == 400


def test_only_a_system_administrator_changes_roles(app: Flask) -> None:
    officer, person = staff(app, {Role.RESULTS_OFFICER, Role.AUDITOR}), staff(app, {Role.MARKER})
    client = app.test_client()
    sign_in(client, officer.email)
    assert client.get(f"/admin/users/{person.id}/role").status_code == 403
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/audit").status_code == 200  # the auditor reads the log


def test_nobody_leaves_the_service_without_a_system_administrator(app: Flask) -> None:
    first, second = staff(app, {Role.SYSTEM_ADMIN}), staff(app, {Role.SYSTEM_ADMIN, Role.AUDITOR})
    with app.app_context(), force_locale("en"):
        status.set_roles(first, second.id, {Role.AUDITOR})  # another one stays: allowed
        try:
            status.set_roles(None, first.id, {Role.AUDITOR})  # the CLI, on the last one
        except UserError as exc:
            assert "last system administrator" in exc.message
        else:
            raise AssertionError("the last system administrator lost the role")
        try:
            status.set_active(second, first.id, False)
        except UserError as exc:
            assert "last system administrator" in exc.message
        else:
            raise AssertionError("the last system administrator was deactivated")
    assert _roles(app, first.id) == {Role.SYSTEM_ADMIN}


def test_candidates_and_employers_keep_their_one_role(app: Flask) -> None:
    admin, cand, boss = staff(app, {Role.SYSTEM_ADMIN}), candidate(app), staff(app, Role.EMPLOYER)
    with app.app_context():
        for user in (cand, boss):
            try:
                status.set_roles(admin, user.id, {Role.MARKER})
            except UserError:
                pass
            else:
                raise AssertionError(f"{user.email} got a staff role")
    assert _roles(app, cand.id) == {Role.CANDIDATE} and _roles(app, boss.id) == {Role.EMPLOYER}
