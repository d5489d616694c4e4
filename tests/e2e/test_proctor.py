"""A proctor pauses a live attempt and adds time; the candidate's page, in another browser, follows.

The candidate's page resyncs with the server every 30 s; its timers run on a
Playwright-controlled clock so that a resync can be brought forward instead
of waited for (the server's clock is real).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from certexam.models import Role
from certexam.services.attempts import proctoring
from tests.e2e.conftest import LiveServer
from tests.exam_setup import enrol, load_bank, open_sitting
from tests.factories import PASSWORD, candidate, staff

pytestmark = pytest.mark.browser

RESYNC_MS = 31_000  # just past attempt.js's 30 s resync
REFRESH_MS = 16_000  # just past proctor.js's 15 s refresh


def _sign_in(page: Any, url: str, email: str) -> None:
    page.goto(url + "/auth/sign-in")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#submit").click()
    page.wait_for_url(url + "/")


def _seconds(text: str) -> int:
    parts = [int(p) for p in text.split(":")]
    return parts[0] * 3600 + parts[1] * 60 + parts[2] if len(parts) == 3 else parts[0] * 60 + parts[1]


def _act(admin: Any, row: Any, action: str, reason: str, minutes: str | None = None) -> None:
    row.locator("summary").click()
    row.locator("input[name=reason]").fill(reason)
    if minutes is not None:
        row.locator("input[name=minutes]").fill(minutes)
    row.locator(f"button[value={action}]").click()
    admin.wait_for_load_state()


def test_pause_shows_on_the_candidates_page_and_added_time_moves_their_clock(
        live_app: Flask, live_server: LiveServer, browser: Any) -> None:
    load_bank(live_app)
    sitting_id = open_sitting(live_app)
    user = candidate(live_app)
    enrol(live_app, user, sitting_id)
    admin_user = staff(live_app, Role.ADMIN)
    url = live_server.url

    cand_ctx = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    admin_ctx = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    try:
        cand = cand_ctx.new_page()
        cand.set_default_timeout(15000)
        cand.clock.install()
        _sign_in(cand, url, user.email)
        cand.goto(url + "/exams/")
        cand.get_by_role("button", name="Begin paper P1").click()
        cand.wait_for_url("**/exams/attempts/*")
        timer = cand.locator("#timer")
        expect(timer).to_have_text(re.compile(r"^\d+:\d\d$"))
        before = _seconds(timer.text_content() or "")
        assert 58 * 60 < before <= 60 * 60

        admin = admin_ctx.new_page()
        admin.set_default_timeout(15000)
        admin.clock.install()
        _sign_in(admin, url, admin_user.email)
        admin.goto(f"{url}/admin/sittings/{sitting_id}/proctor")
        row = admin.locator("tr[id^=attempt-]")
        _act(admin, row, "pause", "Camera feed lost")
        assert "Paused" in (row.locator("td").nth(2).text_content() or "")

        banner = cand.locator("#banner")
        cand.clock.fast_forward(RESYNC_MS)  # the push channel may have shown it already (issue 18.6)
        expect(banner).to_contain_text("paused")

        _act(admin, row, "add_time", "Lost time while the camera was off", minutes="10")
        _act(admin, row, "resume", "Camera feed back")
        assert "+10 min" in (row.text_content() or "")

        cand.clock.fast_forward(RESYNC_MS)
        expect(timer).to_have_text(re.compile(r"^1:\d\d:\d\d$"))  # past an hour now: h:mm:ss
        after = _seconds(timer.text_content() or "")
        assert after > before + 9 * 60, (before, after)
        expect(banner).to_be_hidden()  # resumed: the paused banner is gone

        # The proctor's table refreshes itself: a change made elsewhere shows up without a reload.
        with live_app.test_request_context():
            attempt_id = int((row.get_attribute("id") or "").split("-")[1])
            proctoring.add_time(admin_user, attempt_id, 5, "added from another proctor's screen")
        admin.clock.fast_forward(REFRESH_MS)
        expect(row).to_contain_text("+15 min")
        expect(admin.locator("#refreshed")).to_contain_text("Updated at")
    finally:
        cand_ctx.close()
        admin_ctx.close()
