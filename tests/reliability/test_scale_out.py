"""Issue 8, scale-out: two app servers against one PostgreSQL, requests alternating between them.

Each simulated candidate sends its requests to the two servers in turn, as a
round-robin load balancer would, so one attempt is started on one server,
claimed on the other, and saved on both. Nothing may depend on a worker's
memory: sessions are signed cookies, the attempt's state is in the database.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import os
import signal
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from sqlalchemy import select

from benchmarks.exam_day_setup import app_config
from certexam import create_app, db
from certexam.models import Sitting
from tests.conftest import csrf_from
from tests.exam_setup import enrol
from tests.factories import PASSWORD, candidate
from tests.reliability.conftest import assert_whole

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("reliability")]

CANDIDATES = 20


def test_each_attempt_proceeds_across_both_servers(make_site) -> None:  # type: ignore[no-untyped-def]
    site = make_site("postgres", CANDIDATES)
    a, b = site.serve(), site.serve()
    rec = site.run_day([a.port, b.port])
    verdict = site.verify(rec, "two app servers, alternating")
    assert_whole(verdict, rec, CANDIDATES)
    total = rec.ports[a.port] + rec.ports[b.port]
    assert 0.4 < rec.ports[a.port] / total < 0.6, rec.ports


def test_an_app_server_dies_and_comes_back_mid_exam(make_site) -> None:  # type: ignore[no-untyped-def]
    site = make_site("postgres", CANDIDATES)
    a, b = site.serve(), site.serve()
    events: list[str] = []

    async def lose_a_server(t0: float) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, t0 + 5.0 - loop.time()))
        os.killpg(a.proc.pid, signal.SIGKILL)  # the whole machine gone: master and workers at once
        a.proc.wait(timeout=10)
        events.append("killed")
        await asyncio.sleep(4.0)
        await asyncio.to_thread(site.serve, a.port)  # a replacement on the same address
        events.append("back")

    rec = site.run_day([a.port, b.port], during=lose_a_server)
    verdict = site.verify(rec, "one of two app servers killed and replaced")
    assert events == ["killed", "back"]
    refused = sum(n for (_ep, status), n in rec.statuses.items() if status == 0)
    assert refused > 0  # requests did hit the dead server, and were retried on the other one
    assert_whole(verdict, rec, CANDIDATES)


class _Browser:
    """A cookie-keeping client that a round-robin balancer sends to `ports` in turn."""

    def __init__(self, ports: list[int]) -> None:
        self.ports, self.turn = ports, 0
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def send(self, method: str, path: str, data: Any = None, headers: dict[str, str] | None = None,
             form: bool = False) -> tuple[int, str, int]:
        port = self.ports[self.turn % len(self.ports)]
        self.turn += 1
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode() if form else json.dumps(data).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method,
                                     headers={"Content-Type": "application/x-www-form-urlencoded" if form
                                              else "application/json", "Accept": "application/json",
                                              **(headers or {})})
        try:
            with self.opener.open(req, timeout=20) as resp:
                return resp.status, resp.read().decode(), port
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(), port


def test_a_signed_in_browser_session_works_on_either_server(make_site) -> None:  # type: ignore[no-untyped-def]
    site = make_site("postgres", 1)
    a, b = site.serve(), site.serve()
    app = create_app(app_config(site.database.url, site.workdir / "inst-setup", site.secret_key))
    try:
        user = candidate(app)
        with app.app_context():
            sitting_id = db.session().scalar(select(Sitting.id).order_by(Sitting.id.desc()))
        reg_id = enrol(app, user, sitting_id)
    finally:
        app.extensions["certexam.engine"].dispose()
    browser = _Browser([a.port, b.port])
    status, html, first = browser.send("GET", "/auth/sign-in")
    assert status == 200
    status, _html, second = browser.send("POST", "/auth/sign-in", {
        "csrf_token": csrf_from(html), "email": user.email, "password": PASSWORD}, form=True)
    assert status == 200 and first != second  # the form came from one server, the sign-in went to the other
    status, home, _ = browser.send("GET", "/")
    token = {"X-CSRFToken": csrf_from(home)}
    steps = []
    status, text, port = browser.send("POST", f"/api/v1/registrations/{reg_id}/papers/P1/start", headers=token)
    steps.append((status, port))
    aid = json.loads(text)["attempt_id"]
    status, text, port = browser.send("POST", f"/api/v1/attempts/{aid}/claim", headers=token)
    steps.append((status, port))
    device = json.loads(text)["device"]
    status, text, port = browser.send("GET", f"/api/v1/attempts/{aid}/paper")
    steps.append((status, port))
    key = json.loads(text)["items"][0]["item"]["options"][0]["key"]
    status, text, port = browser.send("PUT", f"/api/v1/attempts/{aid}/answers/1",
                                      {"seq": 1, "answer": key, "device": device}, headers=token)
    steps.append((status, port))
    status, text, port = browser.send("GET", f"/api/v1/attempts/{aid}", headers={"X-Attempt-Device": device})
    steps.append((status, port))
    assert json.loads(text)["answered"] == ["1"] and json.loads(text)["holder"] is True
    status, text, port = browser.send("POST", f"/api/v1/attempts/{aid}/submit", {"device": device}, headers=token)
    steps.append((status, port))
    assert json.loads(text)["status"] == "submitted"
    assert [s for s, _p in steps] == [201, 200, 200, 200, 200, 200]
    assert {p for _s, p in steps} == {a.port, b.port}
