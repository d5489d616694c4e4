"""One whole level-2 cycle in real Chromium (issue 18, "Done when"): two candidates of the AI direction
answer single choice, a short answer, a skill question and proposals ("2 of 5": a third is refused and
explained); written answers are double-marked in the marker pages; the officer computes (ranked within the
direction), releases through the confirmation step, answers a re-check, and corrects a key after release:
the holder turned from PASS to FAIL sees the certificate revoked on the public page, the one turned to
PASS gets a certificate that verifies valid.

Ethics here is three questions (two single choice and the short answer, every one the same weight; rules
s.1-2), minimum 3/5: A answers the first ethics choice with the key and B with another option; both miss
the second and get full marks on the short answer. So A passes (2/3) and B is vetoed (1/3) until the key
of the first choice is corrected to B's option, which swaps them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from certexam import db
from certexam.domain import blueprint as bpr
from certexam.domain.items import Item
from certexam.models import Attempt, Certificate, Role, Sitting, User
from certexam.services.bank import items as bank
from certexam.services.platform import mail
from certexam.services.results import scoring_input
from tests.conftest import make_app
from tests.e2e.conftest import LiveServer
from tests.e2e.exam_pages import server_state, sign_in, wait_saved
from tests.e2e.test_cycle_level1 import (
    CLOSED_AFTER,
    Clock,
    World,
    make_sitting,
    new_context,
    open_my_result,
    release_with_confirmation,
    signing_keys,
)
from tests.factories import candidate, staff
from tests.integration.test_results_service import enrol
from tests.shipped_bank import read_modules

pytestmark = pytest.mark.browser

L2 = bpr.Blueprint(2, (bpr.Paper("AM", "上午场", "Morning", 30, (
    bpr.Section("L2-ETH", "single_choice", 2),
    bpr.Section("L2-ETH", "constructed", 1, subtype="short_answer"),
    bpr.Section(bpr.DIRECTION_MODULE, "constructed", 1, subtype="skill"),
    bpr.Section(bpr.DIRECTION_MODULE, "constructed", 5, subtype="proposal", answer_at_most=2))),),
    bpr.ScoringSettings("ranked", Fraction(3, 5), Fraction(3, 5), Fraction(2, 5)))
# PUT an answer to a third proposal from the candidate's page, as the page's own script would.
REFUSED_JS = """async ({slot, device}) => {
  const root = document.getElementById("attempt");
  const resp = await fetch(root.dataset.api + "/answers/" + encodeURIComponent(slot), {
    method: "PUT", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "Accept": "application/json",
              "X-CSRFToken": root.dataset.csrf, "X-Attempt-Device": device},
    body: JSON.stringify({seq: 9000, answer: "A third proposal", flagged: false, device: device})});
  const data = await resp.json();
  return {status: resp.status, code: data.code, error: data.error};
}"""
MARKERS = 3  # double marking plus a possible adjudicator: the service asks for three


@dataclass
class Level2(World):
    markers: list[User]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Level2]:
    clock = Clock()
    app = make_app(tmp_path, CLOCK=clock)
    with app.app_context():
        read = read_modules(2, ("L2-ETH", "L2-AI"))
        assert not read.errors, read.errors[:3]
        bank.import_items(read.items, None, approve=True)
    signing_keys(app, monkeypatch)
    sitting_id = make_sitting(app, clock, L2, "2026 秋季二级")
    with app.app_context():  # one form for everyone: a key correction then touches both candidates
        db.session().execute(update(Sitting).where(Sitting.id == sitting_id).values(assembly_mode="fixed"))
        db.session().commit()
    with LiveServer(app) as server:
        yield Level2(app, server.url, clock, sitting_id, staff(app, Role.ADMIN),
                     [staff(app, Role.GRADER, name_en=f"Marker {i}") for i in range(1, MARKERS + 1)])


def _form(w: World, user: User) -> list[tuple[str, Item, int]]:
    """(slot, item with its key, item version) of the user's paper, in paper order."""
    with w.app.app_context():
        sess = db.session()
        att = sess.scalar(select(Attempt).where(Attempt.user_id == user.id))
        assert att is not None
        versions = [e["v"] for e in json.loads(att.form)]
        return [(slot, item, versions[int(slot.split(".")[0]) - 1])
                for slot, item, _s in scoring_input.form_items(sess, att)]


def _write(page: Any, slot: str, text: str) -> None:
    """Write an answer, then flag it: the flag keeps the text (issue 18.1)."""
    box = page.locator(f"#question-{slot} textarea")
    page.locator(f"#nav-{slot}").click()
    box.fill(text)
    box.blur()
    wait_saved(page)
    page.locator(f"#question-{slot} .flag-box").check()
    wait_saved(page)
    expect(box).to_have_value(text)


def other_option(item: Item) -> str:
    return next(k for k in item.option_keys() if k != item.answer)


def _sit(w: World, browser: Any, user: User, first_ethics: Callable[[Item], str], try_a_third: bool) -> None:
    """Sit paper AM in the browser: ethics choice 1 as `first_ethics` says, choice 2 wrong, the short
    answer, the skill question and two proposals written."""
    ctx = new_context(browser)
    page = ctx.new_page()
    sign_in(page, w.url, user.email)
    page.goto(w.url + "/exams/")
    page.get_by_role("button", name="Begin paper AM").click()
    page.wait_for_url("**/exams/attempts/*")
    wait_saved(page)
    form = _form(w, user)
    ethics = [(s, i) for s, i, _v in form if i.module == "L2-ETH" and i.type == "single_choice"]
    (s1, i1), (s2, i2) = ethics
    page.locator(f"#nav-{s1}").click()
    page.locator(f"#question-{s1} input[value={first_ethics(i1)}]").check()
    page.locator(f"#nav-{s2}").click()
    page.locator(f"#question-{s2} input[value={other_option(i2)}]").check()
    wait_saved(page)
    written = {sub: [s for s, i, _v in form if i.subtype == sub] for sub in ("short_answer", "skill", "proposal")}
    assert [len(written[k]) for k in ("short_answer", "skill", "proposal")] == [1, 1, 5]
    _write(page, written["short_answer"][0], "Ethics is scored on its own; below its minimum a candidate fails.")
    _write(page, written["skill"][0], "Split the data by time, validate on the latest month, report drift.")
    for n, slot in enumerate(written["proposal"][:2], 1):
        _write(page, slot, f"Proposal {n}: a phased plan with a pilot, measures and a rollback.")
    if try_a_third:  # "2 of 5": the page refuses a third proposal and says why
        third = written["proposal"][2]
        page.locator(f"#nav-{third}").click()
        page.locator(f"#question-{third} textarea").press_sequentially("A third")
        expect(page.locator("#banner")).to_contain_text("You may answer at most 2 of these scenarios")
        expect(page.locator(f"#question-{third} textarea")).to_have_value("")
        wait_saved(page)
        # A client that skips the page's check (another tab, an altered script) is refused by the server.
        with w.app.app_context():
            device = db.session().scalar(select(Attempt.holder_token).where(Attempt.user_id == user.id))
        refused = page.evaluate(REFUSED_JS, {"slot": third, "device": device})
        assert refused["status"] == 409 and refused["code"] == "choice_limit", refused
        assert "Answer at most 2 of these 5 questions" in refused["error"]
    state = server_state(page, w.app, user.id)
    assert len(state["answered"]) == 6  # two choices, the short answer, the skill and two proposals
    assert written["proposal"][2] not in state["answered"]
    assert sorted(state["flagged"]) == sorted(written["short_answer"] + written["skill"] + written["proposal"][:2])
    page.reload()  # the flagged written answers survive a reload, text and flag
    wait_saved(page)
    for slot in written["short_answer"] + written["skill"]:
        expect(page.locator(f"#question-{slot} textarea")).not_to_have_value("")
    expect(page.locator(".flag-box:checked")).to_have_count(4)
    page.locator("#open-submit").click()
    expect(page.locator("#review-summary")).to_contain_text("6 of 9 answered, 4 flagged")
    page.locator("#confirm-submit").click()
    page.wait_for_url("**/finished")
    ctx.close()


def _mark_everything(w: Level2, browser: Any) -> int:
    """Each marker marks every answer in their queue, full marks; returns how many marks were given."""
    given = 0
    for marker in w.markers:
        ctx = new_context(browser)
        page = ctx.new_page()
        sign_in(page, w.url, marker.email)
        page.goto(w.url + "/marking/")
        while page.get_by_role("link", name="Mark", exact=True).count():
            page.get_by_role("link", name="Mark", exact=True).first.click()
            expect(page.locator("#answer-code")).not_to_be_empty()
            for name in ("Chen Meiling", "Wang Xiaoming"):  # anonymous: a code, never the candidate
                expect(page.locator("main")).not_to_contain_text(name)
            points = page.locator("input[name=points]")
            points.fill(points.get_attribute("max") or "0")
            page.get_by_role("button", name="Save mark").click()
            expect(page.locator(".flashes")).to_contain_text("Mark saved.")
            given += 1
        expect(page.locator("main")).to_contain_text("Nothing to mark at the moment.")
        ctx.close()
    return given


def _verdict(browser: Any, url: str, cert: Certificate) -> tuple[str, str]:
    ctx = new_context(browser)
    page = ctx.new_page()
    page.goto(f"{url}/v/{cert.token}")
    header = page.locator(".verdict")
    found = (header.get_attribute("class") or "", header.inner_text())
    ctx.close()
    return found


def _certs(w: World, user: User) -> list[Certificate]:
    with w.app.app_context():
        return list(db.session().scalars(select(Certificate).where(Certificate.user_id == user.id)
                                         .order_by(Certificate.id)))


def test_level2_cycle_marking_recheck_and_a_key_correction_the_certificates_follow(
        world: Level2, browser: Any) -> None:
    w = world
    a = candidate(w.app, name_en="Chen Meiling", locale="en")
    b = candidate(w.app, name_en="Wang Xiaoming", locale="en")
    for user in (a, b):
        enrol(w.app, user, w.sitting_id, direction="AI")
    # The first ethics choice: A gives the key, B another option (the one the key is later corrected to).
    _sit(w, browser, a, lambda item: str(item.answer), try_a_third=True)
    _sit(w, browser, b, other_option, try_a_third=False)
    form = _form(w, a)
    _slot, first_item, first_version = next((s, i, v) for s, i, v in form
                                            if i.module == "L2-ETH" and i.type == "single_choice")

    # The papers are closed; the officer assigns the written answers to markers, who mark them twice.
    w.clock.advance(CLOSED_AFTER)
    officer_ctx = new_context(browser)
    officer = officer_ctx.new_page()
    sign_in(officer, w.url, w.admin.email)
    results_page = f"{w.url}/admin/results/{w.sitting_id}"
    officer.goto(results_page)
    officer.locator("select[name=markers]").select_option([str(m.id) for m in w.markers])
    officer.get_by_role("button", name="Assign written answers").click()
    expect(officer.locator(".flashes")).to_contain_text("8 written answers assigned to two markers each.")
    assert _mark_everything(w, browser) == 16  # 8 answers, two markers each; they agree: no adjudication
    officer.goto(results_page)
    expect(officer.locator("main")).to_contain_text("awaiting marks 0, final 8")

    # Compute: ranked within the AI direction among those past the ethics minimum.
    officer.locator("#compute").click()
    expect(officer.locator(".flashes")).to_contain_text("Results computed: FAIL 1, PASS 1")
    rows = officer.locator("#results-table tbody tr")
    expect(rows.filter(has_text="Chen Meiling").locator(".result-pass")).to_have_count(1)
    expect(rows.filter(has_text="Chen Meiling").locator("td").nth(7)).to_have_text("1 / 1")
    expect(rows.filter(has_text="Wang Xiaoming")).to_contain_text("ETHICS_VETO")
    release_with_confirmation(officer, w.url, w.sitting_id, told=2, certs=1,
                              second=staff(w.app, {Role.RESULTS_OFFICER}).email)
    [a_cert] = _certs(w, a)
    assert _certs(w, b) == []
    tone, text = _verdict(browser, w.url, a_cert)
    assert "verdict-ok" in tone and "Valid certificate" in text

    # B asks for a re-check; the officer answers it; B reads the answer.
    b_ctx = new_context(browser)
    b_page = b_ctx.new_page()
    sign_in(b_page, w.url, b.email)
    card = open_my_result(b_page, w.url)
    expect(card).to_have_attribute("data-status", "FAIL")
    expect(b_page.locator("#veto")).to_be_visible()
    b_page.locator("textarea[name=reason]").fill("Please check my ethics answers again.")
    b_page.get_by_role("button", name="Ask for a re-check").click()
    expect(b_page.locator(".flashes")).to_contain_text("Your re-check request is recorded.")
    expect(b_page.locator(".recheck")).to_contain_text("Waiting for the answer")
    officer.goto(f"{w.url}/admin/results/rechecks")
    request = officer.locator("article.recheck", has_text="Please check my ethics answers again.")
    request.locator("textarea[name=answer]").fill("Both markers' marks and the keys were checked; they stand.")
    request.get_by_role("button", name="Send answer").click()
    expect(officer.locator(".flashes")).to_contain_text("Answer sent (result unchanged).")
    b_page.reload()
    expect(b_page.locator(".recheck")).to_contain_text("result unchanged")
    expect(b_page.locator(".recheck")).to_contain_text("they stand.")

    # A key correction after release: the first ethics choice's key becomes B's option. A falls below
    # the ethics minimum, B rises above it: the certificates follow.
    officer.goto(results_page)
    officer.locator("input[name=item]").fill(str(first_version))
    officer.locator("select[name=action]").select_option("rekey")
    officer.locator("input[name=key]").fill(other_option(first_item))
    officer.locator("textarea[name=note]").fill("The published key was wrong: the committee's review.")
    officer.get_by_role("button", name="Correct and re-score").click()
    expect(officer.locator(".flashes")).to_contain_text("Correction recorded; 2 results changed")
    officer_ctx.close()

    card = open_my_result(b_page, w.url)
    expect(card).to_have_attribute("data-status", "PASS")
    [b_cert] = _certs(w, b)
    b_page.goto(w.url + "/certificates")
    expect(b_page.locator("main")).to_contain_text(b_cert.number)
    b_ctx.close()
    tone, text = _verdict(browser, w.url, b_cert)
    assert "verdict-ok" in tone and "Valid certificate" in text
    tone, text = _verdict(browser, w.url, a_cert)
    assert "verdict-bad" in tone and "Revoked" in text
    # An employer checks A's certificate by number and surname (no QR code): revoked there too.
    employer_ctx = new_context(browser)
    employer = employer_ctx.new_page()
    employer.goto(w.url + "/verify")
    employer.locator("input[name=number]").fill(a_cert.number)
    employer.locator("input[name=surname]").fill("Chen")
    employer.locator("main form button[type=submit], main form input[type=submit]").first.click()
    expect(employer.locator(".verdict")).to_have_class(re.compile(r"verdict-bad"))
    expect(employer.locator(".verdict h1")).to_have_text("Revoked")
    employer_ctx.close()
    with w.app.app_context():  # each holder is told by mail
        subjects = {u.email: [m.subject for m in mail.outbox() if m.to == u.email] for u in (a, b)}
    assert subjects[a.email][-1] == "Your certificate has been revoked"
    assert subjects[b.email][-1] == "Your certificate is ready"
    a_ctx = new_context(browser)
    a_page = a_ctx.new_page()
    sign_in(a_page, w.url, a.email)
    expect(open_my_result(a_page, w.url)).to_have_attribute("data-status", "FAIL")
    expect(a_page.locator("#veto")).to_be_visible()
    a_ctx.close()
