"""Issue 18.2: the navigator and the review screen count what the server holds, never a blank written answer."""

from __future__ import annotations

import re
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


def test_blank_written_answers_are_not_answered(kinds_ready: dict[str, Any], en_page: Any) -> None:
    """18.2: nothing written, or only spaces and line breaks, is unanswered in the navigator, on the review
    screen and on the server alike."""
    page, app, user = en_page, kinds_ready["app"], kinds_ready["user"]
    sign_in_and_begin(page, kinds_ready["url"], user.email)
    expect(page.locator(".nav-q.answered")).to_have_count(0)
    written = page.locator(WRITTEN)
    first = number_of(written.first)
    go_to(page, first)
    box = written.first.locator("textarea")
    box.fill("   \n\t  ")
    box.blur()
    wait_saved(page)
    second = number_of(written.nth(1))
    go_to(page, second)
    written.nth(1).locator("textarea").fill("A real answer")
    written.nth(1).locator("textarea").blur()
    wait_saved(page)
    assert server_state(page, app, user.id)["answered"] == [str(second)]
    expect(page.locator(f"#nav-{second}")).to_have_class(re.compile(r"\banswered\b"))
    expect(page.locator(".nav-q.answered")).to_have_count(1)
    page.locator("#open-review").click()
    expect(page.locator("#review-summary")).to_contain_text(f"1 of {ITEM_COUNT} answered")
    expect(page.locator("#review-list li.unanswered .chip")).to_have_count(ITEM_COUNT - 1)
    page.locator("#close-review").click()
    go_to(page, second)  # cleared again: unanswered once the server holds the empty text
    written.nth(1).locator("textarea").fill("")
    written.nth(1).locator("textarea").blur()
    wait_saved(page)
    expect(page.locator(".nav-q.answered")).to_have_count(0)
    assert server_state(page, app, user.id)["answered"] == []


def test_the_navigator_shows_what_the_server_holds(kinds_ready: dict[str, Any], en_page: Any) -> None:
    """An answer still waiting to be sent is marked as waiting, not as answered; once stored, answered."""
    page = en_page
    sign_in_and_begin(page, kinds_ready["url"], kinds_ready["user"].email)
    choice = page.locator(".question:has(input[type=radio]):not(:has(ol))").first
    n = number_of(choice)
    go_to(page, n)
    page.context.set_offline(True)
    choice.locator("input[type=radio]").first.check()
    expect(page.locator("#save-status")).to_contain_text("Offline", timeout=15000)
    nav = page.locator(f"#nav-{n}")
    expect(nav).to_have_class(re.compile(r"\bpending\b"))
    expect(nav).not_to_have_class(re.compile(r"\banswered\b"))
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_saved(page)
    expect(nav).to_have_class(re.compile(r"\banswered\b"))
    expect(nav).not_to_have_class(re.compile(r"\bpending\b"))
