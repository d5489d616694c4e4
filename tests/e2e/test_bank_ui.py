"""Question-bank pages in real Chromium: live preview, save, four-eyes review, import with errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from certexam import db
from certexam.models import Role
from certexam.services.bank import items as bank
from tests.factories import PASSWORD, staff
from tests.integration.test_bank_service import gen_bank, with_error, yaml_files

pytestmark = pytest.mark.browser


@pytest.fixture
def admins(live_app: Flask) -> tuple[str, str]:
    return staff(live_app, Role.ADMIN).email, staff(live_app, Role.ADMIN).email


@pytest.fixture
def english(browser: Any) -> Iterator[Any]:
    """A factory of signed-in English pages; fails the test on any CSP violation."""
    contexts, violations = [], []

    def open_as(server: Any, email: str) -> Any:
        context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10000)
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(server.url + "/auth/sign-in")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        page.click("#submit")
        page.wait_for_url(server.url + "/")
        return page

    yield open_as
    for context in contexts:
        context.close()
    assert violations == []


def test_edit_with_live_preview_then_review(live_server: Any, admins: tuple[str, str], english: Any) -> None:
    from playwright.sync_api import expect

    author = english(live_server, admins[0])
    author.goto(live_server.url + "/admin/bank/new?module=L1-ETH&type=single_choice")
    source = author.locator("textarea[name=text]")
    en_stem = author.locator('#item-preview article[lang="en"] .item-stem')
    zh_stem = author.locator('#item-preview article[lang="zh-Hans"] .item-stem')
    expect(en_stem).to_have_text("(Write the stem here.)")  # the server rendered the template's preview

    text = source.input_value()
    source.fill(text.replace("(Write the stem here.)", "Which record must a bank keep?")
                .replace("（在此填写题干。）", "银行必须保存哪项记录？"))
    expect(en_stem).to_have_text("Which record must a bank keep?")
    expect(zh_stem).to_have_text("银行必须保存哪项记录？")
    source.press("End")
    source.press_sequentially("\n  bogus: 1")  # typing an unknown field: the preview lists the error with its line
    expect(author.locator("#item-preview .preview-errors")).to_contain_text("Unknown field 'bogus'")
    expect(author.locator("#preview-status")).to_contain_text("1 error(s)")
    for _ in range(len("\n  bogus: 1")):
        source.press("Backspace")
    expect(en_stem).to_have_text("Which record must a bank keep?")
    assert author.locator("#preview").is_hidden()  # the no-JavaScript button is not needed

    author.click("#save")
    author.wait_for_url("**/admin/bank/L1-ETH-0001")
    expect(author.locator(".flash-success")).to_contain_text("Saved as version 1")
    author.get_by_role("button", name="Submit for review").click()
    expect(author.locator(".flash-success")).to_contain_text("now: In review")
    expect(author.get_by_role("button", name="Approve")).to_have_count(0)  # nobody approves their own edit

    reviewer = english(live_server, admins[1])
    reviewer.goto(live_server.url + "/admin/bank/review")
    reviewer.get_by_role("link", name="L1-ETH-0001").click()
    expect(reviewer.locator('article[lang="en"] .item-stem')).to_have_text("Which record must a bank keep?")
    reviewer.get_by_role("button", name="Approve").click()
    expect(reviewer.locator(".flash-success")).to_contain_text("now: Approved")
    expect(reviewer.locator("table.history")).to_contain_text("Approved")


def test_import_shows_errors_then_counts(live_server: Any, live_app: Flask, admins: tuple[str, str],
                                         english: Any) -> None:
    good = yaml_files(gen_bank(9))
    broken = gen_bank(1, start=400)
    page = english(live_server, admins[0])
    page.goto(live_server.url + "/admin/bank/import")

    def upload(files: list[tuple[str, bytes]]) -> None:
        page.set_input_files("input[type=file]", [{"name": n, "mimeType": "application/yaml", "buffer": b}
                                                  for n, b in files])
        page.click("#run")

    upload([*good, with_error(broken, "broken.yaml")])
    errors = page.locator("table.errors tbody tr")
    assert errors.count() == 1
    assert "broken.yaml" in errors.inner_text() and broken[0].id in errors.inner_text()
    with live_app.app_context():
        assert bank.existing_ids(db.session()) == set()
    upload(good)
    report = page.locator(".import-report")
    assert "New items: 9" in report.inner_text() and "Unchanged items: 0" in report.inner_text()
