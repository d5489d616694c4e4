"""Four eyes (issue 19.6): a results release and a batch payment each need a second officer, whoever
approved a bonus onto notice does not make or pay its batch, and `bank import --approve` names a
reviewer who is not the importer. Each failed on main before: one administrator did all of it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from certexam import db
from certexam.cli.bank import bank_group
from certexam.errors import Conflict, Forbidden
from certexam.models import (
    AuditEntry,
    BankItemVersion,
    BonusApplication,
    Grant,
    Payout,
    PayoutBatch,
    Role,
    Sitting,
)
from certexam.models.bonus import ApplicationStatus, GrantStatus
from certexam.services.accounts import api_tokens
from certexam.services.bonus import duties
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


NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _batch(app: Flask, approver: Any, maker: Any) -> int:
    """A payout batch made by `maker` holding one application that `approver` put on the public notice."""
    holder = candidate(app)
    with app.app_context():
        sess = db.session()
        application = BonusApplication(
            user_id=holder.id, status=ApplicationStatus.APPROVED, submitted_at=NOW, declared_no_same_kind_award=True,
            declared_truthful=True, bank_name="招商银行", bank_account="6225881234567898", eligibility_json="{}",
            reviewed_by_id=approver.id, reviewed_at=NOW, updated_at=NOW)
        grant = Grant(application=application, user_id=holder.id, amount_fen=1_000_000, approved_at=NOW,
                      status=GrantStatus.FUNDED)
        batch = PayoutBatch(created_at=NOW, created_by_id=maker.id, total_fen=1_000_000, count=1)
        sess.add_all([application, grant, batch])
        sess.flush()
        sess.add(Payout(batch_id=batch.id, grant_id=grant.id, user_id=holder.id, amount_fen=1_000_000,
                        bank_name="招商银行", bank_account="6225881234567898"))
        sess.commit()
        return batch.id


def test_a_payout_batch_keeps_its_approver_out_and_needs_a_second_payment_officer(bank_app: Flask) -> None:
    app = bank_app
    approver = staff(app, {Role.BONUS_APPROVER, Role.PAYMENT_OFFICER})  # holds both roles: the rule still bites
    maker, checker = staff(app, {Role.PAYMENT_OFFICER}), staff(app, {Role.PAYMENT_OFFICER})
    clerk = staff(app, {Role.BONUS_CHECKER, Role.AUDITOR})
    batch_id = _batch(app, approver, maker)
    with app.app_context():
        batch = db.session().get(PayoutBatch, batch_id)
        assert batch is not None
        refused = [(duties.MAKE, approver), ("bonus.batch.paid", approver), ("bonus.batch.paid", maker),
                   ("bonus.payout.paid", maker), (duties.MAKE, clerk), ("bonus.batch.paid", clerk)]
        for step, who in refused:
            with pytest.raises(Forbidden):
                duties.check(step, who, batch)
        duties.check(duties.MAKE, maker, batch)  # making it is the maker's own step
        duties.check("bonus.batch.paid", checker, batch)  # the second payment officer confirms the payment
        duties.check("bonus.batch.paid", None, batch)  # the CLI's bookkeeping: nobody to compare
