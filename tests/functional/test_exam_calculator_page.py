"""Issue 21: the exam page offers the calculator exactly where the paper's blueprint enables it (the shipped
level-1 papers and the level-1 practice test; not level 2), with its script; every exam page has the skip link
and lists its shortcuts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from certexam.bankio import reader
from certexam.services.bank import items as bank
from tests.conftest import csrf_from, make_app
from tests.exam_setup import enrol, open_sitting, practice_files
from tests.factories import candidate, sign_in


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    application = make_app(Path(tmp_path_factory.mktemp("calc")))
    with application.app_context():
        result = reader.read_files(practice_files(1) + practice_files(2))
        assert not result.errors, result.errors[:3]
        bank.import_items(result.items, None, approve=True)
    yield application
    application.extensions["certexam.engine"].dispose()


def _client(app: Flask) -> tuple[FlaskClient, object]:
    user = candidate(app)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(client, user.email)
    return client, user


def _page(client: FlaskClient, url: str) -> str:
    token = csrf_from(client.get("/exams/").get_data(as_text=True))
    started = client.post(url, data={"csrf_token": token})
    assert started.status_code == 302, started.get_data(as_text=True)[:300]
    return client.get(started.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("level,has", [(1, True), (2, False)])
def test_practice_tests_follow_their_levels_blueprint(app: Flask, level: int, has: bool) -> None:
    client, _user = _client(app)
    page = _page(client, f"/exams/practice/{level}")
    assert ('id="open-calc"' in page) is has and ('id="calculator"' in page) is has
    assert ("js/attempt_calculator.js" in page) is has
    assert 'id="skip-to-question"' in page and "<kbd>Alt</kbd>+<kbd>N</kbd>" in page
    assert ("<kbd>Alt</kbd>+<kbd>C</kbd>" in page) is has


def test_a_level1_paper_has_the_calculator(app: Flask) -> None:
    client, user = _client(app)
    reg = enrol(app, user, open_sitting(app))  # type: ignore[arg-type]
    page = _page(client, f"/exams/registrations/{reg}/papers/P1/start")
    assert 'id="open-calc"' in page and 'aria-keyshortcuts="Alt+C"' in page
    assert page.count('class="strike"') > 0  # every single-choice option has its strike-out toggle
