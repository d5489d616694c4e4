"""Names with bidi overrides, zero-width-only text, a byte-order mark or line breaks are refused at
registration and in the admin forms (issue 19.10); accepted names are stored NFC-normalised."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from certexam import db
from certexam.models import Organisation, Role, User
from tests.conftest import post_form
from tests.factories import PASSWORD, sign_in, staff, uscc

REG = {"name_zh": "李小龙", "name_en": "Li Xiaolong", "name_family": "Li", "email": "li.xl@example.com",
       "id_type": "prc_id", "id_number": "110101199003070011", "password": "tea-at-the-harbour-9", "confirm": "tea-at-the-harbour-9"}
EN = {"Accept-Language": "en"}


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session().scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("field,value,says", [
    ("name_en", "Chan\u202eTai Man", "invisible formatting"), ("name_en", "\u200b" * 10, "invisible formatting"),
    ("name_zh", "\ufeff李小龙", "invisible formatting"), ("name_en", "Li\r\nXiaolong", "line breaks"),
    ("name_en", "Li\u2028Xiaolong", "line breaks"), ("name_zh", "\ue000\ue001", "are text"),
])
def test_registration_refuses_names_that_misdisplay(app: Flask, client: FlaskClient, field: str, value: str,
                                                    says: str) -> None:
    resp = post_form(client, "/auth/register", {**REG, field: value}, headers=EN)
    assert resp.status_code == 200 and says in resp.get_data(as_text=True)
    assert _count(app, User) == 0


def test_names_are_stored_nfc(app: Flask, client: FlaskClient) -> None:
    assert post_form(client, "/auth/register", {**REG, "name_en": " Jose\u0301  Li "}).status_code == 302
    with app.app_context():
        assert db.session().scalar(select(User.name_en)) == "Jos\u00e9 Li"


def test_admin_forms_refuse_them_too(app: Flask) -> None:
    admin = staff(app, Role.ADMIN)
    client = app.test_client()
    sign_in(client, admin.email)
    resp = post_form(client, "/admin/users", {"role": "marker", "name_zh": "职员", "name_en": "Grader\u202eWong",
                                              "email": "gw@example.com", "password": PASSWORD}, headers=EN)
    assert "invisible formatting" in resp.get_data(as_text=True) and _count(app, User) == 1
    org = post_form(client, "/admin/organisations", {"name": "\u200b\u200b", "credit_code": uscc(901),
                                                     "city": "深圳", "category": "fintech"}, headers=EN)
    assert "invisible formatting" in org.get_data(as_text=True) and _count(app, Organisation) == 0


@pytest.mark.parametrize("family,stored,says", [
    ("Li", "Li", None), (" li ", "li", None), ("Xiaolong", "Xiaolong", None),
    ("Lee", None, "as it is in the name in English"), ("Li Xiao", None, "as it is in the name in English"),
    ("Li\u202e", None, "invisible formatting"),
])
def test_registration_asks_for_the_family_name(app: Flask, client: FlaskClient, family: str, stored: str | None,
                                               says: str | None) -> None:
    """Issue 19.11: the family name is asked for, NFC and character-checked like the other names, and one or
    more whole words of the English name (where a verifier reads it)."""
    resp = post_form(client, "/auth/register", {**REG, "name_family": family}, headers=EN)
    with app.app_context():
        assert db.session().scalar(select(User.name_family)) == stored
    if says is not None:
        assert resp.status_code == 200 and says in resp.get_data(as_text=True)


@pytest.mark.parametrize("field,value,ok", [
    ("name_en", "Li " + "a" * 197, True), ("name_en", "Li " + "a" * 198, False),
    ("name_zh", "李" * 50, True), ("name_zh", "李" * 51, False),
])
def test_registration_takes_the_names_a_certificate_prints(app: Flask, client: FlaskClient, field: str, value: str,
                                                           ok: bool) -> None:
    """Issue 20.1: 200 characters in Latin letters (several family names, as Portuguese names have) and 50 in
    Chinese, the lengths the certificate prints (tests/integration/test_long_names.py); no more."""
    resp = post_form(client, "/auth/register", {**REG, field: value}, headers=EN)
    assert (resp.status_code == 302) is ok and _count(app, User) == int(ok)


def test_admin_form_asks_for_the_family_name(app: Flask) -> None:
    """Issue 19.11: the staff account form takes the family name too (blank: the English name's first word)."""
    admin = staff(app, Role.ADMIN)
    client = app.test_client()
    sign_in(client, admin.email)
    form = {"role": "marker", "name_zh": "黄职员", "name_en": "Grader Wong", "password": PASSWORD}
    refused = post_form(client, "/admin/users", {**form, "email": "a@example.com", "name_family": "Lee"}, headers=EN)
    assert "as it is in the name in English" in refused.get_data(as_text=True)
    for email, family in (("b@example.com", "wong"), ("c@example.com", "")):
        assert post_form(client, "/admin/users", {**form, "email": email, "name_family": family}).status_code == 302
    with app.app_context():
        stored = {e: f for e, f in db.session().execute(select(User.email, User.name_family).where(
            User.name_en == "Grader Wong"))}
    assert stored == {"b@example.com": "wong", "c@example.com": "Grader"}
