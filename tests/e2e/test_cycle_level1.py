"""One whole level-1 cycle in real Chromium (issue 18, "Done when"): a candidate answers single choice,
multiple response, true/false and an item set, flags every kind, switches the interface language, reloads
and goes offline mid-paper, and submits; the officer computes and releases through the confirmation
step; the candidate sees the result and the certificate, and the public page verifies it.

The server runs in process on a clock the test moves (the CLOCK setting): the sitting closes when the
clock passes its entry window, not after a wait.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from certexam import db
from certexam.bankio import reader
from certexam.crypto.keystore import PASSPHRASE_ENV
from certexam.domain import blueprint as bpr
from certexam.models import Attempt, BlueprintRecord, Certificate, Role, User
from certexam.services.bank import items as bank
from certexam.services.certificates import keys
from certexam.services.results import scoring_input
from certexam.services.sittings import schedule as sittings
from tests.conftest import make_app
from tests.e2e.conftest import LiveServer
from tests.e2e.exam_pages import go_to, server_state, sign_in, sign_in_and_begin, wait_saved
from tests.exam_kinds import FIXTURE
from tests.factories import candidate, staff
from tests.integration.test_results_service import enrol

pytestmark = pytest.mark.browser

# One question of each level-1 kind from the fixture bank (tests/unit/fixtures/bank/L1-ETH.yaml).
L1 = bpr.Blueprint(1, (bpr.Paper("P1", "第一卷", "Paper 1", 30, (
    bpr.Section("L1-ETH", "single_choice", 1), bpr.Section("L1-ETH", "multiple_response", 1),
    bpr.Section("L1-ETH", "true_false", 1), bpr.Section("L1-ETH", "item_set", 1))),),
    bpr.ScoringSettings("cut_score", Fraction(3, 5), Fraction(3, 5)))
LATE_ENTRY = 10  # minutes after the paper's start; the paper began 5 minutes ago
CLOSED_AFTER = timedelta(minutes=45)  # past the entry window and the paper's 30 minutes
PASSPHRASE = "e2e cycle passphrase"


class Clock:
    """The server's clock (CLOCK setting): real time at the start, moved only by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class World:
    app: Flask
    url: str
    clock: Clock
    sitting_id: int
    admin: User


def new_context(browser: Any, locale: str = "en-GB") -> Any:
    ctx = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15000)
    return ctx


def signing_keys(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The body's signing keys, so that release issues certificates."""
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    with app.app_context():
        keys.init_keys(None, datetime.now(UTC))


def make_sitting(app: Flask, clock: Clock, spec: bpr.Blueprint, name: str) -> int:
    """A one-paper sitting on `spec` whose paper began five minutes ago (by the test's clock)."""
    with app.app_context():
        sess = db.session()
        sess.add(BlueprintRecord(level=spec.level, name=name, spec=json.dumps(bpr.to_dict(spec)),
                                 created_at=clock.now))
        sess.commit()
        now = clock.now
        papers = tuple(sittings.PaperPlan(p.code, now - timedelta(minutes=5)) for p in spec.papers)
        plan = sittings.SittingPlan(
            name=name, level=spec.level, registration_opens_at=now - timedelta(days=3),
            registration_closes_at=now - timedelta(days=1), capacity=100, languages=("zh_Hans", "en"),
            fee_fen=0, papers=papers, blueprint_name=name, late_entry_minutes=LATE_ENTRY)
        return sittings.create_sitting(None, plan).id


def release_with_confirmation(page: Any, base: str, sitting_id: int, told: int, certs: int, second: str) -> None:
    """The officer's release: the first click only shows what will happen; the second asks for it;
    then a different results officer (`second`, an email) confirms the same way (issue 19.6)."""
    page.goto(f"{base}/admin/results/{sitting_id}")
    page.locator("#release").click()
    statement = page.locator("#confirm-statement")
    expect(statement).to_contain_text(f"{told} candidates will be told")
    expect(statement).to_contain_text(f"{certs} certificates issued")
    expect(page.locator("#released")).to_have_count(0)  # nothing happened yet
    page.locator("#confirm").click()
    expect(page.locator("#release-request")).to_be_visible()  # asked for: still nothing released
    expect(page.locator("#released")).to_have_count(0)
    ctx = new_context(page.context.browser)
    other = ctx.new_page()
    sign_in(other, base, second)
    other.goto(f"{base}/admin/results/{sitting_id}")
    other.locator("#release").click()
    expect(other.locator("#confirm-statement")).to_contain_text(f"{told} candidates will be told")
    other.locator("#confirm").click()
    expect(other.locator("#released")).to_be_visible()
    expect(other.locator(".flashes")).to_contain_text(f"{certs} certificates issued")
    ctx.close()


def open_my_result(page: Any, base: str) -> Any:
    page.goto(base + "/results/")
    page.locator("main table a").first.click()
    page.wait_for_url(re.compile(r".*/results/\d+$"))
    return page.locator("#result")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    clock = Clock()
    app = make_app(tmp_path, CLOCK=clock)
    with app.app_context():
        read = reader.read_files([str(FIXTURE)])
        assert not read.errors, read.errors[:3]
        # The fixture's single-choice and multiple-response items are enemies; this paper needs both.
        bank.import_items([replace(i, enemies=()) for i in read.items], None, approve=True)
    signing_keys(app, monkeypatch)
    sitting_id = make_sitting(app, clock, L1, "2026 秋季一级")
    with LiveServer(app) as server:
        yield World(app, server.url, clock, sitting_id, staff(app, Role.ADMIN))


def _question(page: Any, kind: str) -> tuple[int, Any]:
    q = page.locator(f".question[data-item-type='{kind}']")
    return int(q.get_attribute("data-number")), q


def test_level1_cycle_from_first_answer_to_verified_certificate(world: World, browser: Any) -> None:
    w = world
    user = candidate(w.app, name_zh="陈美玲", name_en="Chen Meiling")
    enrol(w.app, user, w.sitting_id)
    ctx = new_context(browser)
    page = ctx.new_page()
    sign_in_and_begin(page, w.url, user.email)
    sc_n, sc = _question(page, "single_choice")
    mr_n, mr = _question(page, "multiple_response")
    tf_n, tf = _question(page, "true_false")
    set_n, item_set = _question(page, "item_set")
    expect(page.locator(".question")).to_have_count(4)

    # Single choice and multiple response, each flagged; the true/false and the item set flagged unanswered.
    go_to(page, sc_n)
    sc.locator("input[value=B]").check()
    go_to(page, mr_n)
    mr.locator("input[value=A]").check()
    mr.locator("input[value=C]").check()
    for n, q in ((sc_n, sc), (mr_n, mr), (tf_n, tf), (set_n, item_set)):
        go_to(page, n)
        q.locator(".flag-box").check()
        wait_saved(page)
    state = server_state(page, w.app, user.id)
    assert sorted(state["answered"]) == sorted([str(sc_n), str(mr_n)])
    assert {s.split(".")[0] for s in state["flagged"]} == {str(n) for n in (sc_n, mr_n, tf_n, set_n)}

    # The interface language switches mid-paper: same question, same answers, same flags.
    go_to(page, tf_n)
    page.locator(".lang-switch button[value='zh_Hans']").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    wait_saved(page)
    expect(page.locator(f"#nav-{tf_n}")).to_have_attribute("aria-current", "true")
    expect(tf.locator("label:visible", has_text="正确")).to_have_count(1)
    expect(mr.locator("input[value=C]")).to_be_checked()
    tf.locator("input[value=true]").check()  # answered in Chinese
    wait_saved(page)

    # A reload mid-paper keeps the answers, the flags and the question shown.
    page.reload()
    wait_saved(page)
    expect(page.locator(f"#nav-{tf_n}")).to_have_attribute("aria-current", "true")
    expect(tf.locator("input[value=true]")).to_be_checked()
    expect(sc.locator("input[value=B]")).to_be_checked()
    expect(page.locator(".flag-box:checked")).to_have_count(4)
    expect(page.locator(".nav-q.answered")).to_have_count(3)

    # Offline mid-paper: the item set's answers wait on the page, then reach the server.
    page.locator(".lang-switch button[value='en']").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    wait_saved(page)
    go_to(page, set_n)
    ctx.set_offline(True)
    children = item_set.locator(".item-child")
    children.nth(0).locator("input[value=A]").check()
    children.nth(1).locator("input[value=false]").check()
    expect(page.locator("#save-status")).to_contain_text("Offline")
    expect(page.locator(f"#nav-{set_n}")).to_have_class(re.compile(r"\bpending\b"))
    ctx.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_saved(page)
    expect(page.locator(f"#nav-{set_n}")).to_have_class(re.compile(r"\banswered\b"))
    state = server_state(page, w.app, user.id)
    assert {f"{set_n}.1", f"{set_n}.2"} <= set(state["answered"])

    # Submit, through the review screen.
    page.locator("#open-submit").click()
    expect(page.locator("#review-summary")).to_contain_text("4 of 4 answered, 4 flagged")
    page.locator("#confirm-submit").click()
    page.wait_for_url("**/finished")
    expect(page.locator("main")).not_to_contain_text("Time is over")
    with w.app.app_context():
        att = db.session().scalar(select(Attempt).where(Attempt.user_id == user.id))
        assert att is not None and (att.status, att.submit_reason) == ("submitted", "candidate")

    # The entry window and the paper's time pass; the officer computes and releases.
    w.clock.advance(CLOSED_AFTER)
    officer_ctx = new_context(browser)
    officer = officer_ctx.new_page()
    sign_in(officer, w.url, w.admin.email)
    officer.goto(f"{w.url}/admin/results/{w.sitting_id}")
    officer.locator("#compute").click()
    expect(officer.locator("main")).to_contain_text("Results computed: PASS 1")
    expect(officer.locator("#results-table tbody tr")).to_have_count(1)
    expect(officer.locator("#results-table .result-pass")).to_have_count(1)
    release_with_confirmation(officer, w.url, w.sitting_id, told=1, certs=1,
                              second=staff(w.app, {Role.RESULTS_OFFICER}).email)
    officer_ctx.close()

    # The candidate sees the result and the certificate; the public page verifies it.
    card = open_my_result(page, w.url)
    expect(card).to_have_attribute("data-status", "PASS")
    expect(page.locator("#result-status")).to_have_text("Passed")
    with w.app.app_context():
        cert = db.session().scalar(select(Certificate).where(Certificate.user_id == user.id))
        assert cert is not None
    page.goto(w.url + "/certificates")
    expect(page.locator("main")).to_contain_text(cert.number)
    public = new_context(browser)
    verifier = public.new_page()
    verifier.goto(f"{w.url}/v/{cert.token}")
    expect(verifier.locator(".verdict")).to_have_class(re.compile(r"verdict-ok"))
    expect(verifier.locator(".verify-facts")).to_contain_text(cert.number)
    public.close()
    ctx.close()


def test_the_worker_closes_an_attempt_whose_browser_is_gone(world: World, browser: Any, tmp_path: Path) -> None:
    """Issue 18.7 along the way: the candidate answers, closes the browser, and nobody comes back before
    the time is over; the real `certexam worker` (a subprocess on the same database) closes the paper
    as a timeout with the saved answer kept, and the candidate's next visit shows it submitted.

    The paper's deadline is brought forward in the database (as tests/integration/test_worker.py does):
    waiting out even a one-minute paper would be the whole suite's budget.
    """
    from certexam.domain import timing
    from tests.integration.test_worker import STARTUP, Worker, closed_at, set_deadline, wait_for

    w = world
    user = candidate(w.app)
    enrol(w.app, user, w.sitting_id)
    ctx = new_context(browser)
    page = ctx.new_page()
    sign_in_and_begin(page, w.url, user.email)
    sc_n, sc = _question(page, "single_choice")
    go_to(page, sc_n)
    sc.locator("input[value=B]").check()
    wait_saved(page)
    ctx.close()  # the browser is gone
    with w.app.app_context():
        attempt_id = db.session().scalar(select(Attempt.id).where(Attempt.user_id == user.id))
    assert attempt_id is not None
    set_deadline(w.app, attempt_id, datetime.now(UTC) + timedelta(seconds=1) - timing.SAVE_GRACE)
    worker = Worker(w.app, tmp_path)
    try:
        att, entries = wait_for(lambda: closed_at(w.app, attempt_id), STARTUP, worker, "the attempt closed")
    finally:
        code = worker.stop()
    assert code == 0 and "Traceback" not in worker.output(), worker.output()[-3000:]
    assert att.submit_reason == "timeout" and len(entries) == 1 and entries[0].actor_id is None
    with w.app.app_context():
        assert scoring_input.responses(db.session(), att)[str(sc_n)] == "B"

    ctx = new_context(browser)
    page = ctx.new_page()
    sign_in(page, w.url, user.email)
    page.goto(w.url + "/exams/")
    expect(page.locator("main table")).to_contain_text("Submitted")
    expect(page.locator("form[action$='/papers/P1/start']")).to_have_count(0)
    page.goto(f"{w.url}/exams/attempts/{attempt_id}")
    page.wait_for_url("**/finished")
    expect(page.locator("main")).to_contain_text("The time ran out; every answer saved before the end counts.")
    ctx.close()
