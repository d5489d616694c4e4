"""Issue 18.1: a flag sends the question's own answer with it; a flagged written answer survives a reload."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.exam_pages import (
    ITEM_COUNT,
    WRITTEN,
    go_to,
    number_of,
    server_state,
    sign_in_and_begin,
    wait_saved,
)

pytestmark = pytest.mark.browser
pytest_plugins = ("tests.e2e.exam_pages",)  # the kinds_ready and en_page fixtures


def test_keyboard_only_a_flagged_written_answer_survives_a_reload(kinds_ready: dict[str, Any], en_page: Any) -> None:
    """18.1: type a short answer, flag the question, reload: the text is there and the server holds it."""
    page, app, user = en_page, kinds_ready["app"], kinds_ready["user"]
    sign_in_and_begin(page, kinds_ready["url"], user.email)
    n = number_of(page.locator(WRITTEN).first)
    page.locator(f"#nav-{n}").focus()
    page.keyboard.press("Enter")  # the navigator moves focus to the question's heading
    for _ in range(12):
        if page.evaluate("document.activeElement.tagName") == "TEXTAREA":
            break
        page.keyboard.press("Tab")
    page.keyboard.type("Disclose the holding to clients and the employer.")
    page.keyboard.press("Shift+Tab")  # out of the box: saved at once
    wait_saved(page)
    flag = page.locator(f"#question-{n} .flag-box")
    for _ in range(12):
        if page.evaluate("document.activeElement.classList.contains('flag-box')"):
            break
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    expect(flag).to_be_checked()
    wait_saved(page)
    page.reload()
    wait_saved(page)
    expect(page.locator(f"#question-{n} textarea")).to_have_value("Disclose the holding to clients and the employer.")
    expect(page.locator(f"#question-{n} .flag-box")).to_be_checked()
    state = server_state(page, app, user.id)
    assert str(n) in state["answered"] and str(n) in state["flagged"]


def test_flagging_every_kind_keeps_its_answer(kinds_ready: dict[str, Any], en_page: Any) -> None:
    """A flag on each kind of question sends the question's own answer with it, never an empty one."""
    page, app, user = en_page, kinds_ready["app"], kinds_ready["user"]
    sign_in_and_begin(page, kinds_ready["url"], user.email)
    questions = page.locator(".question")
    assert questions.count() == ITEM_COUNT
    proposals = 0
    for i in range(ITEM_COUNT):
        q = questions.nth(i)
        go_to(page, number_of(q))
        limited = q.get_attribute("data-at-most-group") is not None
        if limited and proposals == 2:
            pass  # "at most 2 of 3": the third proposal is only flagged
        elif q.locator("textarea").count():
            proposals += limited
            q.locator("textarea").fill(f"answer {i}")
            q.locator("textarea").blur()
        else:
            for group in range(q.locator("fieldset:has(input)").count() or 1):
                q.locator("fieldset:has(input)").nth(group).locator("input").first.check()
        wait_saved(page)
        q.locator(".flag-box").check()
        wait_saved(page)
    answered_before = server_state(page, app, user.id)["answered"]
    page.reload()
    wait_saved(page)
    state = server_state(page, app, user.id)
    assert state["answered"] == answered_before
    assert len(state["answered"]) == ITEM_COUNT  # the item set's two children are two slots; one proposal blank
    flagged_questions = {s.split(".")[0] for s in state["flagged"]}
    assert flagged_questions == {str(n) for n in range(1, ITEM_COUNT + 1)}
    for i in range(ITEM_COUNT):
        expect(questions.nth(i).locator(".flag-box")).to_be_checked()
    expect(page.locator(".nav-q.answered")).to_have_count(ITEM_COUNT - 1)
