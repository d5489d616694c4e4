"""Proctor actions on live attempts: the clock arithmetic, refusals, the record they leave, the live view."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from certexam import db
from certexam.errors import Conflict, NotFound, UserError
from certexam.models import Attempt, AttemptEvent, AuditEntry, Role, User
from certexam.services.attempts import autosave, paper_view, proctoring
from certexam.services.attempts import lifecycle as attempts
from tests.clocks import Clock
from tests.conftest import PG, _pg_create, _pg_drop, make_app
from tests.exam_setup import enrol, load_bank, open_sitting
from tests.factories import candidate, staff

MINUTES = 60  # paper P1 of the default level-1 blueprint



@dataclass
class World:
    app: Flask
    clock: Clock
    admin: User
    users: list[User]
    regs: list[int]
    sitting_id: int

    def start(self, i: int = 0) -> Attempt:
        return attempts.start(self.users[i], self.regs[i], "P1", "zh_Hans")

    def fresh(self, attempt_id: int) -> Attempt:
        sess = db.session()
        sess.expire_all()
        att = sess.get(Attempt, attempt_id)
        assert att is not None
        return att


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def base(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, ...]]:
    """One app, bank, administrator and three candidates per database, shared by this module's tests."""
    pg_name = None
    url = None
    if request.param == "postgres":
        if not PG:
            pytest.skip("no PostgreSQL server answers on 127.0.0.1:5432")
        pg_name, url = _pg_create()
    app = make_app(tmp_path_factory.mktemp("proctoring"), url)
    load_bank(app)
    yield app, staff(app, Role.ADMIN), [candidate(app) for _ in range(3)]
    app.extensions["certexam.engine"].dispose()
    if pg_name:
        _pg_drop(pg_name)


@pytest.fixture
def world(base: tuple[Any, ...], monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A fresh sitting (its first paper open) with the three candidates registered, and a fake clock."""
    app, admin, users = base
    clock = Clock()
    monkeypatch.setitem(app.config, "CLOCK", clock)
    sitting_id = open_sitting(app)
    regs = [enrol(app, u, sitting_id) for u in users]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield World(app, clock, admin, users, regs, sitting_id)


def _remaining(w: World, attempt_id: int) -> int:
    return autosave.state(w.users[0], attempt_id).remaining_seconds


def test_pause_freezes_the_clock_and_resume_adds_the_paused_span(world: World) -> None:
    w = world
    att = w.start()
    started = att.started_at
    w.clock.advance(minutes=10)
    proctoring.pause(w.admin, att.id, "Candidate's camera stopped")
    w.clock.advance(minutes=20)
    state = autosave.state(w.users[0], att.id)
    assert state.paused and state.status == "paused" and state.remaining_seconds == 50 * 60
    with pytest.raises(attempts.AttemptPaused):
        autosave.save(w.users[0], att.id, att.holder_token, "1", None, False, 1)
    proctoring.resume(w.admin, att.id, "Camera works again")
    att = w.fresh(att.id)
    assert att.status == "in_progress" and att.paused_at is None and att.paused_seconds == 20 * 60
    assert att.deadline_at == started + timedelta(minutes=MINUTES + 20)
    assert _remaining(w, att.id) == 50 * 60
    w.clock.advance(minutes=1)
    assert _remaining(w, att.id) == 49 * 60
    ack = autosave.save(w.users[0], att.id, att.holder_token, "1", None, True, 1)
    assert ack.result == "stored"


def test_a_pause_span_in_fractions_of_a_second_is_rounded_up_for_the_candidate(world: World) -> None:
    w = world
    att = w.start()
    proctoring.pause(w.admin, att.id, "short check")
    w.clock.advance(seconds=2, microseconds=1)
    att = proctoring.resume(w.admin, att.id, "short check done")
    assert att.paused_seconds == 3


@pytest.mark.parametrize("paused", [False, True])
def test_add_time_moves_the_deadline_running_or_paused(world: World, paused: bool) -> None:
    w = world
    att = w.start()
    w.clock.advance(minutes=5)
    if paused:
        proctoring.pause(w.admin, att.id, "network trouble")
    proctoring.add_time(w.admin, att.id, 15, "late start at the centre")
    proctoring.add_time(w.admin, att.id, 5, "and five more")
    att = w.fresh(att.id)
    assert att.added_seconds == 20 * 60
    assert att.deadline_at == att.started_at + timedelta(minutes=MINUTES + 20)
    assert _remaining(w, att.id) == (MINUTES - 5 + 20) * 60
    if paused:
        w.clock.advance(minutes=7)
        assert _remaining(w, att.id) == (MINUTES - 5 + 20) * 60  # still frozen
        proctoring.resume(w.admin, att.id, "fixed")
        assert w.fresh(att.id).deadline_at == att.started_at + timedelta(minutes=MINUTES + 20 + 7)


def test_added_time_keeps_the_accommodation(world: World) -> None:
    w = world
    from certexam.services.sittings import schedule as sittings

    sittings.set_accommodation(w.admin, w.regs[0], 30, 150)
    att = w.start()
    assert att.deadline_at == att.started_at + timedelta(minutes=MINUTES * 1.5 + 30)
    proctoring.add_time(w.admin, att.id, 10, "power cut")
    assert w.fresh(att.id).deadline_at == att.started_at + timedelta(minutes=MINUTES * 1.5 + 30 + 10)


def test_end_submits_with_the_saved_answers_and_reason_proctor(world: World) -> None:
    w = world
    att = w.start()
    key = json.loads(att.form)[0]["o"][0]
    autosave.save(w.users[0], att.id, att.holder_token, "1", key, False, 1)
    w.clock.advance(minutes=3)
    proctoring.pause(w.admin, att.id, "suspicious notes on the desk")
    w.clock.advance(minutes=2)
    proctoring.end(w.admin, att.id, "notes confirmed by the camera")
    att = w.fresh(att.id)
    assert (att.status, att.submit_reason, att.submitted_at) == ("submitted", "proctor", w.clock.now)
    assert att.paused_at is None and att.paused_seconds == 120  # the pause is folded in, not lost
    assert paper_view.answers(db.session(), att)["1"] == (key, False)
    with pytest.raises(attempts.AttemptClosed):
        autosave.save(w.users[0], att.id, att.holder_token, "2", None, False, 2)


def test_a_paused_attempt_never_times_out(world: World) -> None:
    w = world
    att = w.start()
    w.clock.advance(minutes=50)
    proctoring.pause(w.admin, att.id, "fire alarm: everyone leaves the room")
    w.clock.advance(hours=3)
    attempts.close_expired()
    assert w.fresh(att.id).status == "paused"
    proctoring.resume(w.admin, att.id, "back in the room")
    assert _remaining(w, att.id) == 10 * 60
    w.clock.advance(minutes=11)
    attempts.close_expired()
    assert w.fresh(att.id).submit_reason == "timeout"


def test_every_action_leaves_an_event_and_an_audit_entry(world: World) -> None:
    w = world
    att = w.start()
    proctoring.pause(w.admin, att.id, "  reason   with   spaces ")
    proctoring.resume(w.admin, att.id, "resumed")
    proctoring.add_time(w.admin, att.id, 4, "added")
    proctoring.end(w.admin, att.id, "ended")
    sess = db.session()
    events = sess.scalars(select(AttemptEvent).where(AttemptEvent.attempt_id == att.id,
                                                     AttemptEvent.actor_id == w.admin.id)
                          .order_by(AttemptEvent.id)).all()
    assert [e.kind for e in events] == ["pause", "resume", "time_added", "proctor_end"]
    assert json.loads(events[0].detail or "{}") == {"reason": "reason with spaces"}
    assert json.loads(events[2].detail or "{}") == {"reason": "added", "minutes": 4}
    actions = sess.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "attempt",
                                                           AuditEntry.object_id == str(att.id),
                                                           AuditEntry.actor_id == w.admin.id)
                           .order_by(AuditEntry.seq)).all()
    assert actions == ["attempt.pause", "attempt.resume", "attempt.add_time", "attempt.end"]


BAD_REASONS = ["", "   ", "ab", "x" * (proctoring.REASON_MAX_CHARS + 1)]
BAD_MINUTES: list[Any] = [0, -1, proctoring.MAX_ADD_MINUTES + 1, True, 2.5, "10"]


def test_a_reason_is_required_and_minutes_are_bounded(world: World) -> None:
    att = world.start()
    for reason in BAD_REASONS:
        for action in (proctoring.pause, proctoring.end):
            with pytest.raises(UserError) as exc:
                action(world.admin, att.id, reason)
            assert exc.value.field == "reason", reason
    for minutes in BAD_MINUTES:
        with pytest.raises(UserError) as exc:
            proctoring.add_time(world.admin, att.id, minutes, "reason given")
        assert exc.value.field == "minutes", minutes
    att = world.fresh(att.id)
    assert (att.status, att.added_seconds) == ("in_progress", 0)
    for minutes in (1, proctoring.MAX_ADD_MINUTES):  # the edges themselves are accepted
        proctoring.add_time(world.admin, att.id, minutes, "edge")
    assert world.fresh(att.id).added_seconds == (1 + proctoring.MAX_ADD_MINUTES) * 60


def test_actions_in_the_wrong_state_are_refused(world: World) -> None:
    w = world
    att = w.start()
    with pytest.raises(Conflict):
        proctoring.resume(w.admin, att.id, "not paused")
    proctoring.pause(w.admin, att.id, "first pause")
    with pytest.raises(Conflict):
        proctoring.pause(w.admin, att.id, "second pause")
    proctoring.end(w.admin, att.id, "ended")
    for call in (lambda: proctoring.end(w.admin, att.id, "again"),
                 lambda: proctoring.add_time(w.admin, att.id, 5, "too late"),
                 lambda: proctoring.pause(w.admin, att.id, "too late")):
        with pytest.raises(Conflict):
            call()


def test_an_attempt_whose_time_is_over_cannot_be_revived(world: World) -> None:
    w = world
    att = w.start()
    w.clock.advance(minutes=MINUTES + 1)  # past the deadline and its grace; no sweep has run yet
    with pytest.raises(Conflict):
        proctoring.add_time(w.admin, att.id, 10, "too late")
    assert w.fresh(att.id).added_seconds == 0


def test_unknown_and_practice_attempts_are_not_found(world: World) -> None:
    w = world
    practice = w.start(1)
    db.session().execute(update(Attempt).where(Attempt.id == practice.id).values(kind="mock"))
    db.session().commit()
    for attempt_id in (practice.id, 999_999):
        with pytest.raises(NotFound):
            proctoring.pause(w.admin, attempt_id, "no such exam attempt")


def test_live_view_shows_progress_last_save_time_left_and_events(world: World) -> None:
    w = world
    a0, a1 = w.start(0), w.start(1)
    form = json.loads(a0.form)
    for seq, slot in enumerate(("1", "2", "3"), 1):
        autosave.save(w.users[0], a0.id, a0.holder_token, slot, form[int(slot) - 1]["o"][0], False, seq)
    autosave.save(w.users[0], a0.id, a0.holder_token, "3", None, False, 4)  # cleared again: not answered
    autosave.set_flag(w.users[0], a0.id, a0.holder_token, "4", True, 5)  # flagged only: not answered
    saved_at = w.clock.now
    for _ in range(3):
        attempts.log_event(w.users[0], a0.id, "focus_lost", None)
    attempts.claim(w.users[0], a0.id)  # the first claim opens the page: not a takeover
    attempts.claim(w.users[0], a0.id)  # the second one is
    w.clock.advance(minutes=10)
    proctoring.pause(w.admin, a1.id, "checking the room")
    rows = {r.attempt_id: r for r in proctoring.live_attempts(w.sitting_id)}
    assert set(rows) == {a0.id, a1.id}
    r0, r1 = rows[a0.id], rows[a1.id]
    assert (r0.answered, r0.total, r0.last_saved_at) == (2, 45, saved_at)
    assert r0.remaining_seconds == (MINUTES - 10) * 60 and not r0.paused and not r0.expired
    assert r0.integrity == {"focus_lost": 3, "claim": 1}
    assert len(r0.events) == proctoring.RECENT_EVENTS and r0.events[0].kind == "claim"
    assert r1.paused and r1.status == "paused" and r1.events[0].kind == "pause"
    assert r1.events[0].detail == {"reason": "checking the room"}
    assert r1.last_saved_at is None and r1.answered == 0

    proctoring.end(w.admin, a1.id, "ended")
    assert [r.attempt_id for r in proctoring.live_attempts(w.sitting_id)] == [a0.id]
    assert {r.attempt_id for r in proctoring.live_attempts(w.sitting_id, include_finished=True)} == {a0.id, a1.id}
    w.clock.advance(minutes=MINUTES)
    (late,) = proctoring.live_attempts(w.sitting_id)
    assert late.expired and late.remaining_seconds == 0
    assert proctoring.live_attempts(10**6) == []


@pytest.mark.parametrize("form,slots", [
    ([{"t": "single_choice"}], 1),
    ([{"t": "single_choice"}, {"t": "item_set", "ct": ["single_choice"] * 4}, {"t": "constructed"}], 6),
    ([], 0),
])
def test_slot_count(form: list[dict[str, Any]], slots: int) -> None:
    assert proctoring.slot_count(json.dumps(form)) == slots
