"""Issue 18.5: practice feedback states answers and keys in the letters the candidate saw (options are
shuffled per candidate), shows the question as it was shown, and maps the letters an explanation cites."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from certexam import db
from certexam.domain.catalogue import MODULES
from certexam.models import Attempt
from certexam.services.bank import item_cache
from tests.conftest import csrf_from, make_app
from tests.exam_setup import load_bank
from tests.factories import candidate, sign_in

EN = {"Accept-Language": "en"}
LETTERS = "ABCDEFGH"


@pytest.fixture
def practised(tmp_path: Path) -> Iterator[tuple[Flask, FlaskClient, int]]:
    """A level-1 practice test, every question answered with the option shown second, then submitted."""
    app = make_app(tmp_path)
    load_bank(app, tuple(m.code for m in MODULES if m.level == 1), practice=True)
    user = candidate(app)
    client = app.test_client()
    sign_in(client, user.email)
    token = csrf_from(client.get("/exams/").get_data(as_text=True))
    started = client.post("/exams/practice/1", data={"csrf_token": token})
    assert started.status_code == 302
    aid = int(started.headers["Location"].rsplit("/", 1)[1])
    h = {"X-CSRFToken": token, "Accept": "application/json"}
    device = client.post(f"/api/v1/attempts/{aid}/claim", headers=h).get_json()["device"]
    with app.app_context():
        form = json.loads(db.session().scalar(select(Attempt.form).where(Attempt.id == aid)))
    for n, entry in enumerate(form, 1):
        answer = True if entry["t"] == "true_false" else entry["o"][1] if entry["t"] == "single_choice" else entry["o"][:2]
        r = client.put(f"/api/v1/attempts/{aid}/answers/{n}", headers=h,
                       json={"seq": n, "answer": answer, "flagged": False, "device": device})
        assert r.status_code == 200, r.get_json()
    assert client.post(f"/api/v1/attempts/{aid}/submit", json={"device": device}, headers=h).status_code == 200
    yield app, client, aid
    app.extensions["certexam.engine"].dispose()


def _questions(body: str) -> list[str]:
    """Each question's feedback, in page order."""
    return body.split('<ol class="practice-review">')[1].split("</ol>", maxsplit=1)[0].split('<li class="practice-question ')[1:]


def test_answers_and_keys_are_in_the_letters_the_candidate_saw(practised: Any) -> None:
    app, client, aid = practised
    body = html.unescape(client.get(f"/exams/attempts/{aid}/finished", headers=EN).get_data(as_text=True))
    with app.app_context():
        sess = db.session()
        form = json.loads(sess.scalar(select(Attempt.form).where(Attempt.id == aid)))
        items = item_cache.items_by_version(sess, [e["v"] for e in form])
    shown = _questions(body)
    assert len(shown) == len(form) > 20
    # issue 22: the level-1 practice paper practises multiple response and true/false too
    assert {"multiple_response", "true_false"} <= {entry["t"] for entry in form}
    moved = 0
    for n, (entry, section) in enumerate(zip(form, shown, strict=True), 1):
        key = items[entry["v"]].answer
        assert f"Question {n}" in section
        flat = re.sub(r"\s+", " ", section)
        if entry["t"] == "true_false":  # answered True
            assert f"Your answer: <strong>True</strong> · Correct answer: <strong>{key}</strong>" in flat
            assert ("right" in section.split("</h3>")[0]) == (key is True)
            continue
        if entry["t"] == "multiple_response":  # answered with the first two options shown
            keys = ", ".join(sorted(LETTERS[entry["o"].index(k)] for k in key))
            assert f"Your answer: <strong>A, B</strong> · Correct answer: <strong>{keys}</strong>" in flat
            assert ("right" in section.split("</h3>")[0]) == (set(entry["o"][:2]) == set(key))
            assert re.findall(r'<input type="checkbox"[^>]*?value="([A-H])"', section) == entry["o"]
            continue
        letter = LETTERS[entry["o"].index(key)]  # where the candidate saw the key
        moved += letter != key
        assert f"Your answer: <strong>B</strong> · Correct answer: <strong>{letter}</strong>" in re.sub(r"\s+", " ", section)
        assert ("right" in section.split("</h3>")[0]) == (entry["o"][1] == key)
        # the options in the order shown, the key's row marked, the candidate's choice checked
        values = re.findall(r'<input type="radio"[^>]*?value="([A-H])"', section)
        assert values == entry["o"]
        assert re.search(rf'<li class="item-option is-key[^"]*">\s*<input [^>]*value="{key}"', section)
        assert re.search(rf'value="{entry["o"][1]}" checked disabled>', section)
    assert moved > 0  # shuffled somewhere, so the bank's letters would have been wrong


def test_an_explanation_citing_letters_gets_a_legend(practised: Any) -> None:
    app, client, aid = practised
    body = html.unescape(client.get(f"/exams/attempts/{aid}/finished", headers=EN).get_data(as_text=True))
    with app.app_context():
        sess = db.session()
        form = json.loads(sess.scalar(select(Attempt.form).where(Attempt.id == aid)))
        items = item_cache.items_by_version(sess, [e["v"] for e in form])
    legends = 0
    for entry, section in zip(form, _questions(body), strict=True):
        explanation = items[entry["v"]].explanation["en"]
        cites = re.search(r"\(([A-H])\)|\b([A-H]) is wrong", explanation)
        if entry["o"] == sorted(entry["o"]) or not cites:
            continue
        legends += 1
        pairs = ", ".join(f"{k} = your {LETTERS[i]}" for k, i in sorted((k, i) for i, k in enumerate(entry["o"])))
        assert "The explanation names the options by the question bank's letters:" in section
        assert pairs in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", section))
        assert explanation.split()[0] in section  # the explanation itself, unchanged
    assert legends > 0
