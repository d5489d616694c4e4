"""Issue 18.10 (the candidate's part): a candidate's own submit is announced as submitted, not as "Time is over"."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from certexam import db
from certexam.models import Attempt
from tests.e2e.exam_pages import sign_in_and_begin

pytestmark = pytest.mark.browser
pytest_plugins = ("tests.e2e.exam_pages",)  # the kinds_ready and en_page fixtures


def test_an_own_submit_is_not_announced_as_time_over(kinds_ready: dict[str, Any], en_page: Any) -> None:
    page, app = en_page, kinds_ready["app"]
    sign_in_and_begin(page, kinds_ready["url"], kinds_ready["user"].email)
    page.locator("#open-submit").click()
    page.locator("#confirm-submit").click()
    banner = page.locator("#banner")
    expect(banner).to_be_visible()
    expect(banner).to_have_text("Paper submitted")
    page.wait_for_url("**/finished", timeout=15000)
    expect(page.locator("main")).not_to_contain_text("Time is over")
    expect(page.locator("main")).not_to_contain_text("The time ran out")
    with app.app_context():
        att = db.session().scalar(select(Attempt).where(Attempt.user_id == kinds_ready["user"].id))
        assert att.status == "submitted" and att.submit_reason == "candidate"
