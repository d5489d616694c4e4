"""The exam page's push channel (issue 18.6): a bounded long poll woken by the process's watcher."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from certexam.models import Role, User
from certexam.services.attempts import proctoring
from certexam.services.attempts import push as push_service
from tests.conftest import csrf_from, make_app
from tests.exam_setup import enrol, load_bank, open_sitting
from tests.factories import candidate, sign_in, staff


@pytest.fixture
def exam(tmp_path: Any, any_db_url: str) -> Iterator[tuple[Flask, FlaskClient, str, int, User]]:
    app = make_app(tmp_path, any_db_url, PUSH_WAIT_SECONDS=1)
    load_bank(app)
    sitting_id = open_sitting(app)
    user = candidate(app)
    reg_id = enrol(app, user, sitting_id)
    client = app.test_client()
    sign_in(client, user.email)
    token = csrf_from(client.get("/").get_data(as_text=True))
    r = client.post(f"/api/v1/registrations/{reg_id}/papers/P1/start", headers={"X-CSRFToken": token})
    assert r.status_code == 201, r.get_json()
    yield app, client, token, r.get_json()["attempt_id"], staff(app, Role.ADMIN)
    app.extensions["certexam.engine"].dispose()


def _act(app: Flask, action: str, admin: User, aid: int, *args: Any) -> None:
    with app.test_request_context():
        getattr(proctoring, action)(admin, aid, *args)


def _push(client: FlaskClient, aid: int, since: int | None = None) -> Any:
    url = f"/api/v1/attempts/{aid}/push" + ("" if since is None else f"?since={since}")
    return client.get(url)


def test_a_change_since_the_marker_is_answered_at_once_with_the_new_state(exam: Any) -> None:
    app, client, _token, aid, admin = exam
    first = _push(client, aid).get_json()
    assert first == {"marker": 0, "changed": False, "events": [], "added_minutes": 0, "retry_after": None,
                     "state": None}
    _act(app, "pause", admin, aid, "Camera feed lost")
    r = _push(client, aid, 0)
    body = r.get_json()
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    assert body["changed"] and body["events"] == ["pause"] and body["marker"] > 0
    assert body["state"]["paused"] and body["state"]["status"] == "paused"
    paused_at = body["marker"]
    _act(app, "add_time", admin, aid, 10, "lost time")
    _act(app, "resume", admin, aid, "Camera back")
    body = _push(client, aid, paused_at).get_json()
    assert body["events"] == ["time_added", "resume"] and body["added_minutes"] == 10
    assert body["state"]["paused"] is False and body["marker"] > paused_at
    # Nothing newer: the marker it gave comes back unchanged after the bounded wait.
    assert _push(client, aid, body["marker"]).get_json()["changed"] is False
    # The first call (no marker) names the newest event, so the page starts from there.
    assert _push(client, aid).get_json()["marker"] == body["marker"]
    # A marker the attempt has not reached (a lost client) is answered at once with the real one.
    ahead = _push(client, aid, body["marker"] + 1000).get_json()
    assert ahead["marker"] == body["marker"] and ahead["changed"] is False


def test_a_waiting_request_is_woken_by_the_watcher_when_the_proctor_acts(exam: Any) -> None:
    app, client, _token, aid, admin = exam
    app.config["PUSH_WAIT_SECONDS"] = 60  # far longer than the bound below: only a wake-up answers in time
    got: list[Any] = []
    waiter = threading.Thread(target=lambda: got.append(_push(client, aid, 0).get_json()))
    waiter.start()
    w = push_service.watcher(app)
    for _ in range(200):  # until the request waits (no sleep of fixed length)
        if w.count:
            break
        threading.Event().wait(0.05)
    assert w.count == 1
    _act(app, "end", admin, aid, "notes on the desk")
    waiter.join(timeout=20)
    assert not waiter.is_alive(), "the proctor's end did not wake the waiting request"
    assert got[0]["changed"] and got[0]["events"] == ["proctor_end"]
    assert got[0]["state"]["status"] == "submitted"
    assert w.count == 0 and w.scans >= 1


def test_too_many_waiting_requests_are_told_to_come_back(exam: Any) -> None:
    app, client, _token, aid, _admin = exam
    app.config["PUSH_MAX_WAITERS"] = 0
    body = _push(client, aid, 0).get_json()
    assert body["changed"] is False and body["retry_after"] == push_service.RETRY_SECONDS


def test_another_users_attempt_is_404_no_sign_in_is_401_a_bad_marker_is_400(exam: Any) -> None:
    app, client, _token, aid, _admin = exam
    other = candidate(app)
    stranger = app.test_client()
    sign_in(stranger, other.email)
    assert _push(stranger, aid, 0).status_code == 404
    assert _push(stranger, aid).status_code == 404
    assert _push(app.test_client(), aid, 0).status_code == 401
    assert _push(client, 10**6, 0).status_code == 404
    r = client.get(f"/api/v1/attempts/{aid}/push?since=-1")
    assert r.status_code == 400 and r.get_json()["field"] == "since"
