"""The verification page rendered once per certificate state (issue 20.8), and never stale: a
revocation, a suspension, a compromised key or a new language shows at once; each reader gets their own
CSRF token; a signed-in reader gets a page of their own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from certexam.certificates import page_cache
from certexam.models import Role
from certexam.services.certificates import admin as cert_admin
from certexam.services.certificates import keys
from certexam.services.platform import clock
from tests.conftest import csrf_from, post_form
from tests.factories import sign_in, staff
from tests.integration.test_certificates_service import issue, keyed_app, make_holder

EN = {"Accept-Language": "en"}
HIGH_LIMITS = {"CERT_VERIFY_RATE_LIMIT": "10000/minute", "CERT_NAME_CHECK_RATE_LIMIT": "10000/minute"}


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    page_cache.clear()
    return keyed_app(tmp_path, monkeypatch, **HIGH_LIMITS)


def _renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the page's real renders."""
    from certexam.certificates import views

    calls: list[str] = []
    real = views._render_outcome  # noqa: SLF001

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append("render")
        return real(*args, **kwargs)

    monkeypatch.setattr(views, "_render_outcome", counting)
    return calls


def test_the_page_is_rendered_once_and_each_reader_gets_their_own_token(app: Flask,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    cert = issue(app, make_holder(app, name_zh="李明", name_en="Li Ming"))
    renders = _renders(monkeypatch)
    url = "/v/" + cert.token
    first, second = app.test_client(), app.test_client()
    a = first.get(url, headers=EN).get_data(as_text=True)
    b = second.get(url, headers=EN).get_data(as_text=True)
    again = first.get(url, headers=EN).get_data(as_text=True)
    assert renders == ["render"]  # one render, three pages
    assert "Valid certificate" in b and "\x00" not in b
    assert csrf_from(a) != csrf_from(b) and csrf_from(a) == csrf_from(again)
    # The second reader's token is theirs: their name check goes through.
    html = post_form(second, url, {"name": "李明"}, headers=EN).get_data(as_text=True)
    assert "Li Ming" in html
    assert first.get(url, headers={"Accept-Language": "pt"}).status_code == 200
    # post_form's own GET (in the default language), the POST and Portuguese are pages of their own.
    assert renders == ["render"] * 4


def test_a_status_change_shows_at_once(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    cert = issue(app, make_holder(app))
    url = "/v/" + cert.token
    reader = app.test_client()
    assert "Valid certificate" in reader.get(url, headers=EN).get_data(as_text=True)
    with app.app_context():
        cert_admin.change_status(None, cert.number, cert_admin.SUSPEND, "checking a complaint")
    assert "Valid certificate" not in reader.get(url, headers=EN).get_data(as_text=True)
    with app.app_context():
        cert_admin.change_status(None, cert.number, cert_admin.REINSTATE, "complaint unfounded")
    assert "Valid certificate" in reader.get(url, headers=EN).get_data(as_text=True)
    with app.app_context():
        cert_admin.change_status(None, cert.number, cert_admin.REVOKE, "result voided")
    html = reader.get(url, headers=EN).get_data(as_text=True)
    assert "Valid certificate" not in html and "evoked" in html


def test_a_compromised_key_shows_at_once(app: Flask) -> None:
    cert = issue(app, make_holder(app))
    url = "/v/" + cert.token
    reader = app.test_client()
    assert "Valid certificate" in reader.get(url, headers=EN).get_data(as_text=True)
    with app.app_context():
        keys.compromise_key(None, cert.key_id, clock.now())
    assert "Valid certificate" not in reader.get(url, headers=EN).get_data(as_text=True)


def test_a_signed_in_reader_gets_a_page_of_their_own(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    cert = issue(app, make_holder(app))
    renders = _renders(monkeypatch)
    url = "/v/" + cert.token
    app.test_client().get(url, headers=EN)
    officer = app.test_client()
    sign_in(officer, staff(app, Role.CERTIFICATE_OFFICER).email)
    html = officer.get(url, headers=EN).get_data(as_text=True)
    assert renders == ["render", "render"]
    assert re.search(r"Sign out", html)
