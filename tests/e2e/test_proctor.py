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

from certexam.services.attempts import proctoring
from tests.e2e.conftest import LiveServer
from tests.e2e.exam_pages import clock_seconds, proctor_acts, proctor_desk

pytestmark = pytest.mark.browser

RESYNC_MS = 31_000  # just past attempt.js's 30 s resync
REFRESH_MS = 16_000  # just past proctor.js's 15 s refresh


def test_pause_shows_on_the_candidates_page_and_added_time_moves_their_clock(
        live_app: Flask, live_server: LiveServer, browser: Any) -> None:
    with proctor_desk(live_app, live_server, browser, fake_clock=True) as desk:
        cand, admin, row = desk.candidate, desk.admin, desk.row
        timer = cand.locator("#timer")
        expect(timer).to_have_text(re.compile(r"^\d+:\d\d$"))
        before = clock_seconds(timer.text_content() or "")
        assert 58 * 60 < before <= 60 * 60

        proctor_acts(desk, "pause", "Camera feed lost")
        assert "Paused" in (row.locator("td").nth(2).text_content() or "")

        banner = cand.locator("#banner")
        cand.clock.fast_forward(RESYNC_MS)  # the push channel may have shown it already (issue 18.6)
        expect(banner).to_contain_text("paused")

        proctor_acts(desk, "add_time", "Lost time while the camera was off", minutes="10")
        proctor_acts(desk, "resume", "Camera feed back")
        assert "+10 min" in (row.text_content() or "")

        cand.clock.fast_forward(RESYNC_MS)
        expect(timer).to_have_text(re.compile(r"^1:\d\d:\d\d$"))  # past an hour now: h:mm:ss
        after = clock_seconds(timer.text_content() or "")
        assert after > before + 9 * 60, (before, after)
        # Resumed: the paused banner is gone. It is hidden, or it says the minutes were added: the push
        # channel brings the added time with the resume when the proctor's two actions are a second apart.
        expect(cand.locator("#banner:visible", has_text="paused")).to_have_count(0)

        # The proctor's table refreshes itself: a change made elsewhere shows up without a reload.
        with live_app.test_request_context():
            attempt_id = int((row.get_attribute("id") or "").split("-")[1])
            proctoring.add_time(desk.admin_user, attempt_id, 5, "added from another proctor's screen")
        admin.clock.fast_forward(REFRESH_MS)
        expect(row).to_contain_text("+15 min")
        expect(admin.locator("#refreshed")).to_contain_text("Updated at")
