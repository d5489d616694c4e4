"""The shared item renderer in real Chromium (issue 17): every item kind of the fixture and shipped banks on
the exam page, each question's language switch, the review screen, and the exam page and practice feedback
at phone width."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from certexam.domain.catalogue import MODULES
from tests.e2e.exam_pages import ITEM_COUNT, go_to, number_of, sign_in_and_begin, wait_saved
from tests.exam_setup import load_bank
from tests.factories import PASSWORD, candidate

pytestmark = pytest.mark.browser
pytest_plugins = ("tests.e2e.exam_pages",)  # the kinds_ready and en_page fixtures
PHONE = {"width": 390, "height": 844}


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_every_kind_is_shown_and_answered_in_its_own_way(kinds_ready: dict[str, Any], en_page: Any) -> None:
    page = en_page
    sign_in_and_begin(page, kinds_ready["url"], kinds_ready["user"].email)
    kinds = {}
    for i in range(ITEM_COUNT):
        q = page.locator(".question").nth(i)
        kinds.setdefault(q.get_attribute("data-item-type"), number_of(q))
    assert set(kinds) == {"single_choice", "multiple_response", "true_false", "item_set", "constructed"}

    go_to(page, kinds["multiple_response"])
    boxes = page.locator(f"#question-{kinds['multiple_response']} input[type=checkbox]:not(.flag-box)")
    expect(boxes).to_have_count(4)
    boxes.nth(0).check()
    boxes.nth(2).check()
    go_to(page, kinds["true_false"])
    tf = page.locator(f"#question-{kinds['true_false']}")
    expect(tf.locator("label:visible", has_text="True")).to_have_count(1)
    tf.get_by_label("False").check()
    go_to(page, kinds["item_set"])
    case = page.locator(f"#question-{kinds['item_set']} .item-case")
    expect(case.locator("table:visible")).to_have_count(1)
    expect(case).to_contain_text("A fund manager reports these returns")
    children = page.locator(f"#question-{kinds['item_set']} .item-child")
    expect(children).to_have_count(2)
    children.nth(0).locator("input").nth(1).check()
    children.nth(1).get_by_label("True").check()
    go_to(page, kinds["constructed"])
    page.locator(f"#question-{kinds['constructed']} textarea").fill("Written in the box")
    page.locator(f"#question-{kinds['constructed']} textarea").blur()
    wait_saved(page)

    # each question's switcher shows its text, options and instructions in another language
    go_to(page, kinds["true_false"])
    tf.locator("select").select_option("zh_Hans")
    expect(tf.locator(".item-stem [lang='zh-Hans']")).to_be_visible()
    expect(tf.locator(".item-stem [lang='en']")).to_be_hidden()
    expect(tf.locator("label:visible", has_text="错误")).to_have_count(1)
    expect(tf.locator("input[value=false]")).to_be_checked()  # the answer is the question's, not a language's

    page.reload()
    wait_saved(page)
    for n in (kinds["multiple_response"], kinds["true_false"], kinds["item_set"], kinds["constructed"]):
        expect(page.locator(f"#nav-{n}")).to_have_class("nav-q answered")
    expect(boxes.nth(0)).to_be_checked()
    expect(boxes.nth(2)).to_be_checked()
    expect(children.nth(1).get_by_label("True")).to_be_checked()


def test_the_exam_page_and_review_screen_fit_a_phone(kinds_ready: dict[str, Any], browser: Any) -> None:
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        sign_in_and_begin(page, kinds_ready["url"], kinds_ready["user"].email)
        page.locator("#toggle-view").click()  # the whole paper at once: every kind on the page
        expect(page.locator(".question:visible")).to_have_count(ITEM_COUNT)
        _no_sideways_scroll(page)
        page.locator("#open-review").click()
        expect(page.locator("#review-summary")).to_contain_text(f"{ITEM_COUNT}")
        _no_sideways_scroll(page)
    finally:
        context.close()


def test_practice_feedback_fits_a_phone(live_app: Any, live_server: Any, browser: Any) -> None:
    load_bank(live_app, tuple(m.code for m in MODULES if m.level == 1), practice=True)
    user = candidate(live_app)
    context = browser.new_context(locale="en-GB", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(live_server.url + "/auth/sign-in")
        page.locator("#email").fill(user.email)
        page.locator("#password").fill(PASSWORD)
        page.locator("#submit").click()
        page.wait_for_url(live_server.url + "/")
        page.goto(live_server.url + "/exams/")
        page.get_by_role("button", name="Practise level 1").click()
        page.wait_for_url("**/exams/attempts/*")
        wait_saved(page)
        # The practice paper is drawn at random and holds multiple-response items since issue 22: the
        # first question may be answered with a checkbox (it was a radio only by chance).
        page.locator(".question").first.locator("input[type=radio], input[type=checkbox]").first.check()
        wait_saved(page)
        page.locator("#open-submit").click()
        page.locator("#confirm-submit").click()
        page.wait_for_url("**/finished")
        expect(page.locator(".practice-question").first).to_be_visible()
        expect(page.locator(".item-option.is-key").first).to_contain_text("Correct answer")
        _no_sideways_scroll(page)
    finally:
        context.close()
