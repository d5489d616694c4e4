"""A paper taken in Portuguese and in traditional Chinese shows no text of another language (issue 22:
every shipped item in four languages; the Portuguese reader used to get simplified Chinese)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from playwright.sync_api import expect

from certexam import db
from certexam.domain import blueprint as bpr
from certexam.services.bank import items as bank
from tests.e2e.exam_pages import sign_in, wait_saved
from tests.factories import candidate
from tests.integration.test_results_service import enrol, make_sitting
from tests.shipped_bank import read_modules

pytestmark = pytest.mark.browser
# A short level-2 paper from the common part and the big-data direction, whose shipped texts are in all
# four languages: choice questions, a skill question and a proposal question.
PAPER = bpr.Blueprint(2, (bpr.Paper("AM", "上午场", "Morning", 60, (
    bpr.Section("L2-GEN", "single_choice", 4),
    bpr.Section(bpr.DIRECTION_MODULE, "constructed", 1, subtype="skill"))),),
    bpr.ScoringSettings("ranked", Fraction(3, 5), Fraction(3, 5), Fraction(2, 5)))


@pytest.mark.parametrize(("locale", "tag", "browser_locale"), [("pt", "pt", "pt-PT"), ("zh_Hant", "zh-Hant", "zh-HK")])
def test_a_paper_in_one_language_shows_only_that_language(live_app: Any, live_server: Any, browser: Any,
                                                          locale: str, tag: str, browser_locale: str) -> None:
    with live_app.app_context():
        result = read_modules(2, ("L2-GEN", "L2-BD"))
        assert not result.errors
        bank.import_items(result.items, None, approve=True)
        db.session().commit()
    user = candidate(live_app, locale=locale)
    enrol(live_app, user, make_sitting(live_app, PAPER, "2027 二级"), "BD")
    context = browser.new_context(locale=browser_locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        sign_in(page, live_server.url, user.email)
        page.goto(live_server.url + "/exams/")
        page.locator("form[action$='/papers/AM/start'] button").click()
        page.wait_for_url("**/exams/attempts/*")
        wait_saved(page)
        page.locator("#toggle-view").click()  # the whole paper at once
        expect(page.locator(".question:visible")).to_have_count(5)
        # Every visible item text is in the candidate's language; no other language shows.
        shown = page.evaluate("""() => [...document.querySelectorAll('.question [lang]')]
            .filter(e => e.offsetParent !== null && e.textContent.trim())
            .map(e => e.getAttribute('lang'))""")
        assert shown and set(shown) == {tag}
        assert page.locator("html").get_attribute("lang") == tag
    finally:
        context.close()
