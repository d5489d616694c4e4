"""Translation as a workflow (issue 22): a sitting offers a language only when every item of its level
has it reviewed; a reviewer who is not the author reviews it on the item's page."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from certexam import db
from certexam.bankio import reader
from certexam.domain.bank_workflow import Action
from certexam.models import BankItem, ItemTranslation, Role
from certexam.services.bank import items as bank
from tests.conftest import csrf_from, make_app
from tests.factories import sign_in, staff
from tests.functional.test_sittings_admin_pages import VALID

BANK = Path(__file__).resolve().parents[2] / "certexam" / "question_bank" / "level1" / "L1-ECO.yaml"
EN = {"Accept-Language": "en"}


def _written_and_approved(app: Flask) -> tuple[list[str], object, object]:
    """The module's items written by an author and approved by a reviewer through the workflow."""
    author, reviewer = staff(app, Role.ITEM_AUTHOR), staff(app, Role.ITEM_REVIEWER)
    with app.app_context():
        items = reader.read_files([str(BANK)]).items
        bank.import_items(items, author)
        for bi in db.session().scalars(select(BankItem)).all():
            vid = bi.versions[-1].id
            bank.transition(author, vid, Action.SUBMIT)
            bank.transition(reviewer, vid, Action.APPROVE)
        return [i.id for i in items], author, reviewer


def _checked(html: str) -> set[str]:
    """The languages ticked on the sitting form."""
    return {re.search(r'value="(\w+)"', tag).group(1)  # type: ignore[union-attr]
            for tag in re.findall(r'<input[^>]*name="languages"[^>]*>', html) if " checked" in tag}


def test_a_reviewed_translation_becomes_a_language_the_sitting_offers(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    ids, author, reviewer = _written_and_approved(app)
    officer = app.test_client()
    sign_in(officer, staff(app, Role.RESULTS_OFFICER).email)
    page = officer.get("/admin/sittings/new", headers=EN).get_data(as_text=True)
    assert _checked(page) == {"zh_Hans"}  # English is a draft on every item
    r = officer.post("/admin/sittings/new", headers=EN, data={**VALID, "csrf_token": csrf_from(page)})
    assert r.status_code == 400 and "Not every question of this level has a reviewed translation in" in r.get_data(as_text=True)

    # The author may not review the translations they brought in; the page offers them no button.
    a = app.test_client()
    sign_in(a, author.email)  # type: ignore[attr-defined]
    assert "Mark English reviewed" not in a.get(f"/admin/bank/{ids[0]}", headers=EN).get_data(as_text=True)
    # The reviewer reviews English on every item's page (and traditional Chinese on none).
    rv = app.test_client()
    sign_in(rv, reviewer.email)  # type: ignore[attr-defined]
    for ext in ids:
        detail = rv.get(f"/admin/bank/{ext}", headers=EN).get_data(as_text=True)
        assert "Mark English reviewed" in detail and "<strong>Draft</strong>" in detail
        r = rv.post(f"/admin/bank/{ext}/versions/1/translations/en", data={"csrf_token": csrf_from(detail)})
        assert r.status_code == 302
    again = rv.post(f"/admin/bank/{ids[0]}/versions/1/translations/en",
                    data={"csrf_token": csrf_from(rv.get(f"/admin/bank/{ids[0]}").get_data(as_text=True))},
                    headers=EN, follow_redirects=True).get_data(as_text=True)
    assert "That language is already reviewed." in again
    with app.app_context():
        rows = db.session().scalars(select(ItemTranslation)).all()
        assert {r.language for r in rows} == {"en"} and {r.reviewer_id for r in rows} == {reviewer.id}  # type: ignore[attr-defined]
    coverage = rv.get("/admin/bank/translations", headers=EN).get_data(as_text=True)
    assert f"{len(ids)} / {len(ids)}" in coverage and f"0 / {len(ids)}" in coverage  # en reviewed, zh_Hant not

    page = officer.get("/admin/sittings/new", headers=EN).get_data(as_text=True)
    assert _checked(page) == {"zh_Hans", "en"}
    r = officer.post("/admin/sittings/new", headers=EN, data={**VALID, "csrf_token": csrf_from(page)})
    assert r.status_code == 302  # scheduled with English


def test_a_bulk_import_approved_by_a_reviewer_reviews_its_translations(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    author, reviewer = staff(app, Role.ITEM_AUTHOR), staff(app, Role.ITEM_REVIEWER)
    with app.app_context():
        items = reader.read_files([str(BANK)]).items
        bank.import_items(items, author, approve=True, reviewer=reviewer)
        rows = db.session().scalars(select(ItemTranslation)).all()
        assert {r.language for r in rows} == {"en", "zh_Hant", "pt"} and len(rows) == 3 * len(items)
        assert {r.reviewer_id for r in rows} == {reviewer.id}
