"""Four eyes (issue 19.6): a results release and a batch payment each need a second officer, whoever
approved a bonus onto notice does not make or pay its batch, and `bank import --approve` names a
reviewer who is not the importer. Each failed on main before: one administrator did all of it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from certexam import db
from certexam.cli.bank import bank_group
from certexam.errors import Conflict, Forbidden
from certexam.models import AuditEntry, BankItemVersion, Role, Sitting
from certexam.services.accounts import api_tokens
from certexam.services.results import release as results
from tests.confirming import confirm
from tests.conftest import make_app, post_form
from tests.factories import candidate, sign_in, staff
from tests.integration.test_moodle_import_cli import MOODLE
from tests.integration.test_results_service import L1_SMALL, RIGHT, banked_app, enrol, make_sitting, sit


@pytest.fixture
def scored(tmp_path: Path) -> Iterator[tuple[Flask, int, Any, Any]]:
    """A closed, computed sitting of one candidate, and two results officers."""
    app = banked_app(tmp_path)
    sid = make_sitting(app, L1_SMALL)
    one, two = staff(app, {Role.RESULTS_OFFICER}), staff(app, {Role.RESULTS_OFFICER})
    who = candidate(app)
    sit(app, who, enrol(app, who, sid), RIGHT)
    with app.app_context():
        results.compute(one, sid)
    yield app, sid, one, two
    app.extensions["certexam.engine"].dispose()


def _released(app: Flask, sid: int) -> bool:
    with app.app_context():
        sitting = db.session().get(Sitting, sid)
        assert sitting is not None
        return sitting.results_released_at is not None


def test_a_release_needs_a_second_results_officer(scored: tuple[Flask, int, Any, Any]) -> None:
    app, sid, one, two = scored
    with app.app_context():
        with pytest.raises(Conflict):  # nobody asked: one officer alone cannot release
            results.release(one, sid)
        results.request_release(one, sid)
        with pytest.raises(Conflict):
            results.request_release(two, sid)  # one request at a time
        with pytest.raises(Forbidden):
            results.release(one, sid)  # the asker cannot confirm
        with pytest.raises(Forbidden):
            results.release(staff(app, {Role.CERTIFICATE_OFFICER, Role.AUDITOR}), sid)
    assert not _released(app, sid)
    with app.app_context():
        assert results.release(two, sid).results == 1
        entry = db.session().scalar(select(AuditEntry).where(AuditEntry.action == "results.release"))
        assert entry is not None and entry.actor_id == two.id and json.loads(entry.after)["requested_by"] == one.id
        assert results.release_request(sid) is None
    assert _released(app, sid)


def test_a_release_request_can_be_withdrawn(scored: tuple[Flask, int, Any, Any]) -> None:
    app, sid, one, two = scored
    with app.app_context():
        results.request_release(one, sid)
        results.withdraw_release_request(two, sid)  # the second officer declines
        with pytest.raises(Conflict):
            results.release(two, sid)
    assert not _released(app, sid)


def test_the_release_pages_ask_then_confirm(scored: tuple[Flask, int, Any, Any]) -> None:
    app, sid, one, two = scored
    first, second = app.test_client(), app.test_client()
    sign_in(first, one.email)
    sign_in(second, two.email)
    page = f"/admin/results/{sid}"
    shown = post_form(first, f"{page}/release", {}, get_url=page, headers={"Accept-Language": "en"})
    assert "You are the first results officer" in shown.get_data(as_text=True)
    assert confirm(first, shown).status_code == 302
    assert not _released(app, sid)
    mine = first.get(page, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'id="release-request"' in mine and "Confirm the release" not in mine  # not for the asker
    again = post_form(first, f"{page}/release", {}, get_url=page)
    assert again.status_code == 302 and not _released(app, sid)
    shown = post_form(second, f"{page}/release", {}, get_url=page, headers={"Accept-Language": "en"})
    assert "You are the second results officer" in shown.get_data(as_text=True)
    assert confirm(second, shown).status_code == 302
    assert _released(app, sid)


def test_the_release_api_answers_202_then_200(scored: tuple[Flask, int, Any, Any]) -> None:
    app, sid, one, two = scored
    with app.app_context():
        tokens = [api_tokens.create(u, "four eyes") for u in (one, two)]
    client = app.test_client()

    def post(token: str) -> Any:
        return client.post(f"/api/v1/results/sittings/{sid}/release", headers={"Authorization": f"Bearer {token}"})

    asked = post(tokens[0])
    assert asked.status_code == 202 and asked.get_json()["status"] == "requested"
    assert post(tokens[0]).status_code == 403 and not _released(app, sid)
    done = post(tokens[1])
    assert done.status_code == 200 and done.get_json()["status"] == "released"
    assert _released(app, sid)


@pytest.fixture
def bank_app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path)
    yield app
    app.extensions["certexam.engine"].dispose()


def test_bank_import_approve_names_a_reviewer_who_is_not_the_importer(bank_app: Flask) -> None:
    app = bank_app
    author = staff(app, {Role.ITEM_AUTHOR, Role.ITEM_REVIEWER})
    reviewer, marker = staff(app, {Role.ITEM_REVIEWER}), staff(app, {Role.MARKER})
    run = app.test_cli_runner().invoke
    base = ["import", str(MOODLE), "--map", "Iota=L1-ETH", "--map", "Mu=L2-BD", "--skip-unsupported", "--approve"]
    for extra, why in (([], "needs --importer"), (["--importer", author.email], "needs --importer"),
                       (["--importer", author.email, "--reviewer", author.email], "cannot review their own"),
                       (["--importer", author.email, "--reviewer", marker.email], "not an active item reviewer")):
        refused = run(bank_group, base + extra)
        assert refused.exit_code != 0 and why in refused.output, (extra, refused.output)
    with app.app_context():
        assert db.session().scalar(select(BankItemVersion.id)) is None  # nothing imported
    done = run(bank_group, [*base, "--importer", author.email, "--reviewer", reviewer.email])
    assert done.exit_code == 0, done.output
    with app.app_context():
        versions = db.session().scalars(select(BankItemVersion)).all()
        assert versions and {(v.status, v.created_by_id, v.reviewed_by_id) for v in versions} == {
            ("approved", author.id, reviewer.id)}
