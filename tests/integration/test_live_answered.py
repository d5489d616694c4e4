"""The proctor's live view counts a slot as answered by autosave's rule (issue 18.6's brief, rule of 18.2):
blank written answers (spaces, line breaks, any Unicode space) are not answers; text that only starts
with a space is."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from certexam import db
from certexam.models import Attempt
from certexam.services.attempts import proctoring
from tests.conftest import csrf_from, make_app
from tests.exam_kinds import every_kind_sitting, load_every_kind
from tests.exam_setup import enrol
from tests.factories import candidate, sign_in


def test_the_live_view_counts_only_slots_that_hold_an_answer(tmp_path: Any, any_db_url: str) -> None:
    app = make_app(tmp_path, any_db_url)
    try:
        load_every_kind(app)
        user = candidate(app)
        sitting_id = every_kind_sitting(app)
        reg_id = enrol(app, user, sitting_id)
        client = app.test_client()
        sign_in(client, user.email)
        h = {"X-CSRFToken": csrf_from(client.get("/").get_data(as_text=True)), "Accept": "application/json"}
        aid = client.post(f"/api/v1/registrations/{reg_id}/papers/P1/start", headers=h).get_json()["attempt_id"]
        device = client.post(f"/api/v1/attempts/{aid}/claim", headers=h).get_json()["device"]
        with app.app_context():
            form = json.loads(db.session().scalar(select(Attempt.form).where(Attempt.id == aid)))
        written = [str(n) for n, e in enumerate(form, 1) if e["t"] == "constructed" and "g" not in e]
        multiple = next(str(n) for n, e in enumerate(form, 1) if e["t"] == "multiple_response")
        assert len(written) >= 2
        sends = [(written[0], "  \n\t\u3000\u2003 "), (written[1], " \u3000a real answer after spaces"),
                 (multiple, [])]
        for seq, (slot, answer) in enumerate(sends, 1):
            r = client.put(f"/api/v1/attempts/{aid}/answers/{slot}",
                           json={"seq": seq, "answer": answer, "device": device}, headers=h)
            assert r.status_code == 200, r.get_json()
        state = client.get(f"/api/v1/attempts/{aid}", headers=h).get_json()
        with app.test_request_context():
            (row,) = proctoring.live_attempts(sitting_id)
        assert row.answered == len(state["answered"]) == 1  # the same rule as the clock resync
        # and blank text written with every escape JSON uses for whitespace
        r = client.put(f"/api/v1/attempts/{aid}/answers/{written[1]}",
                       json={"seq": 9, "answer": "\r\n\t\x85\xa0\u2028 ", "device": device}, headers=h)
        assert r.status_code == 200
        with app.test_request_context():
            (row,) = proctoring.live_attempts(sitting_id)
        assert row.answered == 0
    finally:
        app.extensions["certexam.engine"].dispose()
