"""What a push poll costs the server (issue 18.6, BENCHMARKS.md session 9): the exam day's usual poll,
"nothing new" after the bounded wait, reads the database once and loads no user; the cheap way in keeps
every refusal (401, 403, 404) of the full one; the waits are spread; a waiter is not woken for events it
has already seen."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, update

from certexam import db
from certexam.models import Role, User
from certexam.services.accounts import api_tokens
from certexam.services.attempts import proctoring
from certexam.services.attempts import push as push_service
from tests.conftest import csrf_from, make_app
from tests.exam_setup import enrol, load_bank, open_sitting
from tests.factories import candidate, sign_in, staff


@pytest.fixture
def exam(tmp_path: Any, any_db_url: str) -> Iterator[tuple[Flask, FlaskClient, int, User]]:
    app = make_app(tmp_path, any_db_url, PUSH_WAIT_SECONDS=0)
    load_bank(app)
    sitting_id = open_sitting(app)
    user = candidate(app)
    reg_id = enrol(app, user, sitting_id)
    client = app.test_client()
    sign_in(client, user.email)
    token = csrf_from(client.get("/").get_data(as_text=True))
    r = client.post(f"/api/v1/registrations/{reg_id}/papers/P1/start", headers={"X-CSRFToken": token})
    assert r.status_code == 201, r.get_json()
    yield app, client, r.get_json()["attempt_id"], user
    app.extensions["certexam.engine"].dispose()


TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")  # SQLite's BEGIN is a statement


class Statements:
    """The SQL statements (not transaction control) this thread sends (the watcher's scans run in a thread of their own)."""

    def __init__(self, app: Flask) -> None:
        self.engine, self.thread, self.sent = app.extensions["certexam.engine"], threading.get_ident(), []

    def _count(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() == self.thread and not statement.lstrip().upper().startswith(TRANSACTION):
            self.sent.append(statement)

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self.sent

    def __exit__(self, *_exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


def test_a_poll_with_nothing_new_sends_one_statement_by_session_and_by_bearer(exam: Any) -> None:
    app, client, aid, user = exam
    with app.app_context():
        bearer = {"Authorization": f"Bearer {api_tokens.create(user, 'push')}"}
    marker = client.get(f"/api/v1/attempts/{aid}/push").get_json()["marker"]
    for headers in ({}, bearer):
        with Statements(app) as sent:
            r = client.get(f"/api/v1/attempts/{aid}/push?since={marker}", headers=headers)
        assert r.status_code == 200 and r.get_json()["changed"] is False
        # Before: the user loaded, then the attempt's events read before and again after the wait.
        assert len(sent) == 1, sent


def test_a_change_is_still_answered_with_its_events_and_state(exam: Any) -> None:
    app, client, aid, _user = exam
    marker = client.get(f"/api/v1/attempts/{aid}/push").get_json()["marker"]
    with app.test_request_context():
        proctoring.pause(staff(app, Role.ADMIN), aid, "Camera feed lost")
    body = client.get(f"/api/v1/attempts/{aid}/push?since={marker}").get_json()
    assert body["changed"] and body["events"] == ["pause"] and body["state"]["paused"] is True


def test_the_cheap_way_in_refuses_as_the_full_one(exam: Any) -> None:
    app, client, aid, user = exam
    url = f"/api/v1/attempts/{aid}/push?since=0"
    proctor = app.test_client()  # any staff role: the push channel is a candidate's
    sign_in(proctor, staff(app, Role.GRADER).email)
    assert proctor.get(url).status_code == 403
    with app.app_context():
        token = api_tokens.create(user, "then")
    with app.app_context():
        sess = db.session()
        # The account deactivated (its sessions' epoch ended with it, as the admin page does).
        sess.execute(update(User).where(User.id == user.id)
                     .values(active=False, session_epoch=User.session_epoch + 1))
        sess.commit()
    assert client.get(url).status_code == 401
    assert app.test_client().get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert app.test_client().get(url, headers={"Authorization": "Bearer not-a-token"}).status_code == 401


def test_waits_are_spread_below_the_setting(exam: Any) -> None:
    app, *_rest = exam
    app.config["PUSH_WAIT_SECONDS"] = 50
    assert push_service.wait_seconds(app, 0.0) == 50
    assert push_service.wait_seconds(app, 0.5) == pytest.approx(45)
    assert 40 < push_service.wait_seconds(app, 0.999999) < 40.01
    assert push_service.DEFAULTS["PUSH_WAIT_SECONDS"] <= 50  # docs/deploy.md: nginx proxy_read_timeout 60 s


def test_a_waiter_is_not_woken_by_events_it_has_seen(exam: Any) -> None:
    app, client, aid, _user = exam
    with app.test_request_context():
        proctoring.pause(staff(app, Role.ADMIN), aid, "Camera feed lost")
    marker = client.get(f"/api/v1/attempts/{aid}/push").get_json()["marker"]
    w = push_service.watcher(app)
    woken = w.enter(aid, 10, marker)
    assert woken is not None
    try:
        w.scan()  # the pause is within the scan's look-back: the waiter has it already
        assert not woken.is_set()
        with app.test_request_context():
            proctoring.resume(staff(app, Role.ADMIN), aid, "Camera back")
        w.scan()
        assert woken.is_set() and w.seen(aid) > marker
    finally:
        w.leave(aid, woken)


def test_the_push_servers_driver_read_agrees_with_the_routes(exam: Any) -> None:
    """push_sql.newest_if_owner (the push server's one read per poll, on the driver) answers as the
    route's statement does: the newest proctor event for the owner, by token or by session, None for
    anyone else; and it leaves the pooled connection as the pool hands it out (not in autocommit)."""
    from certexam.services.attempts import push_sql
    from certexam.services.attempts.autosave_sql import Owner

    app, _client, aid, user = exam
    engine = app.extensions["certexam.engine"]
    with app.app_context():
        token = api_tokens.create(user, "exam client")
        stranger = api_tokens.create(candidate(app), "another candidate")
        epoch = db.session().get(User, user.id).session_epoch  # type: ignore[union-attr]
    mine = [Owner(token_digest=api_tokens.digest_of(token)), Owner(user_id=user.id, session_epoch=epoch)]
    others = [Owner(token_digest=api_tokens.digest_of(stranger)), Owner(user_id=user.id, session_epoch=epoch + 1)]
    for step in ("before", "after"):
        if step == "after":
            with app.test_request_context():
                proctoring.pause(staff(app, Role.ADMIN), aid, "Camera feed lost")
        for owner in mine:
            route = push_service.events_since(engine, owner, aid, 0)
            assert route is not None and push_sql.newest_if_owner(engine, owner, aid) == route[0]
        assert [push_sql.newest_if_owner(engine, o, aid) for o in others] == [None, None]
    assert push_sql.newest_if_owner(engine, mine[0], aid) > 0  # type: ignore[operator]
    with engine.connect() as conn:  # the pool's connection is transactional again
        if engine.dialect.name == "postgresql":
            assert conn.connection.dbapi_connection.autocommit is False  # type: ignore[union-attr]
        conn.exec_driver_sql("SELECT 1")
        assert conn.in_transaction()
