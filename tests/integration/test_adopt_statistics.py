"""A sitting's item analysis feeds the bank's difficulty statistics (issue 21), once per sitting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask_babel import gettext
from sqlalchemy import select

from certexam import db
from certexam.domain.difficulty import ItemStats, pooled
from certexam.errors import Conflict
from certexam.models import Attempt, BankItem, BankItemVersion, Role
from certexam.services.results import facility
from tests.factories import candidate, staff
from tests.integration.test_results_service import (
    ETH_WRONG,
    L1_SMALL,
    RIGHT,
    banked_app,
    enrol,
    make_sitting,
    sit,
)


def test_pooled_weights_by_responses() -> None:
    assert pooled(None, 0.5, 10) == ItemStats(0.5, 10)
    assert pooled(ItemStats(0.8, 300), 0.5, 100) == ItemStats(0.725, 400)
    assert pooled(ItemStats(0.123456, 3), 0.123456, 1) == ItemStats(0.1235, 4)


def test_a_sittings_facilities_are_pooled_into_the_versions_once(tmp_path: Path) -> None:
    app = banked_app(tmp_path)
    try:
        sid = make_sitting(app, L1_SMALL)
        admin = staff(app, Role.ADMIN)
        # Three candidates: two answer everything right, one gets every ethics item wrong.
        wrong_attempts: set[int] = set()
        for strategy in (RIGHT, RIGHT, ETH_WRONG):
            user = candidate(app)
            ids = sit(app, user, enrol(app, user, sid), strategy)
            if strategy is ETH_WRONG:
                wrong_attempts.update(ids)
        with app.app_context():
            sess = db.session()
            modules = dict(sess.execute(select(BankItemVersion.id, BankItem.module)
                                        .join(BankItem, BankItem.id == BankItemVersion.item_id)).all())
            shown: dict[int, int] = {}  # version id -> candidates who had it
            wrong: dict[int, int] = {}  # version id -> of them, answered wrongly
            for attempt_id, form in sess.execute(select(Attempt.id, Attempt.form)).all():
                for entry in json.loads(form):
                    v = entry["v"]
                    shown[v] = shown.get(v, 0) + 1
                    wrong[v] = wrong.get(v, 0) + (attempt_id in wrong_attempts and modules[v] == "L1-ETH")
            before = {v: (f, n) for v, f, n in sess.execute(
                select(BankItemVersion.id, BankItemVersion.facility, BankItemVersion.facility_n)
                .where(BankItemVersion.id.in_(shown))).all()}
        assert any(wrong.values()) and all(f is not None for f, _n in before.values())  # shipped pretest figures

        with app.test_request_context():
            done = facility.adopt(admin, sid)
        assert done.versions == len(shown) and done.responses == sum(shown.values())

        with app.app_context():
            after = {v: (f, n) for v, f, n in db.session().execute(
                select(BankItemVersion.id, BankItemVersion.facility, BankItemVersion.facility_n)
                .where(BankItemVersion.id.in_(shown))).all()}
        for v, times in shown.items():
            old_f, old_n = before[v]
            measured = (times - wrong[v]) / times
            assert after[v] == (pooled(ItemStats(old_f, old_n), measured, times).facility, old_n + times), v

        with app.test_request_context(), pytest.raises(Conflict):  # the same responses never count twice
            facility.adopt(admin, sid)

        result = app.test_cli_runner().invoke(args=["results", "adopt-statistics", str(sid)])
        with app.app_context():  # the command speaks the default locale, like every command
            already = gettext("This sitting's item statistics are already in the bank.")
        assert result.exit_code != 0 and already in result.output, result.output
    finally:
        app.extensions["certexam.engine"].dispose()
