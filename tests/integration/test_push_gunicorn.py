"""The push channel under a real gunicorn with threaded workers (gthread), issue 18.6.

Of three candidates' polls, two wait in a worker of 4 threads (the cap is 2) and the third is told to
come back instead of taking a thread, autosaves are still answered, and a proctor's pause written by
another process (this test's) wakes the waiting poll through the worker's watcher.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from benchmarks.exam_day_setup import Server, ServerSettings
from certexam.models import Role
from certexam.services.accounts import api_tokens
from certexam.services.attempts import proctoring
from certexam.services.attempts import push as push_service
from tests.conftest import make_app
from tests.exam_setup import enrol, load_bank, open_sitting
from tests.factories import candidate, staff


def _call(port: int, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Flask, Server, list[tuple[str, int, str]]]]:
    url = f"sqlite:///{tmp_path / 'push.sqlite3'}"
    app = make_app(tmp_path, url)
    load_bank(app)
    sitting = open_sitting(app)
    people = []
    for _ in range(3):
        user = candidate(app)
        reg = enrol(app, user, sitting)
        with app.app_context():
            people.append((api_tokens.create(user, "push"), reg))
    srv = Server("certexam.wsgi:app", url, tmp_path / "instance", ServerSettings(workers=1, threads=4),
                 secrets.token_hex(16),
                 extra_env={"CERTEXAM_PUSH_MAX_WAITERS": "2", "CERTEXAM_PUSH_WAIT_SECONDS": "45"})
    try:
        srv.wait_ready()
        started = []
        for token, reg in people:
            status, body = _call(srv.port, "POST", f"/api/v1/registrations/{reg}/papers/P1/start", token)
            assert status == 201, body
            started.append((token, body["attempt_id"], body["device"]))
        yield app, srv, started
    finally:
        srv.stop()
        app.extensions["certexam.engine"].dispose()


def test_waiting_polls_hold_at_most_the_cap_saves_go_on_and_a_pause_wakes_them(site: Any) -> None:
    app, srv, people = site
    answers: dict[int, Any] = {}

    def poll(i: int) -> None:
        token, aid, _device = people[i]
        answers[i] = _call(srv.port, "GET", f"/api/v1/attempts/{aid}/push?since=0", token)

    # Three candidates poll at once against a cap of two: whichever arrives third is told to come back at
    # once, the other two wait. Which one is third depends on the scheduler (a loaded CI machine let the
    # probe arrive first once), so the test finds it rather than assuming it.
    polls = [threading.Thread(target=poll, args=(i,)) for i in range(3)]
    for t in polls:
        t.start()
    deadline = time.monotonic() + 30  # far less than the 45 s wait: only a refusal answers this early
    while not answers and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(answers) == 1, answers
    (refused,) = answers
    status, body = answers[refused]
    assert status == 200 and body["retry_after"] == push_service.RETRY_SECONDS and body["changed"] is False
    waiting = [i for i in range(3) if i != refused]
    waiters = [polls[i] for i in waiting]
    # Autosaves are answered while two threads of four are held by waiting polls.
    token, aid, device = people[refused]
    for seq in range(1, 6):
        status, ack = _call(srv.port, "PUT", f"/api/v1/attempts/{aid}/answers/1", token,
                            {"seq": seq, "answer": None, "device": device})
        assert status == 200 and ack["result"] == "stored", ack
    assert all(t.is_alive() for t in waiters)
    with app.test_request_context():
        proctoring.pause(staff(app, Role.ADMIN), people[waiting[0]][1], "Camera feed lost")
    waiters[0].join(timeout=20)  # far less than the 45 s wait: only the watcher's wake-up answers in time
    assert not waiters[0].is_alive()
    status, body = answers[waiting[0]]
    assert status == 200 and body["changed"] and body["events"] == ["pause"] and body["state"]["paused"]
    assert waiters[1].is_alive()  # the other candidate's poll still waits: nothing happened to them
    with app.test_request_context():
        proctoring.end(staff(app, Role.ADMIN), people[waiting[1]][1], "Release the thread for the test's end")
    waiters[1].join(timeout=20)
    assert answers[waiting[1]][1]["events"] == ["proctor_end"]
