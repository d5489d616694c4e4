"""A database restart cuts the pooled connections: one request says 503 (try again), the next works.

The pool no longer pings before every checkout (a round trip per request), so a
dead connection is found by a real statement. This test cuts them the way a
restart does and checks what a client then sees, and that a retried save lands.
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import select

from certexam import db
from certexam.models import Response
from tests.conftest import csrf_from, make_app
from tests.exam_setup import enrol, load_bank, open_sitting
from tests.factories import candidate, sign_in

pytestmark = pytest.mark.postgres


def _cut_connections(app_url: str) -> int:
    name = app_url.rsplit("/", 1)[1]
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        cut = conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s",
                           (name,)).fetchone()
    return int(cut[0]) if cut else 0


def test_a_lost_connection_answers_503_once_and_the_retry_is_stored(tmp_path, pg_url) -> None:  # type: ignore[no-untyped-def]
    app = make_app(tmp_path, pg_url)
    load_bank(app)
    user = candidate(app)
    reg_id = enrol(app, user, open_sitting(app))
    client = app.test_client()
    sign_in(client, user.email)
    h = {"X-CSRFToken": csrf_from(client.get("/").get_data(as_text=True)), "Accept": "application/json"}
    started = client.post(f"/api/v1/registrations/{reg_id}/papers/P1/start", headers=h).get_json()
    aid, device = started["attempt_id"], started["device"]
    key = client.get(f"/api/v1/attempts/{aid}/paper").get_json()["items"][0]["item"]["options"][0]["key"]
    save = {"seq": 1, "answer": key, "device": device}

    assert _cut_connections(pg_url) >= 1  # the app's pooled connection, as a restart would
    r = client.put(f"/api/v1/attempts/{aid}/answers/1", json=save, headers=h)
    assert r.status_code == 503 and r.headers["Retry-After"] == "1"
    assert r.get_json()["error"] == "系统出现问题。您已保存的内容不会丢失，请重试。"  # the candidate's language
    r = client.put(f"/api/v1/attempts/{aid}/answers/1", json=save, headers=h)  # what the page's queue does
    assert r.status_code == 200 and r.get_json()["result"] == "stored"

    # An HTML page says the same in words, with the same code.
    _cut_connections(pg_url)
    page = client.get(f"/exams/attempts/{aid}")
    assert page.status_code == 503 and "请重试" in page.get_data(as_text=True)
    assert client.get(f"/exams/attempts/{aid}").status_code == 200
    with app.app_context():
        assert list(db.session().scalars(select(Response.seq).where(Response.attempt_id == aid))) == [1]
    app.extensions["certexam.engine"].dispose()
