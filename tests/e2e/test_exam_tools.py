"""Issue 21, the candidate's tools, in real Chromium: the calculator, strike-out and highlight (kept over a
reload, never an answer), the keyboard shortcuts, the skip link, the time read on demand, the review
filters, and axe-core (bundled by axe-playwright-python: nothing is fetched) on the exam page, the review
screen and the verification pages with no serious or critical violation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.exam_pages import ITEM_COUNT, go_to, number_of, server_state, sign_in_and_begin, wait_saved

pytestmark = pytest.mark.browser
pytest_plugins = ("tests.e2e.exam_pages",)  # the kinds_ready and en_page fixtures

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def serious(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, as readable lines."""
    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}" for v in found
            if v["impact"] in ("serious", "critical")]


def calc(page: Any, keys: str) -> str:
    for k in keys.split():
        page.locator(f"#calculator [data-calc='{k}']").click()
    return str(page.locator("#calc-display").inner_text())


def test_the_candidates_tools(kinds_ready: dict[str, Any], en_page: Any) -> None:
    page, app, user = en_page, kinds_ready["app"], kinds_ready["user"]
    sign_in_and_begin(page, kinds_ready["url"], user.email)
    assert serious(page) == []

    # The skip link: Tab, Tab, Enter reaches the first answer (a radio of question 1).
    page.locator("body").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#skip-to-question")).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.closest('#question-1') !== null "
                         "&& document.activeElement.dataset.kind !== undefined")

    # The calculator (the level-1 blueprint enables it): buttons and the keyboard, percent, sign, memory.
    page.locator("#open-calc").click()
    expect(page.locator("#calculator")).to_be_visible()
    expect(page.locator("#open-calc")).to_have_attribute("aria-expanded", "true")
    assert calc(page, "1 2 + 3 0 =") == "42"
    assert calc(page, "C 0 . 1 + 0 . 2 =") == "0.3"
    assert calc(page, "C 2 0 0 + 5 % =") == "210"
    assert calc(page, "C 7 neg * 6 =") == "-42"
    assert calc(page, "C 5 M+ 3 M+ 1 M- MR") == "7"
    expect(page.locator("#calc-mem")).to_be_visible()
    assert calc(page, "C 1 / 0 =") == "Error"
    calc(page, "C")
    page.locator("#calculator [data-calc='7']").focus()
    page.keyboard.type("9*8=")  # the keyboard, with focus in the panel (Enter would press the focused key)
    expect(page.locator("#calc-display")).to_have_text("72")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "exam_calculator.png"), full_page=False)
    assert serious(page) == []
    page.keyboard.press("Escape")
    expect(page.locator("#calculator")).to_be_hidden()
    expect(page.locator("#open-calc")).to_be_focused()

    # Strike-out marks an option and never answers it; a highlight wraps the selected stem text.
    q1 = page.locator(".question[data-item-type=single_choice]")
    n = number_of(q1)
    go_to(page, n)
    strike = q1.locator(".strike").first
    strike.click()
    expect(strike).to_have_attribute("aria-pressed", "true")
    expect(q1.locator(".item-option.struck")).to_have_count(1)
    assert q1.locator("input[data-kind]:checked").count() == 0
    page.evaluate("""() => {
        const stem = document.querySelector('.question[data-item-type=single_choice] .item-stem');
        const text = stem.querySelector('.lang-text:not([hidden])') || stem;
        const node = document.createTreeWalker(text, NodeFilter.SHOW_TEXT).nextNode();
        const r = document.createRange(); r.setStart(node, 0); r.setEnd(node, 5);
        const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
    }""")
    q1.locator(".hl-add").click()
    expect(q1.locator("mark.hl")).to_have_count(1)
    marked = q1.locator("mark.hl").inner_text()
    assert len(marked) == 5

    # Shortcuts: Alt+F flags (saved on the server), Alt+N and Alt+P move, Alt+R opens the review.
    page.keyboard.press("Alt+KeyF")
    wait_saved(page)
    expect(page.locator(f"#nav-{n}")).to_have_class("nav-q flagged")
    step = "Alt+KeyN" if n < ITEM_COUNT else "Alt+KeyP"
    back = "Alt+KeyP" if n < ITEM_COUNT else "Alt+KeyN"
    page.keyboard.press(step)
    expect(page.locator(f"#question-{n + 1 if n < ITEM_COUNT else n - 1}")).to_be_visible()
    expect(q1).to_be_hidden()
    page.keyboard.press(back)
    expect(q1).to_be_visible()
    q1.locator("input[data-kind]").nth(1).check()
    wait_saved(page)
    assert server_state(page, app, user.id)["answered"] == [str(n)]

    # The time is read on demand into a polite live region.
    page.keyboard.press("Alt+KeyT")
    expect(page.locator("#time-said")).to_contain_text("Time left:")
    expect(page.locator("#time-said")).to_have_attribute("aria-live", "polite")

    # Time alerts: the candidate picks them on the page (kept over a reload); a crossing is announced once.
    page.locator("#exam-help summary").click()
    page.locator("#time-alerts input[value='30']").check()
    page.locator("#time-alerts input[value='10']").uncheck()
    tick = "left => document.getElementById('attempt').dispatchEvent(new CustomEvent('attempt:tick', {detail: {left}}))"
    page.evaluate(tick, 1799)
    expect(page.locator("#announce")).to_have_text("30 minutes left.")
    page.evaluate(tick, 599)  # 10 minutes is off now
    page.evaluate(tick, 59)
    expect(page.locator("#announce")).to_have_text("1 minute left.")

    page.keyboard.press("Alt+KeyR")
    expect(page.locator("#review")).to_be_visible()
    expect(page.locator("#review-list .chip")).to_have_count(ITEM_COUNT)
    page.locator("#review-filter input[value=unanswered]").check()
    expect(page.locator("#review-list li:visible")).to_have_count(ITEM_COUNT - 1)
    page.locator("#review-filter input[value=flagged]").check()
    expect(page.locator("#review-list li:visible")).to_have_count(1)
    expect(page.locator("#review-list li:visible .chip")).to_have_attribute(
        "aria-label", f"Question {n} (answered, flagged)")
    page.locator("#review-filter input[value=all]").check()
    page.screenshot(path=str(SHOTS / "exam_review.png"), full_page=False)
    assert serious(page) == []

    # After a reload the strike-out and the highlight are still there, and still not answers.
    page.reload()
    wait_saved(page)
    expect(q1.locator(".item-option.struck")).to_have_count(1)
    expect(q1.locator(".strike").first).to_have_attribute("aria-pressed", "true")
    expect(q1.locator("mark.hl")).to_have_text(marked)
    expect(page.locator("#time-alerts input[value='30']")).to_be_checked()
    expect(page.locator("#time-alerts input[value='10']")).not_to_be_checked()
    q1.locator(".hl-clear").click()
    expect(q1.locator("mark.hl")).to_have_count(0)
    q1.locator(".strike").first.click()
    expect(q1.locator(".item-option.struck")).to_have_count(0)


def test_the_verification_pages_pass_axe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: Any) -> None:
    from tests.e2e.conftest import LiveServer
    from tests.integration.test_certificates_service import issue, keyed_app, make_holder

    app = keyed_app(tmp_path, monkeypatch)
    cert = issue(app, make_holder(app, name_zh="李明", name_en="Li Ming"))
    with LiveServer(app) as server:
        page.goto(f"{server.url}/verify")
        assert serious(page) == []
        page.goto(f"{server.url}/V/{cert.token}")
        assert serious(page) == []


def test_option_n_types_in_a_written_answer(kinds_ready: dict[str, Any], en_page: Any) -> None:
    """On a Mac, Option+N is the tilde dead key (Portuguese "não"): in a text field it types and does not turn
    the page; Alt+N there (Windows, Linux: it types nothing) still does."""
    page = en_page
    sign_in_and_begin(page, kinds_ready["url"], kinds_ready["user"].email)
    written = page.locator(".question:has(textarea)").first  # the lowest-numbered one: never the last
    go_to(page, number_of(written))
    box = written.locator("textarea")
    box.focus()
    box.dispatch_event("keydown", {"key": "Dead", "code": "KeyN", "altKey": True, "bubbles": True})
    expect(written).to_be_visible()
    page.keyboard.press("Alt+KeyN")
    expect(written).to_be_hidden()
