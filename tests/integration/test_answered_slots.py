"""Issue 18.2: the attempt's state lists a slot as answered only when it holds an answer: never blank text
(spaces, line breaks, any whitespace), an empty selection or a cleared answer. The exam page's navigator
and review screen show this list."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from certexam import db
from certexam.models import Attempt
from certexam.services.attempts import autosave
from tests.conftest import csrf_from, make_app
from tests.exam_kinds import every_kind_sitting, load_every_kind
from tests.exam_setup import enrol
from tests.factories import candidate, sign_in

WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000"


@given(st.lists(st.sampled_from([*WHITESPACE, "a", "答", "\\", '"', "\b", "\ufeff", "n", "u"]), max_size=12)
       .map("".join))
def test_a_stored_answer_is_read_as_its_decoded_value_would_be(text: str) -> None:
    stored = json.dumps(text, ensure_ascii=False)  # as autosave stores it
    assert autosave._holds_answer(stored) == autosave._answered(json.loads(stored)) == bool(text.strip())


def test_stored_choices_and_nothing() -> None:
    for value, held in ((None, False), ([], False), (["A"], True), ("B", True), (True, True), (False, True)):
        stored = None if value is None else json.dumps(value)
        assert autosave._holds_answer(stored) is held, value


def test_the_state_lists_only_slots_that_hold_an_answer(tmp_path: Any, any_db_url: str) -> None:
    app = make_app(tmp_path, any_db_url)
    try:
        load_every_kind(app)
        user = candidate(app)
        reg_id = enrol(app, user, every_kind_sitting(app))
        client = app.test_client()
        sign_in(client, user.email)
        token = csrf_from(client.get("/").get_data(as_text=True))
        h = {"X-CSRFToken": token, "Accept": "application/json"}
        aid = client.post(f"/api/v1/registrations/{reg_id}/papers/P1/start", headers=h).get_json()["attempt_id"]
        device = client.post(f"/api/v1/attempts/{aid}/claim", headers=h).get_json()["device"]
        with app.app_context():
            form = json.loads(db.session().scalar(select(Attempt.form).where(Attempt.id == aid)))
        written = [str(n) for n, e in enumerate(form, 1) if e["t"] == "constructed" and "g" not in e]
        multiple = next(str(n) for n, e in enumerate(form, 1) if e["t"] == "multiple_response")
        sends = [(written[0], "  \n\t\u3000 "), (written[1], "A real answer"), (multiple, [])]
        for seq, (slot, answer) in enumerate(sends, 1):
            r = client.put(f"/api/v1/attempts/{aid}/answers/{slot}",
                           json={"seq": seq, "answer": answer, "flagged": True, "device": device}, headers=h)
            assert r.status_code == 200, r.get_json()
        state = client.get(f"/api/v1/attempts/{aid}", headers=h).get_json()
        assert state["answered"] == [written[1]]
        assert state["flagged"] == sorted({written[0], written[1], multiple}, key=int)
        page = client.get(f"/exams/attempts/{aid}").get_data(as_text=True)
        assert f"""data-answered='["{written[1]}"]'""" in page  # the navigator starts from the same list
    finally:
        app.extensions["certexam.engine"].dispose()
