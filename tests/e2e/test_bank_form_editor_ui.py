"""The form-based item editor in real Chromium (issue 22): write in two languages, the live preview, save,\nedit again."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_bank_ui import admins, english  # noqa: F401  (fixtures: two admins, signed-in English pages)

pytestmark = pytest.mark.browser


def test_write_preview_save_and_edit_in_a_form(live_server: Any, admins: tuple[str, str],  # noqa: F811
                                               english: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    author = english(live_server, admins[0])
    author.goto(live_server.url + "/admin/bank/new?module=L1-ETH&type=single_choice")
    author.get_by_role("link", name="Edit in a form").click()
    author.select_option("#module", "L1-ETH")
    author.get_by_label("Stem (简体中文)").fill("银行必须保存哪项记录？")
    author.get_by_label("Stem (English)").fill("Which record must a bank keep?")
    for key, zh, en in (("A", "午餐菜单", "The lunch menu"), ("B", "交易记录", "Transaction records"),
                        ("C", "停车记录", "Parking records")):
        author.get_by_label(f"Option {key} (简体中文)").fill(zh)
        author.get_by_label(f"Option {key} (English)").fill(en)
    author.locator('input[name=key][value="B"]').check()
    # The preview follows the typing (bank_form_editor.js), then the button re-renders the whole page.
    expect(author.locator('#item-preview article[lang="en"] .item-stem')).to_have_text("Which record must a bank keep?")
    expect(author.locator('#item-preview article[lang="zh-Hans"]')).to_contain_text("交易记录")
    assert author.url.endswith("/admin/bank/new/form")
    author.click("#preview")
    expect(author.locator('#item-preview article[lang="en"]')).to_contain_text("Transaction records")
    expect(author.locator('input[name=key][value="B"]')).to_be_checked()  # the page came back as it was sent

    author.click("#save")
    author.wait_for_url("**/admin/bank/L1-ETH-0001")
    expect(author.locator(".flash-success")).to_contain_text("Saved as version 1")
    author.get_by_role("link", name="Edit in a form").click()
    expect(author.get_by_label("Option B (English)")).to_have_value("Transaction records")
    author.get_by_label("Stem (English)").fill("")  # English left in the options only: refused, said beside each option
    author.click("#save")
    expect(author.locator("#err-opt_A")).to_contain_text("has en text, which the stem lacks")
