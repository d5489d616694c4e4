"""Inputs that used to answer 500 (issue 19.8): control characters, ids out of range, CR/LF in `next`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from certexam import db
from certexam.auth.views import safe_next
from certexam.models import Role, User
from tests.conftest import csrf_from, make_app, post_form
from tests.factories import PASSWORD, sign_in, staff

REG = {"name_zh": "李小龙", "name_en": "Li Xiaolong", "name_family": "Li", "email": "li@example.com", "id_type": "prc_id",
       "id_number": "110101199003070011", "password": "long-enough-pw", "confirm": "long-enough-pw"}


@pytest.fixture
def site(tmp_path: Path, any_db_url: str) -> Any:
    app = make_app(tmp_path, any_db_url, RATELIMIT_ENABLED=False)
    yield app
    app.extensions["certexam.engine"].dispose()


def _users(app: Any) -> int:
    with app.app_context():
        return int(db.session().scalar(select(func.count()).select_from(User)) or 0)


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f"])
def test_control_characters_in_a_registration_are_400(site: Any, char: str) -> None:
    client = site.test_client()
    resp = post_form(client, "/auth/register", dict(REG, name_en=f"Li{char}Xiaolong"))
    assert resp.status_code == 400
    assert f"U+{ord(char):04X}" in resp.get_data(as_text=True)
    assert _users(site) == 0


def test_a_nul_in_an_admin_form_is_400(site: Any) -> None:
    admin = staff(site, Role.ADMIN)
    client = site.test_client()
    sign_in(client, admin.email)
    resp = post_form(client, "/admin/users", {"role": "marker", "name_zh": "职\x00员", "name_en": "Staff",
                                              "email": "g@example.com", "password": PASSWORD})
    assert resp.status_code == 400 and _users(site) == 1


def test_line_breaks_and_tabs_in_typed_text_pass_the_filter(site: Any) -> None:
    """Typed text keeps tab and line breaks (a textarea sends CR LF); the form's own rules decide."""
    client = site.test_client()
    resp = post_form(client, "/auth/sign-in", {"email": "a@example.com", "password": "two\r\nlines\tand tab"})
    assert resp.status_code == 200  # the sign-in page again (wrong password), not a refusal


def test_control_characters_in_the_address_or_query_are_400(site: Any) -> None:
    client = site.test_client()
    assert client.get("/auth/sign-in?next=/%00").status_code == 400
    assert client.get("/verify/%00abc").status_code in (400, 404)
    resp = client.get("/auth/sign-in?next=/account%0d%0aSet-Cookie:%20x=1")
    assert resp.status_code == 400 and "Set-Cookie" not in resp.headers


def test_control_characters_in_api_json_are_400(site: Any) -> None:
    client = site.test_client()
    resp = client.put("/api/v1/attempts/1/answers/1", json={"seq": 1, "device": "d", "answer": "a\u0000b"},
                      headers={"Authorization": "Bearer cx_nothing"})
    assert resp.status_code == 400 and "U+0000" in resp.get_json()["error"]


@pytest.mark.parametrize("org", [str(2**31), str(2**63), str(2**64 + 7), "-1", "99999999999999999999999"])
def test_an_organisation_id_out_of_range_is_a_form_error(site: Any, org: str) -> None:
    admin = staff(site, Role.ADMIN)
    client = site.test_client()
    sign_in(client, admin.email)
    resp = post_form(client, "/admin/users", {"role": "employer", "name_zh": "雇主", "name_en": "Employer",
                                              "email": "e@example.com", "password": PASSWORD,
                                              "organisation_id": org})
    assert resp.status_code == 200  # the form again, with its error
    assert _users(site) == 1


@pytest.mark.parametrize("target", ["/account\r\nSet-Cookie: x=1", "/\t/evil.example", "/\\evil.example",
                                    "\\\\evil.example", "//evil.example", "https://evil.example/"])
def test_safe_next_refuses_what_leaves_the_site_or_splits_headers(target: str) -> None:
    assert safe_next(target, "/home") == "/home"
    assert safe_next("/account?tab=1", "/home") == "/account?tab=1"


def test_lang_with_crlf_in_next_redirects_home(site: Any) -> None:
    client = site.test_client()
    page = client.get("/auth/sign-in")
    resp = client.post("/lang", data={"csrf_token": csrf_from(page.get_data(as_text=True)), "lang": "en",
                                      "next": "/account\r\nSet-Cookie: x=1"})
    assert resp.status_code in (302, 303) and resp.headers["Location"] == "/"
    assert "x=1" not in resp.headers.get("Set-Cookie", "")


def test_the_service_refuses_an_organisation_id_out_of_range(site: Any) -> None:
    from certexam.errors import UserError
    from certexam.services.accounts import users as accounts

    with site.app_context(), pytest.raises(UserError) as caught:
        accounts.create_staff_account(None, "e@example.com", PASSWORD, Role.EMPLOYER, "雇主", "Employer", 2**63)
    assert caught.value.field == "organisation_id"


@pytest.mark.parametrize("raw", [b'{"answer": "a\\u001bb"}', b'{"answer": "a\\bb"}', b'{"answer": "\\f"}',
                                 b'{"answer": "a\x7fb"}', b'{"an\\u0000swer": "x"}', b'{"a": [["\\u0007"]]}'])
def test_every_json_spelling_of_a_control_character_is_400(site: Any, raw: bytes) -> None:
    resp = site.test_client().put("/api/v1/attempts/1/answers/1", data=raw, content_type="application/json")
    assert resp.status_code == 400 and "U+00" in resp.get_json()["error"]


@pytest.mark.parametrize("raw", [b'{"answer": "a\\\\u0000b"}', b'{"answer": "\\u4e2d\\n\\t"}'])
def test_json_without_a_control_character_passes_the_filter(site: Any, raw: bytes) -> None:
    """An escaped backslash before `u0000`, or escaped CJK and line breaks: text, not control characters."""
    resp = site.test_client().put("/api/v1/attempts/1/answers/1", data=raw, content_type="application/json")
    assert resp.status_code == 401  # on to authentication, which this anonymous call fails
