"""The candidate's exam page in real Chromium on a paper with every item kind: fixtures and helpers
for tests/e2e/test_exam_*.py."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from certexam import db
from certexam.models import Attempt
from tests.exam_kinds import ITEM_COUNT, every_kind_sitting, load_every_kind

__all__ = ["ITEM_COUNT", "WRITTEN", "go_to", "number_of", "server_state", "sign_in", "sign_in_and_begin",
           "wait_saved"]
from tests.exam_setup import enrol
from tests.factories import PASSWORD, candidate

SAVED = "All answers saved"
WRITTEN = ".question:has(textarea)"


@pytest.fixture
def kinds_ready(live_app: Any, live_server: Any) -> dict[str, Any]:
    load_every_kind(live_app)
    user = candidate(live_app)
    enrol(live_app, user, every_kind_sitting(live_app))
    return {"user": user, "url": live_server.url, "app": live_app}


@pytest.fixture
def en_page(browser: Any) -> Any:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


def sign_in(page: Any, base: str, email: str) -> None:
    """Sign in with the factories' password and land on the home page."""
    page.goto(base + "/auth/sign-in")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#submit").click()
    page.wait_for_url(base + "/")


def sign_in_and_begin(page: Any, base: str, email: str) -> None:
    sign_in(page, base, email)
    page.goto(base + "/exams/")
    page.locator("form[action$='/papers/P1/start'] button").click()  # in any interface language
    page.wait_for_url("**/exams/attempts/*")
    wait_saved(page)


def wait_saved(page: Any) -> None:
    """Until the status line says every answer is saved, in the page's language."""
    saved = page.locator("#attempt").get_attribute("data-msg-saved") or SAVED
    expect(page.locator("#save-status")).to_have_text(saved, timeout=15000)


def number_of(question: Any) -> int:
    return int(question.get_attribute("data-number"))


def server_state(page: Any, app: Any, user_id: int) -> dict[str, Any]:
    with app.app_context():
        aid = db.session().query(Attempt.id).filter(Attempt.user_id == user_id).scalar()
    resp = page.request.get(f"{page.url.split('/exams/')[0]}/api/v1/attempts/{aid}")
    assert resp.status == 200
    return dict(resp.json())


def go_to(page: Any, n: int) -> None:
    page.locator(f"#nav-{n}").click()
    expect(page.locator(f"#question-{n}")).to_be_visible()
