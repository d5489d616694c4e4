"""Programme statistics in real Chromium (issue 23, "Done when": the statistics page shows the figures of a
seeded programme): the public page from the home page's footer, then the programme office's page."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.integration.test_bonus_services import fast_passwords, fresh_app, sqlite_template  # noqa: F401
from tests.statistics_programme import CONFIG, SEEDED_AT, seed

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SCREENSHOTS_DIR")  # a folder: save the pages there at desktop and phone width


@pytest.fixture
def live_app(tmp_path: Path, sqlite_template: Path) -> Iterator[Flask]:  # noqa: F811
    yield fresh_app(tmp_path, sqlite_template, CLOCK=lambda: SEEDED_AT, **CONFIG)


def _cells(page: Any, slug: str) -> list[list[str]]:
    """The table's rows (body and total) as the reader sees them."""
    rows = page.locator(f"table[data-table='{slug}'] tbody tr, table[data-table='{slug}'] tfoot tr")
    return [[c.strip() for c in rows.nth(i).locator("th, td").all_inner_texts()] for i in range(rows.count())]


def _shoot(page: Any, name: str) -> None:
    if not SHOTS:
        return
    for label, size in (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})):
        page.set_viewport_size(size)
        page.screenshot(path=str(Path(SHOTS) / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_statistics_pages_show_the_seeded_programme(live_server: Any, page: Any) -> None:
    app, base = live_server.app, live_server.url
    seeded = seed(app)
    # Anyone: from the footer of the home page to the public figures, in English.
    page.goto(base + "/")
    page.locator("form.lang-switch button[value='en']").click()
    page.locator("footer a[href='/statistics/']").click()
    expect(page.locator("h1")).to_have_text("The programme in figures")
    expect(page.locator("#figure-holders")).to_have_text("13")
    expect(page.locator("#figure-target")).to_have_text("3,000")
    assert _cells(page, "levels") == [["Level 1", "10", "1,709"], ["Level 2", "8", "75"],
                                      ["Persons holding a certificate", "13", "1,784"]]
    assert _cells(page, "years") == [["2022", "0", "<5", "<5"], ["2025", "10", "0", "10"],
                                     ["2026", "0", "–", "–"], ["Total", "10", "8", "18"]]
    assert _cells(page, "pass-rates") == [["2025 春季一级 (level 1)", "12", "7", "5", "58.3%"],
                                          ["2025 秋季一级 (level 1)", "8", "<5", "–", "–"],
                                          ["2025 二级 (level 2)", "10", "5", "5", "50.0%"]]
    # the chart: the October 2022 bar and today's, under the target line
    holders_chart = page.locator("svg[aria-labelledby^='holders-chart']")
    expect(holders_chart.locator("rect")).to_have_count(2)
    expect(holders_chart).to_contain_text("Target: 3,000 by 2025")
    expect(page.locator("text=Stat Person")).to_have_count(0)
    with page.expect_download() as dl:
        page.locator("#table-years a[download]").click()
    assert Path(dl.value.path()).read_bytes().startswith("\ufeffYear,Level 1".encode())
    _shoot(page, "statistics-public")

    # The programme office: exact figures, the progress chart and the bonus money.
    page.goto(base + "/auth/sign-in")
    page.locator("#email").fill(seeded.admin.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#submit").click()
    page.wait_for_url(base + "/")
    page.goto(base + "/admin/")
    page.locator("nav.subnav a[href='/admin/statistics/']").click()
    expect(page.locator("h1")).to_have_text("Programme statistics")
    expect(page.locator("#figure-holders")).to_have_text("13")
    expect(page.locator("#figure-queue")).to_have_text("1")
    assert _cells(page, "years")[0] == ["2022", "0", "3", "3"]
    assert _cells(page, "pass-rates")[1] == ["2025 秋季一级 (level 1)", "8", "3", "5", "1", "37.5%"]
    assert _cells(page, "bonus") == [["2026", "RMB 20,000.00", "RMB 20,000.00", "RMB 0.00", "RMB 0.00"]]
    assert _cells(page, "queue") == [["1", "RMB 10,000.00"]]
    # one bar a year from 2022 to 2025 (3, 3, 3, 13 holders at the year's end)
    holders_chart = page.locator("svg[aria-labelledby^='holders-chart']")
    expect(holders_chart.locator("rect")).to_have_count(4)
    expect(holders_chart.locator("g text").first).to_have_text("3")
    # the bonus dashboard's chart: 2026 committed and paid under its cap line, and the queue's bar
    bonus = page.locator("svg[aria-labelledby^='chart-title']")
    expect(bonus.locator("rect")).to_have_count(3)
    expect(bonus).to_contain_text("RMB 10,000.00")
    _shoot(page, "statistics-staff")
