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
from certexam.models import Attempt, Response
from tests.e2e.conftest import LiveServer
from tests.e2e.exam_pages import clock_seconds, proctor_acts, proctor_desk, wait_saved

pytestmark = pytest.mark.browser

BOUND_MS = 2000  # the bound: a proctor's action shows on the candidate's page within 2 s


def _stored(app: Flask, attempt_id: int, slot: str) -> str | None:
    with app.app_context():
        return db.session().scalar(select(Response.answer).where(Response.attempt_id == attempt_id,
                                                                 Response.slot == slot))


def test_pause_resume_extra_time_and_end_reach_the_candidate_within_two_seconds(
        live_app: Flask, live_server: LiveServer, browser: Any) -> None:
    with proctor_desk(live_app, live_server, browser) as desk:
        cand = desk.candidate
        wait_saved(cand)
        attempt_id = int(cand.locator("#attempt").get_attribute("data-attempt") or "0")
        banner, status, timer = cand.locator("#banner"), cand.locator("#save-status"), cand.locator("#timer")
        # Each status the line shows, in order: "Saving…" must never appear during the pause.
        cand.evaluate("""() => { window.seen = [];
            new MutationObserver(() => window.seen.push(document.getElementById('save-status').textContent))
              .observe(document.getElementById('save-status'), {childList: true, characterData: true, subtree: true}); }""")

        proctor_acts(desk, "pause", "Camera feed lost")
        expect(banner).to_contain_text("paused by the proctor", timeout=BOUND_MS)
        expect(status).to_contain_text("Paused", timeout=BOUND_MS)
        frozen = clock_seconds(timer.text_content() or "")

        # A change during the pause is kept on the page, not sent, and not shown as "Saving…".
        cand.locator("#question-1 input[type=radio]").first.check()
        expect(status).to_contain_text("(1 waiting)", timeout=BOUND_MS)
        assert _stored(live_app, attempt_id, "1") is None
        assert clock_seconds(timer.text_content() or "") == frozen  # the clock is stopped

        proctor_acts(desk, "add_time", "Lost time while the camera was off", minutes="10")
        expect(timer).to_have_text(re.compile(r"^1:\d\d:\d\d$"), timeout=BOUND_MS)  # the 10 minutes show at once
        assert clock_seconds(timer.text_content() or "") == frozen + 10 * 60

        proctor_acts(desk, "resume", "Camera feed back")
        expect(banner).to_be_hidden(timeout=BOUND_MS)
        wait_saved(cand)  # the change kept during the pause is sent now
        assert _stored(live_app, attempt_id, "1") is not None
        seen = cand.evaluate("() => window.seen")
        paused_at = next(i for i, text in enumerate(seen) if text.startswith("Paused"))
        resumed_at = max(i for i, text in enumerate(seen) if text.startswith("Paused"))
        assert "Saving…" not in seen[paused_at:resumed_at + 1], seen

        proctor_acts(desk, "end", "Notes found on the desk")
        desk.admin.locator("#confirm").click()  # ending a paper asks for a confirmation first (issue 18.10)
        desk.admin.wait_for_load_state()
        expect(banner).to_contain_text("The proctor ended this paper", timeout=BOUND_MS)
        with live_app.app_context():
            ended = db.session().get(Attempt, attempt_id)
            assert ended is not None and ended.submit_reason == "proctor"
            assert ended.added_seconds == 600
