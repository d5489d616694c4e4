"""Throttling, not lockout (issue 19.4): the probe locked a candidate out with five wrong passwords, and
the lock message told which emails exist. Time moves through the CLOCK setting, never by sleeping."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import make_app, post_form
from tests.factories import PASSWORD, candidate

START = datetime(2026, 12, 7, 0, 30, tzinfo=UTC)  # 08:30 in Shenzhen: the exam starts at nine
WAIT = re.compile(r"(\d+) seconds")


class Clock:
    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def site(tmp_path: Path) -> Any:
    clock = Clock()
    app = make_app(tmp_path, CLOCK=clock, RATELIMIT_ENABLED=False)  # the per-minute limiter is another layer
    yield app, clock
    app.extensions["certexam.engine"].dispose()


def attempt(app: Flask, email: str, password: str, address: str) -> str:
    """One sign-in from `address`: 'in', 'wrong', or 'wait N'."""
    client = app.test_client()
    resp = post_form(client, "/auth/sign-in", {"email": email, "password": password},
                     headers={"Accept-Language": "en"}, environ_base={"REMOTE_ADDR": address})
    if resp.status_code == 302:
        return "in"
    html = resp.get_data(as_text=True)
    if "Too many attempts" in html:
        found = WAIT.search(html)
        assert found
        return f"wait {found.group(1)}"
    assert "The email or password is not right." in html
    return "wrong"


def test_a_stranger_cannot_lock_the_owner_out(site: Any) -> None:
    """Forty wrong passwords from elsewhere: the owner, at the exam-centre PC, waits a minute at most."""
    app, clock = site
    owner = candidate(app)
    for _ in range(40):
        assert attempt(app, owner.email, "not-the-password", "203.0.113.66") in ("wrong", "wait 900")
        clock.advance(16 * 60)  # the stranger waits out the pair's 15-minute cap each time
    first = attempt(app, owner.email, PASSWORD, "198.51.100.7")
    assert first == "in" or (first.startswith("wait ") and int(first.split()[1]) <= 60)
    clock.advance(61)
    assert attempt(app, owner.email, PASSWORD, "198.51.100.7") == "in"


def test_known_and_unknown_emails_get_the_same_answers(site: Any) -> None:
    app, clock = site
    known = candidate(app)
    answers: dict[str, list[str]] = {"known": [], "unknown": []}
    for step in range(30):
        answers["known"].append(attempt(app, known.email, "wrong-password-1", "203.0.113.10"))
        answers["unknown"].append(attempt(app, "nobody@example.com", "wrong-password-1", "203.0.113.20"))
        clock.advance(1 + step % 3)
    assert answers["known"] == answers["unknown"]
    assert any(a.startswith("wait") for a in answers["known"])  # the delay did begin


def test_a_guesser_from_one_address_slows_to_a_crawl(site: Any) -> None:
    """One attempt every 30 s for an hour: five free, then waits of 1, 2, 4 ... s up to 15 min, so 18
    passwords are checked in the first hour (then four an hour), of the 120 sent."""
    app, clock = site
    owner = candidate(app)
    checked = 0
    for _ in range(120):
        if attempt(app, owner.email, "guess-guess-guess", "203.0.113.99") == "wrong":
            checked += 1
        clock.advance(30)
    assert checked == 18


def test_a_right_password_clears_the_account_keys(site: Any) -> None:
    app, clock = site
    owner = candidate(app)
    for _ in range(5):
        assert attempt(app, owner.email, "typo-typo-typo", "198.51.100.7") == "wrong"
    assert attempt(app, owner.email, PASSWORD, "198.51.100.7") == "in"
    for _ in range(5):  # five fresh free failures, not a wait
        assert attempt(app, owner.email, "typo-typo-typo", "198.51.100.7") == "wrong"


def test_every_worker_sees_the_same_counts(tmp_path: Path) -> None:
    """Two apps on one database stand for two gunicorn workers: the counts are the database's."""
    clock = Clock()
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    one = make_app(tmp_path / "a", url, CLOCK=clock, RATELIMIT_ENABLED=False)
    two = make_app(tmp_path / "b", url, CLOCK=clock, RATELIMIT_ENABLED=False)
    try:
        owner = candidate(one)
        for app in (one, two, one, two, one):
            assert attempt(app, owner.email, "wrong-wrong-wrong", "203.0.113.5") == "wrong"
        assert attempt(two, owner.email, "wrong-wrong-wrong", "203.0.113.5") == "wrong"  # the 6th failure
        assert attempt(one, owner.email, PASSWORD, "203.0.113.5") == "wait 1"
    finally:
        one.extensions["certexam.engine"].dispose()
        two.extensions["certexam.engine"].dispose()
