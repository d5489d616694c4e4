"""The yearly bonus budget under load: never past the cap, exactly the cap allowed, the queue in order.

Rules s.3, item 26: at most RMB 3,000,000 a year; item 36: "不超过" includes
the number.  The concurrent tests run real transactions in threads, each with
its own app context and session, on PostgreSQL (pg_url) and on SQLite.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from certexam import db
from certexam.models import BudgetYear, Grant, Role
from certexam.models.bonus import GrantStatus
from certexam.services.bonus import budget as bonus_budget
from certexam.services.bonus import notice as bonus_notice
from tests.conftest import make_app
from tests.integration.test_bonus_services import (  # noqa: F401  (fixtures used by name)
    AFTER_NOTICE,
    eligible_holder,
    fast_passwords,
    fresh_app,
    make_org,
    make_staff,
    sqlite_template,
    to_notice,
)

BONUS = 1_000_000  # fen: RMB 10,000 (rules s.3, item 26)
THREADS = 8


def _app(kind: str, tmp_path: Path, request: pytest.FixtureRequest, **extra: object) -> Flask:
    if kind == "postgres":
        return make_app(tmp_path, request.getfixturevalue("pg_url"), **extra)
    return fresh_app(tmp_path, request.getfixturevalue("sqlite_template"), **extra)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def three_bonus_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An app whose yearly cap holds exactly three bonuses."""
    application = _app(request.param, tmp_path, request, BONUS_YEARLY_CAP_FEN=3 * BONUS)
    yield application
    application.extensions["certexam.engine"].dispose()


def _on_notice(app: Flask, n: int) -> list[int]:
    admin = make_staff(app, Role.ADMIN)
    org = make_org(app)
    return [to_notice(app, eligible_holder(app, org), admin) for _ in range(n)]


def _grants(app: Flask) -> list[Grant]:
    with app.app_context():
        return list(db.session().scalars(select(Grant).order_by(Grant.approved_at, Grant.id)))


def _committed(app: Flask, year: int) -> int:
    with app.app_context():
        row = db.session().get(BudgetYear, year)
        return 0 if row is None else row.committed_fen


def test_concurrent_approvals_never_exceed_the_cap(three_bonus_app: Flask) -> None:
    app = three_bonus_app
    ids = _on_notice(app, THREADS)
    start = threading.Barrier(THREADS)
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def approve(app_id: int) -> None:
        try:
            with app.app_context():
                start.wait()
                results[app_id] = bonus_notice.close_notice(app_id, now=AFTER_NOTICE).result
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=approve, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and sorted(results) == sorted(ids) and set(results.values()) == {"approved"}
    grants = _grants(app)
    funded = [g for g in grants if g.status == GrantStatus.FUNDED]
    waiting = [g for g in grants if g.status == GrantStatus.WAITING]
    assert len(funded) == 3 and len(waiting) == THREADS - 3
    assert _committed(app, 2026) == 3 * BONUS == sum(g.amount_fen for g in funded)  # exactly the cap, no more
    assert grants[:3] == funded  # first come, first funded: the queue order is the lock order


def test_reaching_the_default_cap_exactly_is_allowed(any_db_url: str, tmp_path: Path) -> None:
    app = make_app(tmp_path, any_db_url)
    try:
        first, second = _on_notice(app, 2)
        with app.app_context():
            sess = db.session()
            sess.add(BudgetYear(year=2026, cap_fen=300_000_000, committed_fen=299_000_000, updated_at=AFTER_NOTICE))
            sess.commit()
            assert bonus_notice.close_notice(first, now=AFTER_NOTICE).result == "approved"
            assert bonus_notice.close_notice(second, now=AFTER_NOTICE).result == "approved"
        assert _committed(app, 2026) == 300_000_000  # RMB 3,000,000: the cap itself (rules s.3, item 36)
        assert [g.status for g in _grants(app)] == [GrantStatus.FUNDED, GrantStatus.WAITING]
    finally:
        app.extensions["certexam.engine"].dispose()


def test_the_queue_moves_to_next_year_in_order(tmp_path: Path, sqlite_template: Path) -> None:  # noqa: F811
    app = fresh_app(tmp_path, sqlite_template, BONUS_YEARLY_CAP_FEN=2 * BONUS)
    try:
        ids = _on_notice(app, 5)
        with app.app_context():
            for app_id in ids:  # one after another: approval order is the id order
                bonus_notice.close_notice(app_id, now=AFTER_NOTICE)
        by_app = {g.application_id: g for g in _grants(app)}
        assert [by_app[i].budget_year for i in ids] == [2026, 2026, None, None, None]
        assert _committed(app, 2026) == 2 * BONUS
        new_year = datetime(2027, 1, 4, 2, tzinfo=UTC)  # the first working day of 2027
        late = eligible_holder(app)
        with app.app_context():
            assert bonus_budget.roll_queue(now=new_year) == 2
        by_app = {g.application_id: g for g in _grants(app)}
        assert [by_app[i].budget_year for i in ids] == [2026, 2026, 2027, 2027, None]
        assert _committed(app, 2027) == 2 * BONUS
        # A new approval in 2027 queues behind the one still waiting from 2026.
        admin = make_staff(app, Role.ADMIN)
        late_app = to_notice(app, late, admin, datetime(2027, 1, 4, 2, tzinfo=UTC))
        with app.app_context():
            bonus_notice.close_notice(late_app, now=datetime(2027, 1, 13, 2, tzinfo=UTC))
        queue = [g.application_id for g in _grants(app) if g.status == GrantStatus.WAITING]
        assert queue == [ids[4], late_app]
        with app.app_context():
            assert [g.application_id for g in bonus_budget.overview(now=new_year).queue] == queue
    finally:
        app.extensions["certexam.engine"].dispose()


def test_the_database_refuses_commitments_above_the_cap(any_db_url: str, tmp_path: Path) -> None:
    app = make_app(tmp_path, any_db_url)
    try:
        with app.app_context():
            sess = db.session()
            sess.add(BudgetYear(year=2030, cap_fen=300_000_000, committed_fen=300_000_000, updated_at=AFTER_NOTICE))
            sess.commit()
            with pytest.raises(IntegrityError):
                sess.execute(text("UPDATE bonus_budget_year SET committed_fen = committed_fen + 1 WHERE year = 2030"))
                sess.commit()
            sess.rollback()
    finally:
        app.extensions["certexam.engine"].dispose()
