"""Four languages: negotiation, switching, <html lang>, complete catalogs."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from certexam.models import Role
from tests.conftest import post_form
from tests.factories import candidate, sign_in, staff

TRANSLATIONS = Path(__file__).resolve().parents[2] / "certexam" / "translations"


@pytest.mark.parametrize("accept,lang,word", [
    ("zh-CN,zh;q=0.9", "zh-Hans", "登录"),
    ("zh-TW", "zh-Hant", "登入"),
    ("zh-HK,en;q=0.5", "zh-Hant", "登入"),
    ("en-GB,en;q=0.9", "en", "Sign in"),
    ("pt-BR", "pt", "Entrar"),
    ("de-DE", "zh-Hans", "登录"),
    ("", "zh-Hans", "登录"),
])
def test_language_from_accept_language(client: FlaskClient, accept: str, lang: str, word: str) -> None:
    html = client.get("/auth/sign-in", headers={"Accept-Language": accept}).get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert word in html


def test_switcher_sets_a_cookie_for_visitors(client: FlaskClient) -> None:
    resp = post_form(client, "/lang", {"lang": "pt", "next": "/auth/register"}, get_url="/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/auth/register")
    html = client.get("/auth/register", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="pt">' in html and "Criar uma conta de candidato" in html


def test_switcher_refuses_unknown_language_and_foreign_next(client: FlaskClient) -> None:
    assert post_form(client, "/lang", {"lang": "fr"}, get_url="/").status_code == 400
    resp = post_form(client, "/lang", {"lang": "en", "next": "//evil.example/x"}, get_url="/")
    assert resp.headers["Location"] in ("/", "http://localhost/")


def test_users_setting_wins_over_the_browser(app: Flask, client: FlaskClient) -> None:
    user = candidate(app)
    sign_in(client, user.email)
    post_form(client, "/lang", {"lang": "zh_Hant"}, get_url="/")
    other = app.test_client()  # a new device: no cookie, an English browser
    sign_in(other, user.email)
    html = other.get("/account", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="zh-Hant">' in html and "我的帳戶" in html


@pytest.mark.parametrize("lang,tag,title", [("zh_Hans", "zh-Hans", "系统管理"), ("zh_Hant", "zh-Hant", "系統管理"),
                                            ("en", "en", "Administration"), ("pt", "pt", "Administração")])
def test_every_page_in_every_language(app: Flask, client: FlaskClient, lang: str, tag: str, title: str) -> None:
    admin = staff(app, Role.ADMIN)
    sign_in(client, admin.email)
    post_form(client, "/lang", {"lang": lang}, get_url="/")
    for path in ["/", "/account", "/admin/", "/admin/users", "/admin/organisations", "/admin/audit"]:
        html = client.get(path).get_data(as_text=True)
        assert f'<html lang="{tag}">' in html, path
        assert title in html, path


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en", "pt"])
def test_catalog_has_no_untranslated_or_fuzzy_string(lang: str) -> None:
    template = read_po((TRANSLATIONS / "messages.pot").open("rb"))
    catalog = read_po((TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb"))
    wanted = {m.id for m in template if m.id}
    problems = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    missing = wanted - {m.id for m in catalog if m.id}
    assert problems == [] and missing == set()


def test_template_is_up_to_date_with_the_code(tmp_path: Path) -> None:
    """Every marked string in the code is in messages.pot (run `make extract-messages` if not)."""
    from babel.messages.extract import extract_from_dir

    root = TRANSLATIONS.parents[1]
    method_map = [("certexam/**.py", "python"), ("certexam/templates/**.html", "jinja2")]
    found = set()
    for _f, _l, msg, _c, _ctx in extract_from_dir(str(root), method_map, keywords={"_": None, "_l": None,
                                                  "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)},
                                                  directory_filter=lambda d: ".venv" not in d):
        found.add(msg if isinstance(msg, str) else msg[0])
    template = {m.id if isinstance(m.id, str) else m.id[0]
                for m in read_po((TRANSLATIONS / "messages.pot").open("rb")) if m.id}
    assert found - template == set()
