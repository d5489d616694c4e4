"""Real browser: an administrator releases a sitting; a passing and a vetoed candidate see their result
in two languages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from certexam.models import Role
from certexam.services.results import release as results
from tests.e2e.conftest import LiveServer
from tests.factories import PASSWORD, candidate, staff
from tests.integration.test_results_service import (
    ETH_WRONG,
    L1_SMALL,
    RIGHT,
    banked_app,
    enrol,
    make_sitting,
    sit,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(tmp_path: Any) -> Iterator[dict[str, Any]]:
    app = banked_app(tmp_path)
    sid = make_sitting(app, L1_SMALL, name="2026 秋季一级")
    admin = staff(app, Role.ADMIN)
    passer = candidate(app, name_zh="陈美玲", name_en="Chen Meiling")
    vetoed = candidate(app, name_zh="王小明", name_en="Wang Xiaoming")
    for user, strategy in ((passer, RIGHT), (vetoed, ETH_WRONG)):
        sit(app, user, enrol(app, user, sid), strategy)
    with app.app_context():
        results.compute(admin, sid)
        results.request_release(staff(app, {Role.RESULTS_OFFICER}), sid)  # four eyes: another officer asked
    with LiveServer(app) as server:
        yield {"url": server.url, "sid": sid, "admin": admin, "passer": passer, "vetoed": vetoed}


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/auth/sign-in")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#submit").click()
    page.wait_for_url(base + "/")


def _switch(page: Any, code: str) -> None:
    page.locator(f".lang-switch button[value='{code}']").click()


def _open_result(page: Any, base: str) -> None:
    page.goto(base + "/results/")
    page.locator("main table a").first.click()
    page.wait_for_url("**/results/*")


def test_release_then_pass_and_veto_in_two_languages(browser: Any, scene: dict[str, Any]) -> None:
    base = scene["url"]
    ctx = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    admin = ctx.new_page()
    admin.set_default_timeout(15000)
    _sign_in(admin, base, scene["admin"].email)
    admin.goto(f"{base}/admin/results/{scene['sid']}")
    expect(admin.locator("#results-table tbody tr")).to_have_count(2)
    admin.locator("#release").click()
    expect(admin.locator("#confirm-statement")).to_contain_text("2 candidates")  # a confirmation first
    expect(admin.locator("#confirm-statement")).to_contain_text("You are the second results officer")
    admin.locator("#confirm").click()
    expect(admin.locator("#released")).to_be_visible()
    ctx.close()

    for who, status in (("passer", "PASS"), ("vetoed", "FAIL")):
        ctx = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
        page = ctx.new_page()
        page.set_default_timeout(15000)
        _sign_in(page, base, scene[who].email)
        _open_result(page, base)
        card = page.locator("#result")
        expect(card).to_have_attribute("data-status", status)
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
        if who == "vetoed":
            expect(page.locator("#veto")).to_be_visible()
            expect(page.locator("table.module-rates tbody tr")).to_have_count(3)
        else:
            expect(page.locator("#veto")).to_have_count(0)
            expect(page.locator("table.module-rates")).to_have_count(0)
        _switch(page, "en")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(card).to_have_attribute("data-status", status)
        if who == "vetoed":
            expect(page.locator("#veto")).to_contain_text("one-vote veto")
            expect(page.locator("#result-status")).to_have_text("Not passed")
        else:
            expect(page.locator("#result-status")).to_have_text("Passed")
        ctx.close()
