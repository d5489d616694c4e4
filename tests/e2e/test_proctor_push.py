"""A proctor's pause, extra time, resume and end reach the candidate's page within 2 s (issue 18.6).

Real time on both pages (no clock control): the page's push channel, not its 30 s
resync, must carry each action. Each check polls the DOM with a 2 s bound.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from certexam import db
from certexam.models import Attempt, Response, Role
from tests.e2e.conftest import LiveServer
from tests.e2e.exam_pages import sign_in, wait_saved
from tests.exam_setup import enrol, load_bank, open_sitting
from tests.factories import candidate, staff

pytestmark = pytest.mark.browser

BOUND_MS = 2000  # the bound: a proctor's action shows on the candidate's page within 2 s


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


def _stored(app: Flask, attempt_id: int, slot: str) -> str | None:
    with app.app_context():
        return db.session().scalar(select(Response.answer).where(Response.attempt_id == attempt_id,
                                                                 Response.slot == slot))


def test_pause_resume_extra_time_and_end_reach_the_candidate_within_two_seconds(
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
        sign_in(cand, url, user.email)
        cand.goto(url + "/exams/")
        cand.get_by_role("button", name="Begin paper P1").click()
        cand.wait_for_url("**/exams/attempts/*")
        wait_saved(cand)
        attempt_id = int(cand.locator("#attempt").get_attribute("data-attempt") or "0")
        banner, status, timer = cand.locator("#banner"), cand.locator("#save-status"), cand.locator("#timer")
        # Each status the line shows, in order: "Saving…" must never appear during the pause.
        cand.evaluate("""() => { window.seen = [];
            new MutationObserver(() => window.seen.push(document.getElementById('save-status').textContent))
              .observe(document.getElementById('save-status'), {childList: true, characterData: true, subtree: true}); }""")

        admin = admin_ctx.new_page()
        admin.set_default_timeout(15000)
        sign_in(admin, url, admin_user.email)
        admin.goto(f"{url}/admin/sittings/{sitting_id}/proctor")
        row = admin.locator("tr[id^=attempt-]")

        _act(admin, row, "pause", "Camera feed lost")
        expect(banner).to_contain_text("paused by the proctor", timeout=BOUND_MS)
        expect(status).to_contain_text("Paused", timeout=BOUND_MS)
        frozen = _seconds(timer.text_content() or "")

        # A change during the pause is kept on the page, not sent, and not shown as "Saving…".
        cand.locator("#question-1 input[type=radio]").first.check()
        expect(status).to_contain_text("(1 waiting)", timeout=BOUND_MS)
        assert _stored(live_app, attempt_id, "1") is None
        assert _seconds(timer.text_content() or "") == frozen  # the clock is stopped

        _act(admin, row, "add_time", "Lost time while the camera was off", minutes="10")
        expect(timer).to_have_text(re.compile(r"^1:\d\d:\d\d$"), timeout=BOUND_MS)  # the 10 minutes show at once
        assert _seconds(timer.text_content() or "") == frozen + 10 * 60

        _act(admin, row, "resume", "Camera feed back")
        expect(banner).to_be_hidden(timeout=BOUND_MS)
        wait_saved(cand)  # the change kept during the pause is sent now
        assert _stored(live_app, attempt_id, "1") is not None
        seen = cand.evaluate("() => window.seen")
        paused_at = next(i for i, text in enumerate(seen) if text.startswith("Paused"))
        resumed_at = max(i for i, text in enumerate(seen) if text.startswith("Paused"))
        assert "Saving…" not in seen[paused_at:resumed_at + 1], seen

        _act(admin, row, "end", "Notes found on the desk")
        admin.locator("#confirm").click()  # ending a paper asks for a confirmation first (issue 18.10)
        admin.wait_for_load_state()
        expect(banner).to_contain_text("The proctor ended this paper", timeout=BOUND_MS)
        with live_app.app_context():
            ended = db.session().get(Attempt, attempt_id)
            assert ended is not None and ended.submit_reason == "proctor"
            assert ended.added_seconds == 600
    finally:
        cand_ctx.close()
        admin_ctx.close()
