"""Sessions that can be ended (issue 19.2).

A probe captured a session cookie and still opened /account and the API with it
after the owner signed out and after a completed password reset. Here a second
client holding a copy of the cookie stands for the thief (or the other device).
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from certexam import db, sessions
from certexam.models import Response, Role, User, UserRole
from certexam.services.platform.mail import outbox
from tests.conftest import csrf_from, make_app, post_form
from tests.exam_setup import enrol, load_bank, open_sitting
from tests.factories import PASSWORD, candidate, sign_in, staff

NEW_PASSWORD = "brand-new-pass-77"


def _copy(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another client with the same session cookie: a captured cookie, or the account's other device."""
    thief = app.test_client()
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief.set_cookie("session", cookie.value)
    return thief


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def _api_ok(client: FlaskClient) -> bool:
    return client.get("/api/v1/registrations").status_code == 200


def test_sign_out_ends_a_captured_cookie(app: Flask, client: FlaskClient) -> None:
    user = candidate(app)
    sign_in(client, user.email)
    thief = _copy(app, client)
    assert _signed_in(thief) and _api_ok(thief)
    post_form(client, "/auth/sign-out", {}, get_url="/account")
    assert not _signed_in(client)
    assert not _signed_in(thief)
    assert thief.get("/api/v1/registrations").status_code == 401


def test_password_reset_ends_every_session(app: Flask, client: FlaskClient) -> None:
    user = candidate(app)
    device = app.test_client()
    sign_in(device, user.email)
    assert _signed_in(device)
    post_form(client, "/auth/forgot", {"email": user.email})
    with app.app_context():
        link = re.search(r"/auth/reset/\S+", outbox()[-1].body)
    assert link
    assert post_form(client, link.group(0), {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert not _signed_in(device) and device.get("/api/v1/registrations").status_code == 401
    assert sign_in(client, user.email, NEW_PASSWORD).status_code == 302 and _signed_in(client)


def test_password_change_keeps_this_device_and_ends_the_others(app: Flask, client: FlaskClient) -> None:
    user = candidate(app)
    sign_in(client, user.email)
    other = _copy(app, client)
    wrong = post_form(client, "/auth/password", {"current": "not-it-at-all", "password": NEW_PASSWORD,
                                                  "confirm": NEW_PASSWORD}, headers={"Accept-Language": "en"})
    assert "current password is not right" in wrong.get_data(as_text=True) and _signed_in(other)
    done = post_form(client, "/auth/password", {"current": PASSWORD, "password": NEW_PASSWORD,
                                                 "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert _signed_in(client) and not _signed_in(other)
    with app.app_context():
        assert db.session().get(User, user.id).session_epoch == 1  # type: ignore[union-attr]


def _as_admin(app: Flask) -> FlaskClient:
    admin = staff(app, Role.ADMIN)
    client = app.test_client()
    sign_in(client, admin.email)
    return client


def test_role_change_ends_every_session(app: Flask) -> None:
    grader = staff(app, Role.GRADER)
    device = app.test_client()
    sign_in(device, grader.email)
    admin = _as_admin(app)
    resp = post_form(admin, f"/admin/users/{grader.id}/role", {"role": [Role.MARKER.value, Role.PROCTOR.value]},
                     get_url=f"/admin/users/{grader.id}/role")
    assert resp.status_code == 302
    assert not _signed_in(device)
    with app.app_context():
        assert db.session().get(User, grader.id).roles == {Role.MARKER, Role.PROCTOR}  # type: ignore[union-attr]


def test_deactivation_ends_every_session_and_reactivation_does_not_revive_them(app: Flask) -> None:
    user = candidate(app)
    device = app.test_client()
    sign_in(device, user.email)
    admin = _as_admin(app)
    post_form(admin, f"/admin/users/{user.id}/deactivate", {}, get_url="/admin/users")
    assert not _signed_in(device)
    post_form(admin, f"/admin/users/{user.id}/reactivate", {}, get_url="/admin/users")
    assert not _signed_in(device)  # the old cookie names an ended epoch
    assert sign_in(device, user.email).status_code == 302 and _signed_in(device)


def test_an_administrator_cannot_lock_themselves_out(app: Flask) -> None:
    admin = _as_admin(app)
    with app.app_context():
        me = db.session().scalar(select(User).where(User.staff_roles.any(UserRole.role == Role.SYSTEM_ADMIN)))
    assert me is not None
    post_form(admin, f"/admin/users/{me.id}/deactivate", {}, get_url="/admin/users")
    assert _signed_in(admin)


def test_a_session_from_before_the_epoch_is_nobody(app: Flask, client: FlaskClient) -> None:
    user = candidate(app)
    with client.session_transaction() as sess:  # the cookie format before this change: the bare id
        sess["_user_id"], sess["_fresh"] = str(user.id), True
        sess[sessions.OPENED] = sess[sessions.SEEN] = int(time.time())
    assert not _signed_in(client)
    assert client.get("/api/v1/registrations").status_code == 401


@pytest.mark.parametrize("stamp,age", [(sessions.SEEN, 121 * 60), (sessions.OPENED, 12 * 3600 + 1)])
def test_idle_and_absolute_timeouts(app: Flask, client: FlaskClient, stamp: str, age: int) -> None:
    user = candidate(app)
    sign_in(client, user.email)
    assert _signed_in(client)
    with client.session_transaction() as sess:
        sess[stamp] = int(time.time()) - age
    assert not _signed_in(client)


def test_timeouts_are_settings(tmp_path: Any) -> None:
    app = make_app(tmp_path, SESSION_IDLE_MINUTES=1)
    client = app.test_client()
    sign_in(client, candidate(app).email)
    with client.session_transaction() as sess:
        sess[sessions.SEEN] = int(time.time()) - 61
    assert not _signed_in(client)
    app.extensions["certexam.engine"].dispose()


def test_the_cookie_is_not_rewritten_on_every_call(app: Flask, client: FlaskClient) -> None:
    """The last-used stamp moves at most once a minute: a run of autosaves does not re-sign the cookie."""
    sign_in(client, candidate(app).email)
    client.get("/account")
    resp = client.get("/api/v1/registrations")
    assert resp.status_code == 200 and "Set-Cookie" not in resp.headers


def test_the_exam_hot_path_refuses_an_ended_session(app: Flask, client: FlaskClient) -> None:
    """Autosave authenticates inside its own statement (no user loaded): it must see the epoch too."""
    load_bank(app)
    user = candidate(app)
    reg = enrol(app, user, open_sitting(app))
    sign_in(client, user.email)
    token = csrf_from(client.get("/account").get_data(as_text=True))
    headers = {"X-CSRFToken": token}
    started = client.post(f"/api/v1/registrations/{reg}/papers/P1/start", headers=headers).get_json()
    save = {"seq": 1, "device": started["device"], "answer": "A"}
    url = f"/api/v1/attempts/{started['attempt_id']}/answers/1"
    thief = _copy(app, client)
    assert thief.put(url, json=save, headers=headers).status_code == 200
    post_form(client, "/auth/sign-out", {}, get_url="/account")
    refused = thief.put(url, json={**save, "seq": 2, "answer": "B"}, headers=headers)
    assert refused.status_code == 401
    assert thief.get(f"/api/v1/attempts/{started['attempt_id']}").status_code == 401
    with app.app_context():
        stored = db.session().scalars(select(Response.answer).where(Response.attempt_id == started["attempt_id"]))
        assert list(stored) == ['"A"']  # JSON: the first save only
