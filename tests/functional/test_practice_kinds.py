"""Issue 22: practice papers practise every item kind the programme uses. Level 1's has multiple-response
and true/false questions (question_bank/level1/practice/); level 2's has a short answer, a skill question
and 5 proposal scenarios of which the candidate answers at most 2, drawn for a technical direction, and
its feedback shows each written answer beside its marking guide."""

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
from certexam.bankio import reader
from certexam.models import Attempt, Registration
from certexam.services.bank import item_cache
from certexam.services.bank import items as bank
from tests.conftest import csrf_from, make_app
from tests.exam_setup import open_sitting, practice_files
from tests.factories import candidate, sign_in

EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    application = make_app(Path(tmp_path_factory.mktemp("practice_kinds")))
    with application.app_context():
        result = reader.read_files(practice_files(1) + practice_files(2))
        assert not result.errors, result.errors[:3]
        bank.import_items(result.items, None, approve=True)
    yield application
    application.extensions["certexam.engine"].dispose()


def _client(app: Flask) -> tuple[FlaskClient, Any, str]:
    user = candidate(app)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(client, user.email)
    return client, user, csrf_from(client.get("/exams/").get_data(as_text=True))


def _start(client: FlaskClient, token: str, level: int, **form: str) -> int:
    started = client.post(f"/exams/practice/{level}", data={"csrf_token": token, **form})
    assert started.status_code == 302 and "/attempts/" in started.headers["Location"], started.headers
    return int(started.headers["Location"].rsplit("/", 1)[1])


def _form(app: Flask, aid: int) -> tuple[list[dict[str, Any]], dict[int, Any]]:
    with app.app_context():
        sess = db.session()
        form = json.loads(sess.scalar(select(Attempt.form).where(Attempt.id == aid)))
        return form, item_cache.items_by_version(sess, [e["v"] for e in form])


def test_a_level1_practice_shows_multiple_response_and_true_false(app: Flask) -> None:
    client, _user, token = _client(app)
    aid = _start(client, token, 1)
    page = client.get(f"/exams/attempts/{aid}").get_data(as_text=True)
    kinds = re.findall(r'data-item-type="([a-z_]+)"', page)
    assert kinds.count("multiple_response") == 3 and kinds.count("true_false") == 3
    assert kinds.count("single_choice") == 26
    mr = page.split('data-item-type="multiple_response"')[1].split('<section class="question"')[0]
    assert 'type="checkbox"' in mr and "Select all that apply" in html.unescape(mr)
    tf = page.split('data-item-type="true_false"')[1].split('<section class="question"')[0]
    assert re.findall(r'type="radio"[^>]*value="(true|false)"', tf) == ["true", "false"]


def test_a_level2_practice_has_written_questions_and_the_two_of_five_rule(app: Flask) -> None:
    client, _user, token = _client(app)
    aid = _start(client, token, 2, direction="BD")
    form, items = _form(app, aid)
    written = [(n, items[e["v"]]) for n, e in enumerate(form, 1) if e["t"] == "constructed"]
    assert sorted((i.module, i.subtype) for _, i in written) == sorted(
        [("L2-ETH", "short_answer"), ("L2-BD", "skill")] + [("L2-BD", "proposal")] * 5)
    assert {items[e["v"]].module for e in form if e["t"] == "single_choice"} == {"L2-ETH", "L2-GEN", "L2-BD"}
    proposals = [n for n, i in written if i.subtype == "proposal"]

    page = html.unescape(client.get(f"/exams/attempts/{aid}").get_data(as_text=True))
    assert page.count('data-at-most-group="2"') == 5
    assert page.count("Answer at most 2 of these scenarios.") == 5
    assert page.count('data-kind="constructed"') == 7

    # the server holds the group to 2 as well: a third proposal is refused
    h = {"X-CSRFToken": token, "Accept": "application/json"}
    device = client.post(f"/api/v1/attempts/{aid}/claim", headers=h).get_json()["device"]
    for seq, n in enumerate(proposals[:2], 1):
        r = client.put(f"/api/v1/attempts/{aid}/answers/{n}", headers=h,
                       json={"seq": seq, "answer": f"My plan {seq}", "flagged": False, "device": device})
        assert r.status_code == 200, r.get_json()
    third = client.put(f"/api/v1/attempts/{aid}/answers/{proposals[2]}", headers=h,
                       json={"seq": 3, "answer": "One too many", "flagged": False, "device": device})
    assert third.status_code == 409 and "choice_limit" in third.get_data(as_text=True), third.get_json()

    # afterwards: each written answer beside its marking guide, not counted as right or wrong
    assert client.post(f"/api/v1/attempts/{aid}/submit", json={"device": device}, headers=h).status_code == 200
    body = html.unescape(client.get(f"/exams/attempts/{aid}/finished", headers=EN).get_data(as_text=True))
    assert body.count('class="practice-question written"') == 7
    assert body.count("Marking guide") == 7 and body.count("Compare your answer with the marking guide.") == 7
    assert "0 of 6 questions right." in body
    first = next(i for n, i in written if n == proposals[0])
    assert first.rubric["en"].split("\n")[0][:40] in body
    assert "My plan 1" in body and "One too many" not in body


def test_the_direction_comes_from_the_registration_and_a_wrong_one_is_refused(app: Flask) -> None:
    client, user, token = _client(app)
    sitting = open_sitting(app, level=2, name="2026 二级")
    with app.app_context():
        sess = db.session()
        sess.add(Registration(sitting_id=sitting, user_id=user.id, admission_no=f"K1{user.id:06d}",
                              direction="CLD", created_at=db.utcnow()))
        sess.commit()
    index = client.get("/exams/").get_data(as_text=True)
    assert re.search(r'<option value="CLD" selected>', index)
    form, items = _form(app, _start(client, token, 2))  # no direction asked for: the registration's
    assert {items[e["v"]].module for e in form if e["t"] == "constructed"} == {"L2-ETH", "L2-CLD"}

    with app.app_context():
        before = db.session().scalar(select(Attempt.id).order_by(Attempt.id.desc()).limit(1))
    refused = client.post("/exams/practice/2", data={"csrf_token": token, "direction": "XYZ"})
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/exams/")
    assert "Choose your technical direction." in html.unescape(client.get("/exams/").get_data(as_text=True))
    with app.app_context():
        assert db.session().scalar(select(Attempt.id).order_by(Attempt.id.desc()).limit(1)) == before
