"""A candidate takes a paper in real Chromium: reload, offline, takeover, deadline, late save, keyboard."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from certexam import db
from certexam.models import Attempt, Response
from certexam.services.attempts import lifecycle as attempts
from tests.exam_setup import enrol, load_bank, open_sitting
from tests.factories import PASSWORD, candidate

pytestmark = pytest.mark.browser
SAVED = "All answers saved"


@pytest.fixture
def exam_ready(live_app: Any, live_server: Any) -> dict[str, Any]:
    load_bank(live_app)
    sitting = open_sitting(live_app)
    user = candidate(live_app)
    enrol(live_app, user, sitting)
    return {"user": user, "url": live_server.url, "app": live_app}


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/auth/sign-in")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#submit").click()
    page.wait_for_url(base + "/")


def _begin(page: Any, base: str) -> None:
    page.goto(base + "/exams/")
    page.get_by_role("button", name="Begin paper P1").click()
    page.wait_for_url("**/exams/attempts/*")
    _wait_saved(page)


def _answer(page: Any, n: int, option_index: int = 0) -> str:
    """Choose an option of question n (navigating to it); return the option's key."""
    page.locator(f"#nav-{n}").click()
    option = page.locator(f"#question-{n} input[type=radio]").nth(option_index)
    option.check()
    return str(option.get_attribute("value"))


def _wait_saved(page: Any) -> None:
    # expect() polls without eval (the page's CSP forbids eval, so wait_for_function cannot run there).
    expect(page.locator("#save-status")).to_have_text(SAVED, timeout=15000)


def _stored(app: Any, user_id: int) -> dict[str, Any]:
    with app.app_context():
        att = db.session().scalar(select(Attempt).where(Attempt.user_id == user_id))
        rows = db.session().scalars(select(Response).where(Response.attempt_id == att.id))
        return {r.slot: json.loads(r.answer) if r.answer else None for r in rows}


@pytest.fixture
def en_page(browser: Any) -> Any:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


def test_reload_midway_keeps_every_answer(exam_ready: dict[str, Any], en_page: Any) -> None:
    base, page = exam_ready["url"], en_page
    _sign_in(page, base, exam_ready["user"].email)
    _begin(page, base)
    chosen = {n: _answer(page, n, n % 4) for n in (1, 2, 5)}
    _wait_saved(page)
    page.reload()
    _wait_saved(page)
    for n, key in chosen.items():
        assert page.locator(f"#q{n}-{key}").is_checked()
        assert "answered" in (page.locator(f"#nav-{n}").get_attribute("class") or "")
    assert _stored(exam_ready["app"], exam_ready["user"].id) == {str(n): k for n, k in chosen.items()}


def test_offline_answers_are_queued_and_sent_when_back(exam_ready: dict[str, Any], en_page: Any) -> None:
    base, page = exam_ready["url"], en_page
    _sign_in(page, base, exam_ready["user"].email)
    _begin(page, base)
    page.context.set_offline(True)
    a = _answer(page, 3, 1)
    b = _answer(page, 4, 2)
    expect(page.locator("#save-status")).to_contain_text("Offline", timeout=15000)
    assert _stored(exam_ready["app"], exam_ready["user"].id) == {}
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    _wait_saved(page)
    assert _stored(exam_ready["app"], exam_ready["user"].id) == {"3": a, "4": b}


def test_second_device_takes_over_and_the_first_is_told(exam_ready: dict[str, Any], browser: Any,
                                                        en_page: Any) -> None:
    base, first = exam_ready["url"], en_page
    _sign_in(first, base, exam_ready["user"].email)
    _begin(first, base)
    _answer(first, 1)
    _wait_saved(first)
    other = browser.new_context(locale="en-GB")
    second = other.new_page()
    _sign_in(second, base, exam_ready["user"].email)
    second.goto(first.url)
    _wait_saved(second)
    assert second.locator("#q1-" + str(first.locator("#question-1 input:checked").get_attribute("value"))).is_checked()
    _answer(second, 2)
    _wait_saved(second)
    _answer(first, 3)  # the old device tries to save
    first.wait_for_selector("#banner:not([hidden])")
    assert "another device" in first.locator("#banner").inner_text()
    assert "3" not in _stored(exam_ready["app"], exam_ready["user"].id)
    other.close()


def test_deadline_passes_with_the_browser_closed(exam_ready: dict[str, Any], browser: Any) -> None:
    base, app = exam_ready["url"], exam_ready["app"]
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    _sign_in(page, base, exam_ready["user"].email)
    _begin(page, base)
    key = _answer(page, 2)
    _wait_saved(page)
    context.close()  # the candidate's browser is gone
    with app.app_context():
        db.session().execute(update(Attempt).values(deadline_at=db.utcnow() - timedelta(seconds=30)))
        db.session().commit()
        assert attempts.close_expired() == 1
        att = db.session().scalar(select(Attempt).where(Attempt.user_id == exam_ready["user"].id))
        assert att.status == "submitted" and att.submit_reason == "timeout"
    assert _stored(app, exam_ready["user"].id) == {"2": key}


def test_a_save_after_the_deadline_is_refused(exam_ready: dict[str, Any], en_page: Any) -> None:
    base, page, app = exam_ready["url"], en_page, exam_ready["app"]
    _sign_in(page, base, exam_ready["user"].email)
    _begin(page, base)
    key = _answer(page, 1)
    _wait_saved(page)
    with app.app_context():
        db.session().execute(update(Attempt).values(deadline_at=db.utcnow() - timedelta(seconds=30)))
        db.session().commit()
    _answer(page, 2)
    page.wait_for_selector("#banner:not([hidden])")
    assert "Time is over" in page.locator("#banner").inner_text()
    page.wait_for_url("**/finished", timeout=15000)
    assert _stored(app, exam_ready["user"].id) == {"1": key}


def test_keyboard_only_answer_flag_review_and_submit(exam_ready: dict[str, Any], en_page: Any) -> None:
    base, page, app = exam_ready["url"], en_page, exam_ready["app"]
    _sign_in(page, base, exam_ready["user"].email)
    _begin(page, base)
    page.locator("#question-1 input[type=radio]").first.focus()
    page.keyboard.press("ArrowDown")  # radio groups move and select with the arrow keys
    _wait_saved(page)
    checked = page.locator("#question-1 input:checked").get_attribute("value")
    page.locator("#question-1 .flag-box").focus()
    page.keyboard.press("Space")
    _wait_saved(page)
    page.locator("#next-q").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "qh-2"
    page.locator("#open-submit").focus()
    page.keyboard.press("Enter")
    assert page.locator("#submit-dialog").is_visible()
    assert "1 of 45 answered, 1 flagged" in page.locator("#submit-summary").inner_text()
    page.keyboard.press("Tab")  # from "Keep working" (autofocus) to "Submit now"
    page.keyboard.press("Enter")
    page.wait_for_url("**/finished", timeout=15000)
    stored = _stored(app, exam_ready["user"].id)
    assert stored["1"] == checked
    with app.app_context():
        att = db.session().scalar(select(Attempt).where(Attempt.user_id == exam_ready["user"].id))
        assert att.status == "submitted" and att.submit_reason == "candidate"
