"""A sitting closes before it is scored, and nothing starts, saves or submits after release (issue 18.3).

Before: results could be computed and released while a candidate could still begin a paper
(they were scored ABSENT and told "Not passed"), and the paper then started after the release.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from certexam import db
from certexam.domain import blueprint as bpr
from certexam.domain.cycle import CycleState
from certexam.errors import UserError
from certexam.models import (
    Attempt,
    AttemptStatus,
    AuditEntry,
    BlueprintRecord,
    Registration,
    Result,
    Role,
    Sitting,
    SubmitReason,
    User,
)
from certexam.services.attempts import autosave, proctoring, start_sql
from certexam.services.attempts import lifecycle as attempts
from certexam.services.attempts.autosave_sql import Owner
from certexam.services.results import cycle
from certexam.services.results import release as results
from certexam.services.sittings import schedule as sittings
from tests.clocks import Clock
from tests.conftest import PG, _pg_create, _pg_drop, make_app
from tests.exam_setup import load_bank
from tests.factories import candidate, release_by_two, staff
from tests.integration.test_results_service import RIGHT, enrol, sit

TWO_PAPERS = bpr.Blueprint(1, (
    bpr.Paper("P1", "第一卷", "Paper 1", 60, (bpr.Section("L1-ETH", "single_choice", 3),
                                              bpr.Section("L1-STD", "single_choice", 2))),
    bpr.Paper("P2", "第二卷", "Paper 2", 60, (bpr.Section("L1-ETH", "single_choice", 2),
                                              bpr.Section("L1-ECO", "single_choice", 2))),
), bpr.ScoringSettings("cut_score", Fraction(3, 5), Fraction(3, 5)))
LATE_ENTRY = 30  # minutes; P1 began 10 minutes ago and P2 5 minutes ago, so P2 takes entries 25 more



@dataclass
class Cycle:
    app: Flask
    clock: Clock
    admin: User
    sitting_id: int

    def register(self) -> tuple[User, int]:
        user = candidate(self.app)
        return user, enrol(self.app, user, self.sitting_id)

    def results(self) -> dict[int, Result]:
        with self.app.app_context():
            return {r.registration_id: r for r in db.session().scalars(
                select(Result).where(Result.sitting_id == self.sitting_id))}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def banked(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[tuple[Flask, User]]:
    """One app, bank and administrator per database for the module (importing the bank is the slow part)."""
    pg_name = url = None
    if request.param == "postgres":
        if not PG:
            pytest.skip("no PostgreSQL server answers on 127.0.0.1:5432")
        pg_name, url = _pg_create()
    app = make_app(tmp_path_factory.mktemp("cycle"), url)
    load_bank(app)
    with app.app_context():
        db.session().add(BlueprintRecord(level=1, name="two papers", spec=json.dumps(bpr.to_dict(TWO_PAPERS)),
                                         created_at=db.utcnow()))
        db.session().commit()
    yield app, staff(app, Role.ADMIN)
    app.extensions["certexam.engine"].dispose()
    if pg_name:
        _pg_drop(pg_name)


@pytest.fixture
def world(banked: tuple[Flask, User], monkeypatch: pytest.MonkeyPatch) -> Iterator[Cycle]:
    """A fresh two-paper sitting on a clock the test moves: P1 began 10 minutes ago, P2 5 minutes ago."""
    app, admin = banked
    clock = Clock()
    monkeypatch.setitem(app.config, "CLOCK", clock)
    with app.app_context():
        now = clock.now
        plan = sittings.SittingPlan(
            name="2026 秋季一级", level=1, registration_opens_at=now - timedelta(days=3),
            registration_closes_at=now - timedelta(days=1), capacity=100, languages=("zh_Hans", "en"), fee_fen=0,
            papers=(sittings.PaperPlan("P1", now - timedelta(minutes=10)),
                    sittings.PaperPlan("P2", now - timedelta(minutes=5))),
            blueprint_name="two papers", late_entry_minutes=LATE_ENTRY)
        sitting_id = sittings.create_sitting(None, plan).id
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield Cycle(app, clock, admin, sitting_id)


def _paper(w: Cycle, code: str) -> tuple[Sitting, Any]:
    sitting = db.session().get(Sitting, w.sitting_id)
    assert sitting is not None
    return sitting, next(p for p in sitting.papers if p.code == code)


def test_results_wait_for_every_entry_window_then_nothing_starts_after_release(world: Cycle) -> None:
    w = world
    (a, ra), (b, rb), (_c, rc) = w.register(), w.register(), w.register()
    sit(w.app, a, ra, RIGHT)
    with w.app.app_context():  # B sits P1 only; C never comes
        att = attempts.start(b, rb, "P1", "en")
        attempts.submit(b, att.id, attempts.claim(b, att.id).holder_token)
    # P2's entry window is open for B and C: no results yet, and nothing is written
    for action in (results.compute, results.release):
        with pytest.raises(cycle.SittingNotClosed) as refused:
            action(w.admin, w.sitting_id)
        assert refused.value.status == 409 and "25 more minutes" in refused.value.message
    assert w.results() == {} and cycle.state_of(w.sitting_id) == CycleState.OPEN
    sitting, p2 = _paper(w, "P2")
    assert attempts.may_begin(sitting, p2, {"P1"})  # what the exam page asks before offering "Begin paper P2"
    w.clock.advance(minutes=25, seconds=1)  # the window has ended
    sitting, p2 = _paper(w, "P2")
    assert not attempts.may_begin(sitting, p2, {"P1"})
    assert cycle.state_of(w.sitting_id) == CycleState.CLOSED
    assert results.compute(w.admin, w.sitting_id) == {"PASS": 1, "FAIL": 1}
    got = w.results()
    assert json.loads(got[rb].reasons) == ["ABSENT"] and rc not in got  # C never came: no result at all
    assert cycle.state_of(w.sitting_id) == CycleState.SCORED
    assert release_by_two(w.admin, w.sitting_id).results == 2
    assert cycle.state_of(w.sitting_id) == CycleState.RELEASED
    # After release nothing in the sitting starts, even if someone reopened the entry window.
    with pytest.raises(attempts.AttemptClosed):
        attempts.start(b, rb, "P2", "en")
    db.session().execute(update(Sitting).where(Sitting.id == w.sitting_id).values(late_entry_minutes=10_000))
    db.session().commit()
    sitting, p2 = _paper(w, "P2")
    assert not attempts.may_begin(sitting, p2, {"P1"})
    with pytest.raises(attempts.AttemptClosed) as closed:
        attempts.start(b, rb, "P2", "en")
    assert "results" in closed.value.message
    assert db.session().scalars(select(Attempt.paper_code).where(Attempt.registration_id == rb)).all() == ["P1"]
    starts = db.session().scalars(select(AuditEntry.id).where(AuditEntry.action == "attempt.start")).all()
    assert len(starts) == 3  # A's two papers and B's first: nothing after the release


def test_a_start_planned_before_release_inserts_nothing_after_it(world: Cycle) -> None:
    """The planned start's writer turn re-checks the release inside its INSERT (and the entry window
    before it): a plan read before the release cannot start a paper after it."""
    w = world
    (a, ra), (b, rb) = w.register(), w.register()
    sit(w.app, a, ra, RIGHT)
    with w.app.app_context():
        att = attempts.start(b, rb, "P1", "en")
        attempts.submit(b, att.id, attempts.claim(b, att.id).holder_token)
    plan = attempts._plan(Owner(user_id=b.id), rb, "P2")  # noqa: SLF001
    assert isinstance(plan, start_sql.Planned)
    w.clock.advance(minutes=26)
    assert start_sql.insert_planned(plan, "en") is None  # the window closed since the plan
    results.compute(w.admin, w.sitting_id)
    release_by_two(w.admin, w.sitting_id)
    late = plan._replace(entry_closes_at=w.clock.now + timedelta(hours=1))  # as if the window were still open
    assert start_sql.insert_planned(late, "en") is None
    assert db.session().scalars(select(Attempt.paper_code).where(Attempt.registration_id == rb)).all() == ["P1"]


def test_results_wait_for_running_attempts_and_the_expired_are_closed(world: Cycle) -> None:
    w = world
    (a, ra), (b, rb) = w.register(), w.register()
    sit(w.app, a, ra, RIGHT)
    running = attempts.start(b, rb, "P1", "en")  # B is still writing P1
    w.clock.advance(minutes=26)  # every entry window has ended
    with pytest.raises(cycle.SittingNotClosed) as refused:
        results.compute(w.admin, w.sitting_id)
    assert "1 attempt of this sitting is still open" in refused.value.message
    assert cycle.state_of(w.sitting_id) == CycleState.RUNNING and w.results() == {}
    w.clock.advance(minutes=60)  # B's deadline (and its grace) has passed: compute closes it first
    assert results.compute(w.admin, w.sitting_id) == {"PASS": 1, "FAIL": 1}
    closed = db.session().get(Attempt, running.id)
    assert closed is not None and (closed.status, closed.submit_reason) == (AttemptStatus.SUBMITTED,
                                                                           SubmitReason.TIMEOUT)
    assert json.loads(w.results()[rb].reasons) == ["ABSENT"]  # P1 timed out, P2 never begun


def test_a_paused_attempt_holds_scoring_until_the_proctor_acts(world: Cycle) -> None:
    w = world
    (a, ra), (b, rb) = w.register(), w.register()
    sit(w.app, a, ra, RIGHT)
    running = attempts.start(b, rb, "P1", "en")
    proctoring.pause(w.admin, running.id, "fire alarm in hall 2")
    w.clock.advance(hours=3)  # past every window and the paper's length: a pause stops the clock
    with pytest.raises(cycle.SittingNotClosed):
        results.release(w.admin, w.sitting_id)
    proctoring.end(w.admin, running.id, "the hall was closed for the day")
    assert results.compute(w.admin, w.sitting_id) == {"PASS": 1, "FAIL": 1}


def test_after_release_nothing_saves_or_submits(world: Cycle) -> None:
    w = world
    a, ra = w.register()
    sit(w.app, a, ra, RIGHT)
    w.clock.advance(minutes=26)
    results.compute(w.admin, w.sitting_id)
    release_by_two(w.admin, w.sitting_id)
    att = db.session().scalars(select(Attempt).where(Attempt.registration_id == ra, Attempt.paper_code == "P2")).one()
    device = att.holder_token
    with pytest.raises(attempts.AttemptClosed):
        autosave.save(a, att.id, device, "1", None, False, 999)
    assert autosave.try_save(Owner(user_id=a.id), att.id, device, "1", None, False, 999) is None
    with pytest.raises(attempts.AttemptClosed) as refused:
        attempts.submit(a, att.id, device)
    assert "results" in refused.value.message
    with pytest.raises(UserError):
        attempts.claim(a, att.id)
    reg = db.session().get(Registration, ra)
    assert reg is not None and reg.sitting.results_released_at is not None
