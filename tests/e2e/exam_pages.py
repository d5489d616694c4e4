"""The candidate's exam page in real Chromium on a paper with every item kind: fixtures and helpers
for tests/e2e/test_exam_*.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from certexam import db
from certexam.models import Attempt, Role, User
from tests.exam_kinds import ITEM_COUNT, every_kind_sitting, load_every_kind

__all__ = ["ITEM_COUNT", "WRITTEN", "ProctorDesk", "clock_seconds", "go_to", "number_of", "proctor_acts",
           "proctor_desk", "server_state", "sign_in", "sign_in_and_begin", "wait_saved"]
from tests.exam_setup import enrol, load_bank, open_sitting
from tests.factories import PASSWORD, candidate, staff

SAVED = "All answers saved"
WRITTEN = ".question:has(textarea)"


@pytest.fixture
def kinds_ready(live_app: Any, live_server: Any) -> dict[str, Any]:
    load_every_kind(live_app)
    user = candidate(live_app)
    enrol(live_app, user, every_kind_sitting(live_app))
    return {"user": user, "url": live_server.url, "app": live_app}


@pytest.fixture
def en_page(browser: Any) -> Any:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


def sign_in(page: Any, base: str, email: str) -> None:
    """Sign in with the factories' password and land on the home page."""
    page.goto(base + "/auth/sign-in")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#submit").click()
    page.wait_for_url(base + "/")


def sign_in_and_begin(page: Any, base: str, email: str) -> None:
    sign_in(page, base, email)
    page.goto(base + "/exams/")
    page.locator("form[action$='/papers/P1/start'] button").click()  # in any interface language
    page.wait_for_url("**/exams/attempts/*")
    wait_saved(page)


def wait_saved(page: Any) -> None:
    """Until the status line says every answer is saved, in the page's language."""
    saved = page.locator("#attempt").get_attribute("data-msg-saved") or SAVED
    expect(page.locator("#save-status")).to_have_text(saved, timeout=15000)


def number_of(question: Any) -> int:
    return int(question.get_attribute("data-number"))


def server_state(page: Any, app: Any, user_id: int) -> dict[str, Any]:
    with app.app_context():
        aid = db.session().query(Attempt.id).filter(Attempt.user_id == user_id).scalar()
    resp = page.request.get(f"{page.url.split('/exams/')[0]}/api/v1/attempts/{aid}")
    assert resp.status == 200
    return dict(resp.json())


def go_to(page: Any, n: int) -> None:
    page.locator(f"#nav-{n}").click()
    expect(page.locator(f"#question-{n}")).to_be_visible()


@dataclass(frozen=True)
class ProctorDesk:
    """A candidate in paper P1 of an open sitting and an administrator on its proctor table, each in a
    browser context of their own (tests/e2e/test_proctor*.py)."""

    url: str
    sitting_id: int
    admin_user: User
    candidate: Any  # the candidate's page, on the attempt
    admin: Any  # the administrator's page, on the proctor table
    row: Any  # the attempt's row of that table


@contextmanager
def proctor_desk(app: Any, server: Any, browser: Any, fake_clock: bool = False) -> Iterator[ProctorDesk]:
    """Both pages signed in (on Playwright's clock with `fake_clock`), the candidate's P1 begun; both
    contexts closed afterwards."""
    load_bank(app)
    sitting_id = open_sitting(app)
    user = candidate(app)
    enrol(app, user, sitting_id)
    admin_user = staff(app, Role.ADMIN)
    url = server.url
    contexts = [browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900}) for _ in range(2)]
    try:
        cand, admin = (ctx.new_page() for ctx in contexts)
        for page in (cand, admin):
            page.set_default_timeout(15000)
            if fake_clock:
                page.clock.install()
        sign_in(cand, url, user.email)
        cand.goto(url + "/exams/")
        cand.get_by_role("button", name="Begin paper P1").click()
        cand.wait_for_url("**/exams/attempts/*")
        sign_in(admin, url, admin_user.email)  # after the begin, as these tests always did: the page settles
        admin.goto(f"{url}/admin/sittings/{sitting_id}/proctor")
        yield ProctorDesk(url, sitting_id, admin_user, cand, admin, admin.locator("tr[id^=attempt-]"))
    finally:
        for ctx in contexts:
            ctx.close()


def proctor_acts(desk: ProctorDesk, action: str, reason: str, minutes: str | None = None) -> None:
    """The administrator takes `action` (pause, resume, add_time, end) on the attempt's row."""
    desk.row.locator("summary").click()
    desk.row.locator("input[name=reason]").fill(reason)
    if minutes is not None:
        desk.row.locator("input[name=minutes]").fill(minutes)
    desk.row.locator(f"button[value={action}]").click()
    desk.admin.wait_for_load_state()


def clock_seconds(text: str) -> int:
    """The exam page's timer ("m:ss" or "h:mm:ss") in seconds."""
    parts = [int(p) for p in text.split(":")]
    return parts[0] * 3600 + parts[1] * 60 + parts[2] if len(parts) == 3 else parts[0] * 60 + parts[1]
