"""After `certexam demo`, every administrator's screen shows data, as a browser sees it (issue 17).

The demo is loaded into the live server's database, the administrator (and the
demo grader and employer) sign in in headless Chromium, and each section must
show at least one row of data, not an empty table. Set DEMO_SHOTS to a
folder to keep a screenshot of every page.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from certexam import db
from certexam.cli import demo_exams, demo_results
from certexam.cli.demo import demo_command
from certexam.cli.demo_people import DEMO_PASSWORD
from certexam.models import BonusApplication, Sitting
from certexam.models.bonus import ApplicationStatus
from tests.e2e.conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROWS = "table tbody tr"


def _sign_in(browser: Any, url: str, email: str) -> Any:
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)  # the item analysis of 300 candidates is computed on request
    page.goto(url + "/auth/sign-in")
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#submit").click()
    page.wait_for_url(url + "/")
    return page


def _pages(app: Flask) -> list[tuple[str, str, str]]:
    """(name, path, what must be there at least once) for every administrator's section."""
    with app.app_context():
        sess = db.session()
        ids = {name: sess.scalar(select(Sitting.id).where(Sitting.name == name)) for name in
               (demo_results.L1_RELEASED, demo_results.L2_RELEASED, demo_results.L2_MARKING, demo_exams.IN_PROGRESS)}
        notice = sess.scalar(select(BonusApplication.id).where(BonusApplication.status == ApplicationStatus.IN_NOTICE)
                             .order_by(BonusApplication.id))
    l1, l2, marking, live = (ids[n] for n in (demo_results.L1_RELEASED, demo_results.L2_RELEASED,
                                              demo_results.L2_MARKING, demo_exams.IN_PROGRESS))
    return [
        ("users", "/admin/users", ROWS), ("organisations", "/admin/organisations", ROWS),
        ("audit", "/admin/audit", ROWS), ("bank", "/admin/bank/", ROWS), ("sittings", "/admin/sittings/", ROWS),
        ("sitting", f"/admin/sittings/{l1}", ROWS), ("proctor", f"/admin/sittings/{live}/proctor", ROWS),
        ("results", "/admin/results/", ROWS), ("results-l1", f"/admin/results/{l1}", ROWS),
        ("results-l2", f"/admin/results/{l2}", ROWS), ("marking", f"/admin/results/{marking}", ROWS),
        ("analysis", f"/admin/results/{l1}/analysis", ROWS), ("rechecks", "/admin/results/rechecks", "article.recheck"),
        ("certificates", "/admin/certificates", ROWS), ("bonus", "/admin/bonus/", ROWS),
        ("applications", "/admin/bonus/applications", ROWS), ("application", f"/admin/bonus/applications/{notice}",
                                                              ".conditions li"),
        ("payouts", "/admin/bonus/payouts", ROWS), ("fraud", "/admin/bonus/fraud", "article.period"),
        ("social", "/admin/bonus/social-insurance", ROWS), ("notice", "/public/bonus-notice", ROWS),
    ]


def _look(page: Any, url: str, name: str, path: str, selector: str, shots: Path | None) -> None:
    response = page.goto(url + path)
    assert response is not None and response.status == 200, (name, response and response.status)
    assert page.locator(selector).count() >= 1, f"{name} ({path}) shows no {selector}"
    if shots is not None:
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_every_admin_section_shows_data(live_app: Flask, live_server: LiveServer, browser: Any) -> None:
    loaded = live_app.test_cli_runner().invoke(demo_command)
    assert loaded.exit_code == 0, loaded.output
    shots = Path(os.environ["DEMO_SHOTS"]) if os.environ.get("DEMO_SHOTS") else None
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
    url = live_server.url
    admin = _sign_in(browser, url, "admin@demo.certexam")
    counts = admin.goto(url + "/admin/")
    assert counts is not None and counts.status == 200
    assert admin.locator(".figure").first.inner_text().strip() not in ("", "0")
    for name, path, selector in _pages(live_app):
        _look(admin, url, name, path, selector, shots)
    admin.goto(url + "/admin/bonus/")
    waiting = admin.locator("h2", has_text="Waiting for next year's budget")
    assert waiting.count() == 1 and "(3)" in waiting.inner_text()
    _look(_sign_in(browser, url, "grader@demo.certexam"), url, "grader-queue", "/marking/", ROWS, shots)
    employer = _sign_in(browser, url, "employer@demo.certexam")
    _look(employer, url, "employer", "/employer/confirmations", "text=Confirm the period", shots)
