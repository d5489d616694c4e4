"""A training subsidy in real Chromium (issue 23; rules s.4): an institution registers an audited project
and applies, staff check and approve it onto the public notice, the notice ends, and the bonus's payment
page puts it in a batch."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from certexam.models import OrgCategory, Role
from tests.e2e.test_bonus_flow import Clock, _sign_in, _sign_out
from tests.integration.test_bonus_services import (  # noqa: F401  (fixtures used by name)
    NOW,
    fast_passwords,
    fresh_app,
    make_org,
    make_staff,
    sqlite_template,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def live_app(tmp_path: Path, sqlite_template: Path, clock: Clock) -> Iterator[Flask]:  # noqa: F811
    yield fresh_app(tmp_path, sqlite_template, CLOCK=clock)


def test_a_training_subsidy_from_project_to_payment_batch(live_server: Any, page: Any, clock: Clock) -> None:
    app, base = live_server.app, live_server.url
    school = make_staff(app, Role.EMPLOYER, make_org(app, "深圳金融科技培训学院",
                                                     category=OrgCategory.TRAINING_INSTITUTION))
    officer = make_staff(app, Role.BONUS_CHECKER)  # checks completeness
    approver = make_staff(app, Role.BONUS_APPROVER)
    maker = make_staff(app, Role.PAYMENT_OFFICER)

    # The institution registers its audited project from its own menu and applies.
    _sign_in(page, base, school.email)
    page.locator("nav.account-menu a[href='/subsidies/']").click()
    page.locator("#code").fill("TR-2026-01")
    page.locator("#title").fill("金融科技师一级培训（2026年春季）")
    page.locator("#starts_on").fill("2026-03-01")
    page.locator("#ends_on").fill("2026-06-30")
    page.locator("#audit_firm").fill("深圳会计师事务所")
    page.locator("#audit_report_no").fill("深审字[2026]018号")
    page.locator("#audited_costs_yuan").fill("600000.01")
    page.locator("#submit").click()
    page.locator("a[href$='/apply']").click()
    page.locator("#bank_name").fill("中国农业银行深圳分行")
    page.locator("#bank_account").fill("41000500040012345")
    page.locator("#bank_cnaps").fill("103584000018")
    page.locator("#no_same_kind_award").check()
    page.locator("#truthful").check()
    page.locator("#submit").click()
    page.wait_for_url(base + "/subsidies/")
    expect(page.get_by_text("300,000.00")).to_be_visible()  # half of 600,000.01, rounded down to the fen
    _sign_out(page)
    page.wait_for_url(base + "/")

    # Staff: the completeness check, then the review onto the public notice.
    for person, button in ((officer, "#complete"), (approver, "#approve")):
        _sign_in(page, base, person.email)
        page.goto(base + "/subsidies/admin/")
        expect(page.locator("nav.subnav a[href='/subsidies/admin/']")).to_have_count(1)  # in the staff menu
        page.locator("a[href^='/subsidies/admin/applications/']").first.click()
        page.locator(button).click()
        _sign_out(page)
        page.wait_for_url(base + "/")
    page.goto(base + "/subsidies/notice")
    expect(page.get_by_text("深圳金融科技培训学院")).to_be_visible()

    # The notice ends; the approver closes it and the year's training budget commits the amount.
    clock.at = NOW + timedelta(days=9)
    _sign_in(page, base, approver.email)
    page.goto(base + "/subsidies/admin/")
    page.locator("form[action='/subsidies/admin/notices/close'] button").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("table").first.get_by_text("300,000.00").first).to_be_visible()
    _sign_out(page)
    page.wait_for_url(base + "/")

    # A payment officer finds it among the funded payments and makes the batch.
    _sign_in(page, base, maker.email)
    page.goto(base + "/admin/bonus/payouts")
    expect(page.get_by_text("深圳金融科技培训学院")).to_be_visible()
    page.locator("form:not([action]) button[type=submit]").click()
    page.locator("a[href$='/lines']").first.click()
    expect(page.get_by_text(re.compile(r"SUBSIDY-\d{6}"))).to_be_visible()
