"""`certexam push-server` (issue 18): the push route in one asyncio process, answering as Flask does.

A real server in a subprocess on a free port, on SQLite and PostgreSQL. Its answers are compared with
the Flask route's (api/push.py, through the test client of an app with the same database and key): the
idle answer for a bearer token and for a session cookie, a proctor's pause and extra time waking a
waiting poll, the refusals; and 1,000 waiting polls hold no more threads than the server's pool.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from flask import Flask

from benchmarks.exam_day_setup import free_port
from certexam import sessions
from certexam.api.push_server import READY_MARK
from certexam.models import Role, User
from certexam.services.accounts import api_tokens
from certexam.services.accounts import sessions as account_sessions
from certexam.services.attempts import proctoring
from tests.conftest import PG, _pg_create, _pg_drop, make_app
from tests.exam_setup import enrol, load_bank, open_sitting
from tests.factories import candidate, sign_in, staff

CERTEXAM = str(Path(sys.executable).with_name("certexam"))
THREADS = 4
SHORT, LONG = 2.0, 40.0  # the two servers' waits: idle answers come after SHORT; only a wake-up beats LONG
SKIP_HEADERS = {"date", "server", "content-length", "connection", "keep-alive", "set-cookie"}


class PushProcess:
    def __init__(self, app: Flask, wait: float, log: Path) -> None:
        self.port = free_port()
        env = {**os.environ, "CERTEXAM_DATABASE_URL": app.config["DATABASE_URL"],
               "CERTEXAM_SECRET_KEY": app.config["SECRET_KEY"], "CERTEXAM_INSTANCE_PATH": app.instance_path,
               "CERTEXAM_MAIL_BACKEND": "memory", "CERTEXAM_PUSH_WAIT_SECONDS": str(wait)}
        self.log = log
        self._out = log.open("wb")
        self.proc = subprocess.Popen([CERTEXAM, "push-server", "--port", str(self.port), "--threads", str(THREADS)],
                                     env=env, stdout=self._out, stderr=subprocess.STDOUT)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while READY_MARK not in self.log.read_text(errors="replace"):
            assert self.proc.poll() is None and time.monotonic() < deadline, self.log.read_text(errors="replace")
            time.sleep(0.05)

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=15)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self._out.close()
        assert code == 0, self.log.read_text(errors="replace")
        return self.log.read_text(errors="replace")

    def threads(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/task"))


@dataclass
class Person:
    user: User
    token: str
    attempt_id: int


@dataclass
class Site:
    app: Flask
    short: PushProcess
    long: PushProcess
    sitting_id: int
    native: int = 0  # polls of the tests run that the short server must have answered without Flask

    def person(self) -> Person:
        user = candidate(self.app)
        reg = enrol(self.app, user, self.sitting_id)
        with self.app.app_context():
            token = api_tokens.create(user, "push")
        r = self.app.test_client().post(f"/api/v1/registrations/{reg}/papers/P1/start",
                                        headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 201, r.get_json()
        return Person(user, token, r.get_json()["attempt_id"])

    def act(self, action: str, aid: int, *args: Any) -> None:
        with self.app.test_request_context():
            getattr(proctoring, action)(staff(self.app, Role.ADMIN), aid, *args)

    def flask(self, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        """The Flask route's answer (the test app waits briefly: its own idle answer comes soon)."""
        r = self.app.test_client(use_cookies=False).get(url, headers=headers)
        return r.status_code, {k.lower(): v for k, v in r.headers.items() if k.lower() not in SKIP_HEADERS}, \
            r.get_json()


def call(port: int, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{url}", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            status, head, body = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        status, head, body = err.code, err.headers, err.read()
    return status, {k.lower(): v for k, v in head.items() if k.lower() not in SKIP_HEADERS}, json.loads(body)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp(f"push-{request.param}")
    pg_name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'push.sqlite3'}"
    else:
        if not PG:
            pytest.skip("no PostgreSQL server answers on 127.0.0.1:5432")
        pg_name, url = _pg_create()
    app = make_app(tmp, url, PUSH_WAIT_SECONDS=0.3)
    load_bank(app)
    sitting_id = open_sitting(app)
    short, long = PushProcess(app, SHORT, tmp / "short.log"), PushProcess(app, LONG, tmp / "long.log")
    try:
        short.wait_ready()
        long.wait_ready()
        yield (found := Site(app, short, long, sitting_id))
        # The plain polls were answered natively, not by Flask (SIGTERM: the count, then exit 0).
        assert int(short.stop().split("stopped (")[1].split()[0]) >= found.native
    finally:
        for proc in (short, long):
            if proc.proc.poll() is None:
                proc.proc.kill()
        app.extensions["certexam.engine"].dispose()
        if pg_name:
            _pg_drop(pg_name)


def _session_cookie(site: Site, user: User) -> str:
    client = site.app.test_client()
    sign_in(client, user.email)
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _signed(site: Site, **changes: Any) -> str:
    """A session cookie as the app would sign it, with `changes` to its content."""
    with site.app.test_request_context():
        signer = site.app.session_interface.get_signing_serializer(site.app)  # type: ignore[attr-defined]
        return str(signer.dumps(changes))


def test_the_idle_answer_is_flasks_for_a_bearer_token_and_for_a_session_cookie(site: Site) -> None:
    me = site.person()
    url = f"/api/v1/attempts/{me.attempt_id}/push?since=0"
    for headers in ({"Authorization": f"Bearer {me.token}"}, {"Cookie": f"session={_session_cookie(site, me.user)}"}):
        started = time.monotonic()
        served = call(site.short.port, url, headers)
        took = time.monotonic() - started
        assert served == site.flask(url, headers)
        assert served[0] == 200 and served[2]["changed"] is False and served[2]["marker"] == 0
        assert served[1]["cache-control"] == "no-store" and "content-security-policy" in served[1]
        assert SHORT * 0.75 <= took < SHORT + 1.5, took  # it waited (the bounded wait, less its jitter)
        site.native += 1


def test_a_session_stamp_due_for_rewrite_gets_flasks_new_cookie_after_the_wait(site: Site) -> None:
    me = site.person()
    now = int(time.time())
    cookie = _signed(site, _user_id=f"{me.user.id}:0", _opened=now - 600, _seen=now - 120, _fresh=True)
    started = time.monotonic()
    req = urllib.request.Request(f"http://127.0.0.1:{site.short.port}/api/v1/attempts/{me.attempt_id}/push?since=0",
                                 headers={"Cookie": f"session={cookie}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        body, renewed = json.loads(resp.read()), resp.headers.get("Set-Cookie", "")
    assert time.monotonic() - started >= SHORT * 0.75  # Flask answered at once; the server still waited
    assert body == {"marker": 0, "changed": False, "events": [], "added_minutes": 0, "retry_after": None,
                    "state": None}
    assert renewed.startswith("session=") and renewed.split(";")[0] != f"session={cookie}"


def test_a_proctors_pause_and_extra_time_wake_a_waiting_poll_with_flasks_answer(site: Site) -> None:
    me = site.person()
    headers = {"Authorization": f"Bearer {me.token}"}
    for action, args in (("pause", ("Camera feed lost",)), ("add_time", (10, "lost time"))):
        # The page's first call (no marker) names the newest event: answered at once, by Flask.
        since = call(site.long.port, f"/api/v1/attempts/{me.attempt_id}/push", headers)[2]["marker"]
        url = f"/api/v1/attempts/{me.attempt_id}/push?since={since}"
        got: list[Any] = []
        poll = threading.Thread(target=lambda u=url, out=got: out.append(call(site.long.port, u, headers)))
        poll.start()
        time.sleep(1.0)  # the poll waits (LONG is 40 s)
        assert poll.is_alive()
        acted = time.monotonic()
        site.act(action, me.attempt_id, *args)
        poll.join(timeout=10)
        assert not poll.is_alive() and time.monotonic() - acted < 2.0, "the proctor's action did not wake the poll"
        status, head, body = got[0]
        f_status, f_head, f_body = site.flask(url, headers)
        assert body["changed"] and body["events"] == [{"pause": "pause", "add_time": "time_added"}[action]]
        for answer in (body, f_body):
            answer["state"].pop("server_time")  # the clock at each answer
        assert (status, head, body) == (f_status, f_head, f_body)
    assert body["added_minutes"] == 10 and body["state"]["paused"] is True


def test_refusals_are_flasks_own(site: Site) -> None:
    me, stranger, leaver = site.person(), site.person(), site.person()
    leaving = _session_cookie(site, leaver.user)
    with site.app.app_context():
        account_sessions.sign_out(leaver.user)  # every session of the account ends: its epoch is raised
    now, idle = int(time.time()), site.app.config["SESSION_IDLE_MINUTES"] * 60
    expired = _signed(site, _user_id=f"{me.user.id}:0", _opened=now - idle - 100, _seen=now - idle - 10)
    assert sessions.verdict(now - idle - 100, now - idle - 10, now, idle / 60, 12) == "expired"
    base = f"/api/v1/attempts/{me.attempt_id}/push"
    cases = [
        (f"{base}?since=0", {}, 401),  # no credential
        (f"{base}?since=0", {"Authorization": f"Bearer {stranger.token}"}, 404),  # another candidate's attempt
        (f"{base}?since=0", {"Authorization": "Bearer not-a-token"}, 401),
        (f"{base}?since=-1", {"Authorization": f"Bearer {me.token}"}, 400),  # bad since
        (f"{base}?since=1x", {"Authorization": f"Bearer {me.token}"}, 400),
        (f"/api/v1/attempts/{leaver.attempt_id}/push?since=0", {"Cookie": f"session={leaving}"}, 401),  # signed out
        (f"{base}?since=0", {"Cookie": f"session={expired}"}, 401),  # idle past SESSION_IDLE_MINUTES
        (f"{base}?since=0", {"Cookie": "session=forged.cookie.value"}, 401),
        ("/api/v1/attempts/99999999/push?since=0", {"Authorization": f"Bearer {me.token}"}, 404),
    ]
    for url, headers, status in cases:
        served = call(site.short.port, url, headers)
        assert served[0] == status, (url, headers, served)
        assert served == site.flask(url, headers), (url, headers)


def test_a_thousand_waiting_polls_hold_no_more_threads_than_the_pool(site: Site) -> None:
    me = site.person()
    url = f"http://127.0.0.1:{site.short.port}/api/v1/attempts/{me.attempt_id}/push?since=0"
    idle_threads = site.short.threads()
    counted: list[int] = []

    async def run() -> list[Any]:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as client:
            async def poll() -> Any:
                async with client.get(url, headers={"Authorization": f"Bearer {me.token}"}) as resp:
                    return resp.status, await resp.json()

            tasks = [asyncio.create_task(poll()) for _ in range(1000)]
            await asyncio.sleep(SHORT * 0.5)  # all sent, none answered yet (the wait is at least 0.8 * SHORT)
            counted.append(site.short.threads())
            return await asyncio.gather(*tasks)

    started = time.monotonic()
    # On a thread of its own: in the full suite a browser test's Playwright loop may be running on
    # this worker's main thread, where asyncio.run() refuses to start.
    with concurrent.futures.ThreadPoolExecutor(1) as own:
        answers = own.submit(asyncio.run, run()).result()
    assert time.monotonic() - started < SHORT + 10
    site.native += 1000
    assert all(a == (200, {"marker": 0, "changed": False, "events": [], "added_minutes": 0, "retry_after": None,
                           "state": None}) for a in answers)
    # The event loop's thread, the watcher's and the pool's (started on demand): not one per poll.
    assert counted[0] <= max(idle_threads, 1 + 1 + THREADS + 1), (idle_threads, counted)


def test_sigterm_answers_the_waiting_polls_at_once_and_exits(site: Site) -> None:
    # Last in the file: it stops the long-wait server (pytest keeps the file's order per database).
    me = site.person()
    headers = {"Authorization": f"Bearer {me.token}"}
    url = f"/api/v1/attempts/{me.attempt_id}/push?since=0"
    got: list[Any] = []
    poll = threading.Thread(target=lambda: got.append(call(site.long.port, url, headers)))
    poll.start()
    time.sleep(1.0)  # the poll waits (LONG is 40 s)
    assert poll.is_alive()
    stopped = time.monotonic()
    log = site.long.stop()  # exit code 0, or it fails
    poll.join(timeout=10)
    assert time.monotonic() - stopped < 5 and got and got[0][0] == 200, log
    assert got[0][2] == {"marker": 0, "changed": False, "events": [], "added_minutes": 0, "retry_after": None,
                         "state": None}
