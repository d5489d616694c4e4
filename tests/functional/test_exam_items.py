"""The one item renderer (issue 17) on the exam page, in the bank's preview and in practice feedback,
for every item kind the fixture and shipped banks hold."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from certexam.bankio import reader
from certexam.domain.items import Item
from certexam.models import Role
from certexam.services.bank import items as bank
from tests.conftest import csrf_from, make_app
from tests.exam_kinds import FIXTURE, ITEM_COUNT, every_kind_sitting, load_every_kind
from tests.exam_setup import enrol
from tests.factories import candidate, sign_in, staff

EN = {"Accept-Language": "en"}


def fixture_items() -> dict[str, Item]:
    read = reader.read_files([str(FIXTURE)])
    assert not read.errors
    return {i.type: replace(i, enemies=()) for i in read.items}  # enemies name items not imported here


@pytest.fixture
def paper(tmp_path: Any) -> Iterator[tuple[Flask, FlaskClient, str, int]]:
    """A started paper with every item kind: (app, signed-in client, the exam page's HTML, attempt id)."""
    app = make_app(tmp_path)
    load_every_kind(app)
    user = candidate(app)
    reg_id = enrol(app, user, every_kind_sitting(app))
    client = app.test_client()
    sign_in(client, user.email)
    token = csrf_from(client.get("/").get_data(as_text=True))
    started = client.post(f"/api/v1/registrations/{reg_id}/papers/P1/start",
                          headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert started.status_code == 201, started.get_json()
    aid = started.get_json()["attempt_id"]
    page = client.get(f"/exams/attempts/{aid}", headers=EN)
    assert page.status_code == 200
    yield app, client, page.get_data(as_text=True), aid
    app.extensions["certexam.engine"].dispose()


def _sections(body: str) -> dict[str, str]:
    """item type -> the HTML of (the first) question section of that type."""
    out: dict[str, str] = {}
    for m in re.finditer(r'<section class="question" .*?</section>\s*(?=<section class="question"|<div class="pager)', body, re.S):
        kind = re.search(r'data-item-type="(\w+)"', m.group(0))
        assert kind
        out.setdefault(kind.group(1), m.group(0))
    return out


def test_the_exam_page_renders_every_kind_with_the_shared_renderer(paper: Any) -> None:
    _app, _client, body, _aid = paper
    assert body.count('<section class="question"') == ITEM_COUNT
    sections = _sections(body)
    assert set(sections) == {"single_choice", "multiple_response", "true_false", "item_set", "constructed"}
    for kind in ("single_choice", "multiple_response", "true_false"):
        assert '<fieldset class="item-choices"' in sections[kind] and '<ul class="item-options">' in sections[kind]
    assert sections["multiple_response"].count('type="checkbox" id=') == 4
    assert re.search(r'value="true"[^>]*data-kind="true_false"', sections["true_false"])
    item_set = sections["item_set"]
    assert '<section class="item-case"' in item_set and "A fund manager reports these returns" in item_set
    assert "<table>" in item_set  # the case's markup, sanitised, not escaped
    n = re.search(r'data-number="(\d+)"', item_set).group(1)  # type: ignore[union-attr]
    assert f'data-slots="{n}.1 {n}.2"' in item_set
    assert f'name="q{n}.1"' in item_set and f'name="q{n}.2"' in item_set
    assert item_set.count('<fieldset class="item-choices"') == 2
    written = [s for s in re.findall(r'<section class="question" .*?</section>', body, re.S) if "<textarea" in s]
    assert len(written) == 5  # short answer, skill, three proposals
    assert sum("Answer at most 2 of these scenarios." in s for s in written) == 3
    # every language of the item is there, one visible: the page's (English) where the item has it
    stem = re.search(r'<div class="item-stem" id="q\d+-stem">(.*?)</div>\s*</div>', sections["single_choice"], re.S)
    assert stem and 'data-lang="en" lang="en">' in stem.group(1) and 'data-lang="zh_Hans" lang="zh-Hans" hidden' in stem.group(1)
    # the candidate's view: no key, explanation or marking guide of any item
    for secret in ("Cherry-picking misleads", "fully disclosed", "Ethics is scored separately", "Correct answer"):
        assert secret not in body


def test_option_letters_are_the_positions_the_candidate_sees(paper: Any) -> None:
    _app, _client, body, _aid = paper
    section = _sections(body)["multiple_response"]
    letters = re.findall(r'<span class="option-key">([A-H])</span>', section)
    assert letters == ["A", "B", "C", "D"]  # shown in order whatever the bank keys behind them


def test_the_bank_preview_reveals_key_explanation_and_marking_guide(app: Flask, client: FlaskClient) -> None:
    sign_in(client, staff(app, Role.ADMIN).email)
    token = csrf_from(client.get("/admin/bank/new").get_data(as_text=True))
    items = fixture_items()

    def preview(item: Item) -> str:
        resp = client.post("/admin/bank/preview", data={"text": bank.yaml_of(item)}, headers={"X-CSRFToken": token, **EN})
        assert resp.status_code == 200
        return html.unescape(resp.get_data(as_text=True))

    single = preview(items["single_choice"])
    key_rows = re.findall(r'<li class="item-option is-key">.*?</li>', single, re.S)
    assert len(key_rows) == 3 and all('value="B"' in row and "Correct answer" in row for row in key_rows)  # 3 languages
    assert "Conflicts of interest must be <strong>fully disclosed</strong>." in single
    multiple = preview(items["multiple_response"])
    assert len(re.findall(r'<li class="item-option is-key">', multiple)) == 2 * 3  # A and C, in 3 languages
    true_false = preview(items["true_false"])
    assert len(re.findall(r'<li class="item-option is-key">\s*<input type="radio" id="[^"]+-true"', true_false)) == 3
    item_set = preview(items["item_set"])
    assert "Cherry-picking misleads." in item_set and item_set.count('class="item-option is-key"') == 2 * 3
    written = preview(items["constructed"])
    assert "Marking guide" in written and "Ethics is scored separately (4 points)" in written


def test_the_bank_detail_page_shows_the_item_as_the_candidate_sees_it(app: Flask, client: FlaskClient) -> None:
    """The detail page keeps its key in a separate, closed section: its rendering reveals nothing."""
    sign_in(client, staff(app, Role.ADMIN).email)
    with app.app_context():
        bank.import_items(list(fixture_items().values()), None)
    body = client.get("/admin/bank/L1-ETH-0004", headers=EN).get_data(as_text=True)
    rendered = body.split('id="render-heading"')[1].split('<details class="card key">')[0]
    assert "is-key" not in rendered and '<section class="item-case"' in rendered and rendered.count(" disabled") == (3 + 2) * 3  # both children, 3 languages


def test_only_form_controls_hold_a_slots_answer(paper: Any) -> None:
    """18.1's mechanism: the page reads a slot's answer from the controls named q<slot>. Nothing else is named
    so, and nothing else carries the data-slot and data-kind pair that the old lookup matched first."""
    _app, _client, body, _aid = paper
    kinds = re.findall(r'<(\w+)\s[^>]*\bdata-kind="', body)
    named = re.findall(r'<(\w+)\s[^>]*\bname="q\d', body)
    assert kinds and set(kinds) == {"input", "textarea"}
    assert len(named) == len(kinds) and set(named) == {"input", "textarea"}


def test_a_portuguese_reader_gets_english_where_an_item_lacks_portuguese(paper: Any) -> None:
    """Issue 22: the fallback was simplified Chinese for everyone; pt -> en -> zh_Hans by default."""
    _app, client, _body, aid = paper
    r = client.post("/lang", data={"lang": "pt", "csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    assert r.status_code == 302
    body = client.get(f"/exams/attempts/{aid}").get_data(as_text=True)
    assert '<html lang="pt"' in body
    stem = re.search(r'<div class="item-stem" id="q\d+-stem">(.*?)</div>\s*</div>',
                     _sections(body)["single_choice"], re.S)
    assert stem and 'data-lang="pt"' not in stem.group(1)  # the fixture's item has no Portuguese
    assert 'data-lang="en" lang="en">' in stem.group(1) and 'data-lang="zh_Hans" lang="zh-Hans" hidden' in stem.group(1)
