"""A database that will not take connections (a server stopping or starting) answers 503 with
Retry-After on every kind of request, never 500 (issue 19.7).

The probe restarted PostgreSQL during autosaves and got 500 for most failures: psycopg's error on
connect is not a `connection_invalidated` one, and the error page itself asked the database who
was signed in. Here the test's own database refuses new connections (ALLOW_CONNECTIONS false) and
its open ones are cut, as during a restart, on the shared server without disturbing other tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select

from certexam import db
from certexam.models import Response
from certexam.services.accounts import api_tokens
from tests.conftest import csrf_from, make_app
from tests.exam_setup import enrol, load_bank, open_sitting
from tests.factories import candidate, sign_in

pytestmark = pytest.mark.postgres
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@contextmanager
def closed_to_connections(url: str) -> Iterator[None]:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    try:
        yield
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')


def test_every_request_answers_503_while_the_database_is_away(tmp_path: Path, pg_url: str) -> None:
    app = make_app(tmp_path, pg_url)
    try:
        load_bank(app)
        sitting = open_sitting(app)
        by_session, by_token = candidate(app), candidate(app)
        reg_s, reg_t = enrol(app, by_session, sitting), enrol(app, by_token, sitting)
        with app.app_context():
            token = api_tokens.create(by_token, "fault")
        browser, client = app.test_client(), app.test_client()
        sign_in(browser, by_session.email)
        h_s = {"X-CSRFToken": csrf_from(browser.get("/account").get_data(as_text=True))}
        h_t = {"Authorization": f"Bearer {token}"}
        a_s = browser.post(f"/api/v1/registrations/{reg_s}/papers/P1/start", headers=h_s).get_json()
        a_t = client.post(f"/api/v1/registrations/{reg_t}/papers/P1/start", headers=h_t).get_json()

        def save(who: object, headers: dict[str, str], started: dict[str, object], seq: int) -> object:
            return who.put(f"/api/v1/attempts/{started['attempt_id']}/answers/1", headers=headers,  # type: ignore[attr-defined]
                           json={"seq": seq, "device": started["device"], "answer": "A"})

        visitor = app.test_client()
        visitor_csrf = csrf_from(visitor.get("/auth/sign-in").get_data(as_text=True))
        with closed_to_connections(pg_url):
            answers = {
                "save (session)": save(browser, h_s, a_s, 1),
                "save (bearer)": save(client, h_t, a_t, 1),
                "state (session)": browser.get(f"/api/v1/attempts/{a_s['attempt_id']}"),
                "state (bearer)": client.get(f"/api/v1/attempts/{a_t['attempt_id']}", headers=h_t),
                "exam page": browser.get(f"/exams/attempts/{a_s['attempt_id']}"),
                "account page": browser.get("/account"),
                "sign-in": visitor.post("/auth/sign-in", data={"email": "x@example.com", "password": "whatever-pass",
                                                               "csrf_token": visitor_csrf}),
            }
            codes = {what: (r.status_code, r.headers.get("Retry-After")) for what, r in answers.items()}
        print("while away:", codes)
        assert all(code == (503, "1") for code in codes.values()), codes
        assert answers["save (bearer)"].get_json()["error"]
        assert save(browser, h_s, a_s, 2).status_code == 200  # back: the retry is stored
        assert save(client, h_t, a_t, 2).status_code == 200
        with app.app_context():
            seqs = db.session().scalars(select(Response.seq).where(Response.slot == "1").order_by(Response.seq))
            assert list(seqs) == [2, 2]
    finally:
        app.extensions["certexam.engine"].dispose()
