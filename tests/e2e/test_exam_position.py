"""Issue 18.11: a reload or an interface-language switch keeps the question shown and each question's
chosen language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.exam_pages import (
    ITEM_COUNT,
    go_to,
    number_of,
    sign_in_and_begin,
    wait_saved,
)

pytestmark = pytest.mark.browser
pytest_plugins = ("tests.e2e.exam_pages",)  # the kinds_ready and en_page fixtures


def test_reload_and_language_switch_keep_the_question_and_its_language(kinds_ready: dict[str, Any],
                                                                       en_page: Any) -> None:
    """18.11: the question shown and each question's chosen language survive a reload and a switch of the
    interface language; questions with no choice of their own follow the interface language."""
    page = en_page
    sign_in_and_begin(page, kinds_ready["url"], kinds_ready["user"].email)
    multi = page.locator(".question:has(option[value='zh_Hant'])")  # the fixture's items: 3 languages
    chosen, other = number_of(multi.nth(2)), number_of(multi.nth(3))
    go_to(page, chosen)
    select = page.locator(f"#question-{chosen} select")
    select.select_option("zh_Hant")
    visible_stem = page.locator(f"#question-{chosen} [lang='zh-Hant']:visible").first
    expect(visible_stem).to_be_visible()
    page.reload()
    wait_saved(page)
    expect(page.locator(f"#question-{chosen}")).to_be_visible()
    expect(page.locator(f"#nav-{chosen}")).to_have_attribute("aria-current", "true")
    expect(page.locator(f"#question-{chosen} select")).to_have_value("zh_Hant")
    expect(page.locator(f"#question-{chosen} [lang='zh-Hant']:visible").first).to_be_visible()

    page.locator(".lang-switch button[value='zh_Hans']").click()
    page.wait_for_url("**/exams/attempts/*")
    wait_saved_zh = page.locator("#save-status")
    expect(wait_saved_zh).to_have_text(re.compile(r"\S"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator(f"#question-{chosen}")).to_be_visible()
    expect(page.locator(f"#question-{chosen} select")).to_have_value("zh_Hant")
    expect(page.locator(f"#question-{other} select")).to_have_value("zh_Hans")  # follows the page


def test_the_whole_paper_view_survives_a_reload(kinds_ready: dict[str, Any], en_page: Any) -> None:
    page = en_page
    sign_in_and_begin(page, kinds_ready["url"], kinds_ready["user"].email)
    go_to(page, ITEM_COUNT)
    page.locator("#toggle-view").click()
    expect(page.locator(".question:visible")).to_have_count(ITEM_COUNT)
    page.reload()
    wait_saved(page)
    expect(page.locator("#toggle-view")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".question:visible")).to_have_count(ITEM_COUNT)
    expect(page.locator(f"#nav-{ITEM_COUNT}")).to_have_attribute("aria-current", "true")
