"""The verification page on a phone (390 px wide) in real Chromium: read, unmask, revoke, look up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from certexam.models import Certificate
from certexam.services.certificates import admin as cert_admin
from tests.e2e.conftest import LiveServer
from tests.factories import PASSWORD
from tests.integration.test_certificates_service import issue, keyed_app, make_holder

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def cert_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[LiveServer, Certificate, str]]:
    app: Flask = keyed_app(tmp_path, monkeypatch)
    holder = make_holder(app, name_zh="李明", name_en="Li Ming")
    cert = issue(app, holder)
    with LiveServer(app) as server:
        yield server, cert, holder.email


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-US", viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_verify_page_on_a_phone(cert_site: tuple[LiveServer, Certificate, str], phone: Any) -> None:
    server, cert, _ = cert_site
    phone.goto(f"{server.url}/V/{cert.token}")
    verdict = phone.locator(".verdict")
    assert "Valid certificate" in verdict.inner_text()
    assert fits_the_screen(phone)
    box = verdict.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"] and box["y"] < 400  # seen without scrolling
    body = phone.locator("main").inner_text()
    assert cert.number in body and "李*" in body and "L*** M***" in body and "Li Ming" not in body
    button = phone.locator("main form input[type=submit]").first
    button_box = button.bounding_box()
    assert button_box is not None and button_box["height"] >= 40  # a comfortable touch target

    phone.fill("#name", "ming li")
    phone.locator("input[type=submit][name=submit]").first.click()
    phone.wait_for_load_state()
    body = phone.locator("main").inner_text()
    assert "Li Ming" in body and "李明" in body and fits_the_screen(phone)

    with server.app.app_context():
        cert_admin.change_status(None, cert.number, cert_admin.REVOKE, "test")
    phone.goto(f"{server.url}/v/{cert.token}")
    assert "Revoked" in phone.locator(".verdict").inner_text()
    assert "verdict-bad" in (phone.locator(".verdict").get_attribute("class") or "")


def test_lookup_and_holder_list_on_a_phone(cert_site: tuple[LiveServer, Certificate, str], phone: Any) -> None:
    server, cert, email = cert_site
    phone.goto(f"{server.url}/verify")
    assert fits_the_screen(phone)
    phone.fill("#number", cert.number.lower())
    phone.fill("#surname", "Li")
    phone.locator("input[type=submit]").click()
    phone.wait_for_load_state()
    assert "Valid certificate" in phone.locator(".verdict").inner_text() and fits_the_screen(phone)

    phone.goto(f"{server.url}/auth/sign-in")
    phone.fill("#email", email)
    phone.fill("#password", PASSWORD)
    phone.click("#submit")
    phone.goto(f"{server.url}/certificates")
    assert cert.number in phone.locator(".cert-list").inner_text()
    assert fits_the_screen(phone)
