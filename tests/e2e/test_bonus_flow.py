"""The holder bonus end to end in real Chromium: job, confirmation, application, review, notice, payment."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from certexam.models import Role
from tests.factories import PASSWORD
from tests.integration.test_bonus_services import (  # noqa: F401  (fixtures used by name)
    NOW,
    PDF,
    fast_passwords,
    fresh_app,
    make_holder,
    make_org,
    make_staff,
    sqlite_template,
)

pytestmark = pytest.mark.browser


class Clock:
    def __init__(self) -> None:
        self.at = NOW

    def __call__(self) -> Any:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def live_app(tmp_path: Path, sqlite_template: Path, clock: Clock) -> Iterator[Flask]:  # noqa: F811
    """The e2e live server's app, on the bonus clock (the notice period passes when the test says so)."""
    yield fresh_app(tmp_path, sqlite_template, CLOCK=clock)


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/auth/sign-in")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#submit").click()
    page.wait_for_url(base + "/")


def _sign_out(page: Any) -> None:
    page.locator("form[action='/auth/sign-out'] button").click()


def test_bonus_from_first_job_to_payment(live_server: Any, page: Any, clock: Clock, tmp_path: Path) -> None:
    app, base = live_server.app, live_server.url
    org = make_org(app, "深圳前海示范银行", city="深圳市")
    holder = make_holder(app, name_zh="陈美玲", name_en="Chen Meiling")
    employer = make_staff(app, Role.EMPLOYER, org)
    admin = make_staff(app, Role.ADMIN)
    # Maker and checker of the payment batch (issue 23): payment officers who approved nothing in it.
    maker, checker = make_staff(app, Role.PAYMENT_OFFICER), make_staff(app, Role.PAYMENT_OFFICER)
    evidence = tmp_path / "labour-contract.pdf"
    evidence.write_bytes(PDF)

    # The holder declares two jobs at the bank and uploads the contract.
    _sign_in(page, base, holder.email)
    page.locator("nav.account-menu a[href='/bonus/']").click()
    expect(page.locator(".mark.unmet")).to_have_count(1)  # only the two years are missing
    for start, end in (("2022-02-01", "2023-06-30"), ("2023-07-01", "2024-06-30")):
        page.locator("a[href='/bonus/periods/new']").click()
        page.locator("#organisation_id").select_option(str(org))
        page.locator("#starts_on").fill(start)
        page.locator("#ends_on").fill(end)
        page.locator("#full_time").check()
        page.locator("#submit").click()
        page.wait_for_url(base + "/bonus/")
    first = page.locator("article.period").first
    first.locator("input[type=file]").set_input_files(str(evidence))
    first.locator("form[enctype] button[type=submit]").click()
    expect(page.locator("a[href^='/bonus/evidence/']")).to_have_count(1)
    _sign_out(page)
    page.wait_for_url(base + "/")

    # The employer confirms both periods from its own account.
    _sign_in(page, base, employer.email)
    page.locator("nav.account-menu a[href='/employer/confirmations']").click()
    expect(page.get_by_text("陈美玲").first).to_be_visible()
    for left in (1, 0):
        page.locator("button[name=confirm]").first.click()
        expect(page.locator("button[name=confirm]")).to_have_count(left)
    _sign_out(page)
    page.wait_for_url(base + "/")

    # The holder is now eligible and applies.
    _sign_in(page, base, holder.email)
    page.goto(base + "/bonus/")
    expect(page.locator(".verdict.yes")).to_be_visible()
    expect(page.locator(".mark.unmet")).to_have_count(0)
    page.locator("a[href='/bonus/apply']").click()
    page.locator("#bank_name").fill("招商银行深圳分行")
    page.locator("#bank_account").fill("6225 8812 3456 7898")
    page.locator("#no_same_kind_award").check()
    page.locator("#truthful").check()
    page.locator("#submit").click()
    page.wait_for_url(re.compile(r".*/bonus/applications/\d+$"))
    application_url = page.url
    _sign_out(page)
    page.wait_for_url(base + "/")

    # An administrator checks it, approves it for the public notice.
    _sign_in(page, base, admin.email)
    page.goto(base + "/admin/bonus/applications")
    page.locator("a[href^='/admin/bonus/applications/']").first.click()
    page.locator("#complete").click()
    page.locator("#approve").click()
    expect(page.locator("h1 .badge.in_notice")).to_be_visible()
    page.goto(base + "/public/bonus-notice")
    expect(page.get_by_text("陈*玲")).to_be_visible()
    expect(page.get_by_text("陈美玲")).to_have_count(0)

    # The notice period passes; the approval is funded from this year's budget.
    clock.at = NOW + timedelta(days=9)
    page.goto(base + "/admin/bonus/")
    page.locator("form[action='/admin/bonus/notices/close'] button").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("svg.chart rect")).to_have_count(2)  # this year's bar: committed and paid (0)

    # A payment officer makes the batch and exports it for the bank; a second one marks it paid.
    _sign_out(page)
    page.wait_for_url(base + "/")
    _sign_in(page, base, maker.email)
    page.goto(base + "/admin/bonus/payouts")
    page.locator("form:not([action]) button[type=submit]").click()
    expect(page.locator("a[href$='.csv']")).to_have_count(1)
    with page.expect_download() as info:
        page.locator("a[href$='.csv']").first.click()
    csv_text = Path(info.value.path()).read_bytes().decode("utf-8-sig")
    assert "陈美玲" in csv_text and holder.id_number in csv_text and "6225881234567898,10000.00" in csv_text
    _sign_out(page)
    page.wait_for_url(base + "/")
    _sign_in(page, base, checker.email)
    page.goto(base + "/admin/bonus/payouts")
    page.locator("input[name=bank_reference]").fill("CMB-20261202-0001")
    page.locator("input[name=paid_on]").fill("2026-12-02")
    page.locator("form[action$='/paid'] button").click()
    expect(page.locator(".badge.paid")).to_have_count(1)
    _sign_out(page)
    page.wait_for_url(base + "/")

    # The holder sees the bonus paid.
    _sign_in(page, base, holder.email)
    page.goto(application_url)
    expect(page.locator("dd .badge.paid")).to_have_count(2)  # the application and its payment
