"""Registration, sign-in, lockout and password reset through the web pages."""

from __future__ import annotations

import io
import re

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from certexam import db
from certexam.models import AuditEntry, User
from certexam.services.platform.mail import outbox
from tests.conftest import post_form
from tests.factories import PASSWORD, candidate, prc_id, sign_in

REG = {
    "name_zh": "李小龙", "name_en": "Li Xiaolong", "name_family": "Li", "email": "Li.XL@Example.com", "id_type": "prc_id",
    "id_number": "110101199003070011", "password": "long-enough-pw", "confirm": "long-enough-pw",
}


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def test_register_creates_candidate_and_signs_in(app: Flask, client: FlaskClient) -> None:
    resp = post_form(client, "/auth/register", dict(REG), follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "李小龙" in html
    assert "110101199003070011" not in html  # never the full ID number
    assert "0011" in html
    with app.app_context():
        user = db.session().scalar(select(User).where(User.email == "li.xl@example.com"))
        assert user is not None and user.role.value == "candidate"
        assert user.password_hash.startswith("$argon2id$")
        actions = db.session().scalars(select(AuditEntry.action)).all()
        assert "user.register" in actions


def test_register_with_photo_stores_it_outside_static(app: Flask, client: FlaskClient) -> None:
    data = dict(REG, photo=(io.BytesIO(_png()), "me.png"))
    resp = post_form(client, "/auth/register", data, follow_redirects=True,
                     content_type="multipart/form-data")
    assert resp.status_code == 200
    photo = client.get("/account/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/png"
    assert photo.data.startswith(b"\x89PNG")


def test_register_rejects_a_fake_image(app: Flask, client: FlaskClient) -> None:
    data = dict(REG, photo=(io.BytesIO(b"<html><script>alert(1)</script></html>"), "me.png"))
    resp = post_form(client, "/auth/register", data, content_type="multipart/form-data")
    assert resp.status_code == 200
    assert "must be a JPEG or PNG" in resp.get_data(as_text=True) or "JPEG" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session().scalar(select(User)) is None  # nothing half-saved


def test_register_rejects_bad_id_and_duplicates(app: Flask, client: FlaskClient) -> None:
    bad = post_form(client, "/auth/register", dict(REG, id_number="110101199003070012"),
                    headers={"Accept-Language": "en"})
    assert "check character does not match" in bad.get_data(as_text=True)
    candidate(app, id_number="110101199003070011")
    dup = post_form(client, "/auth/register", dict(REG, email="other@example.com"),
                    headers={"Accept-Language": "en"})
    assert "already registered" in dup.get_data(as_text=True)
    with app.app_context():
        assert len(db.session().scalars(select(User)).all()) == 1


def test_register_validates_every_field(client: FlaskClient) -> None:
    resp = post_form(client, "/auth/register", {"email": "not-an-email", "password": "short", "confirm": "x"},
                     headers={"Accept-Language": "en"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert html.count('class="error"') >= 5


def test_sign_in_and_out(app: Flask, client: FlaskClient) -> None:
    user = candidate(app)
    resp = sign_in(client, user.email)
    assert resp.status_code == 302
    assert client.get("/account").status_code == 200
    post_form(client, "/auth/sign-out", {}, get_url="/")
    assert client.get("/account").status_code == 302


def test_unknown_email_gets_the_same_answer(app: Flask, client: FlaskClient) -> None:
    candidate(app, email="known@example.com")
    a = sign_in(client, "known@example.com", "wrong-password").get_data(as_text=True)
    b = sign_in(client, "nobody@example.com", "wrong-password").get_data(as_text=True)
    assert "邮箱或密码不正确" in a and "邮箱或密码不正确" in b


def test_password_reset_round_trip(app: Flask, client: FlaskClient) -> None:
    user = candidate(app)
    post_form(client, "/auth/forgot", {"email": user.email.upper()})
    with app.app_context():
        mails = outbox()
    assert len(mails) == 1 and mails[0].to == user.email
    link = re.search(r"http://[^\s]+/auth/reset/\S+", mails[0].body)
    assert link
    path = link.group(0).split("localhost", 1)[1]
    resp = post_form(client, path, {"password": "brand-new-pass", "confirm": "brand-new-pass"})
    assert resp.status_code == 302
    assert sign_in(client, user.email, "brand-new-pass").status_code == 302
    # the link dies once used
    client2 = app.test_client()
    again = post_form(client2, path, {"password": "another-pass-1", "confirm": "another-pass-1"},
                      headers={"Accept-Language": "en"})
    assert "already been used" in again.get_data(as_text=True)


def test_reset_for_unknown_email_sends_nothing(app: Flask, client: FlaskClient) -> None:
    post_form(client, "/auth/forgot", {"email": "ghost@example.com"})
    with app.app_context():
        assert outbox() == []


def test_forged_reset_token_is_refused(client: FlaskClient) -> None:
    resp = post_form(client, "/auth/reset/not-a-token", {"password": "brand-new-pass", "confirm": "brand-new-pass"},
                     headers={"Accept-Language": "en"})
    assert "not valid" in resp.get_data(as_text=True)


def test_next_parameter_cannot_leave_the_site(app: Flask, client: FlaskClient) -> None:
    user = candidate(app)
    page = client.get("/auth/sign-in")
    from tests.conftest import csrf_from

    resp = client.post("/auth/sign-in?next=https://evil.example/", data={
        "csrf_token": csrf_from(page.get_data(as_text=True)), "email": user.email, "password": PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"] in ("/", "http://localhost/")


def test_prc_factory_makes_valid_numbers() -> None:
    from certexam.domain.identity import id_number_problem

    assert all(id_number_problem("prc_id", prc_id(n)) is None for n in range(50))
