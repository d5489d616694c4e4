"""Double marking, adjudication, marker statistics and the ranked rule with written answers."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from certexam import db
from certexam.errors import NotFound, UserError
from certexam.models import MarkingAssignment, Result, Role
from certexam.services.results import marking
from certexam.services.results import release as results
from tests.factories import candidate, staff
from tests.integration.test_results_service import (
    ETH_WRONG,
    L2_SMALL,
    RIGHT,
    banked_app,
    enrol,
    make_sitting,
    sit,
)


@pytest.fixture
def l2(tmp_path):  # type: ignore[no-untyped-def]
    app = banked_app(tmp_path)
    sid = make_sitting(app, L2_SMALL, name="2026 二级")
    admin = staff(app, Role.ADMIN)
    graders = [staff(app, Role.GRADER) for _ in range(3)]
    yield app, sid, admin, graders
    app.extensions["certexam.engine"].dispose()


def _mark_all(app, graders, points_by_round) -> None:  # type: ignore[no-untyped-def]
    """Each grader marks every open task: points_by_round[round](max_points)."""
    with app.app_context():
        for g in graders:
            for t in marking.queue(g):
                marking.submit(g, t.assignment_id, points_by_round[t.round](t.item.max_points or 1), "ok")


@pytest.mark.parametrize("max_points,a,b,adjudicate", [
    (10, 6, 8, False),  # 2 apart: exactly the 1/5 margin, no third marker
    (10, 5, 8, True),  # 3 apart: more than the margin
    (5, 0, 1, False),
    (5, 0, 2, True),
])
def test_disagreement_margin(max_points: int, a: int, b: int, adjudicate: bool) -> None:
    from fractions import Fraction

    assert marking.disagree(a, b, max_points, Fraction(1, 5)) is adjudicate
    assert marking.disagree(b, a, max_points, Fraction(1, 5)) is adjudicate


def test_marks_anonymous_double_then_ranked_release(l2) -> None:  # type: ignore[no-untyped-def]
    app, sid, admin, graders = l2
    users = [candidate(app) for _ in range(3)]
    regs = [enrol(app, u, sid, direction="AI") for u in users]
    for u, r, strategy in zip(users, regs, (RIGHT, RIGHT, ETH_WRONG), strict=True):
        sit(app, u, r, strategy)
    with app.app_context():
        with pytest.raises(UserError):  # two markers cannot double-mark and adjudicate
            marking.assign(admin, sid, [g.id for g in graders[:2]])
        counts = results.compute(admin, sid)
        # the vetoed candidate already fails (the veto is final); the others wait for marks
        assert counts == {"PENDING": 2, "FAIL": 1}
        # two written answers each, but the vetoed candidate left the ethics one blank
        assert marking.assign(admin, sid, [g.id for g in graders]) == 5
        assert marking.assign(admin, sid, [g.id for g in graders]) == 0  # idempotent
        task = marking.queue(graders[0])[0]
        assert task.answer and task.item.rubric and task.other_marks == ()
        with pytest.raises(UserError):
            marking.submit(graders[0], task.assignment_id, (task.item.max_points or 1) + 1)
        outsider = staff(app, Role.GRADER)
        with pytest.raises(NotFound):  # only the assigned marker may mark
            marking.submit(outsider, task.assignment_id, 0)
        prog = marking.progress(db.session(), sid)
        assert prog == {"total": 5, "unassigned": 0, "waiting": 5, "final": 0}
        # every answer assigned to two different markers
        pairs = db.session().execute(select(MarkingAssignment.attempt_id, MarkingAssignment.slot,
                                            MarkingAssignment.marker_id)).all()
        by_answer: dict[tuple[int, str], set[int]] = {}
        for att, slot, mid in pairs:
            by_answer.setdefault((att, slot), set()).add(mid)
        assert all(len(m) == 2 for m in by_answer.values())
    # first marker gives full marks, second zero: every answer goes to adjudication
    _mark_all(app, graders, {1: lambda m: m, 2: lambda m: 0, 3: lambda m: m})
    _mark_all(app, graders, {1: lambda m: m, 2: lambda m: 0, 3: lambda m: m})
    with app.app_context():
        sess = db.session()
        adj = list(sess.scalars(select(MarkingAssignment).where(MarkingAssignment.round == 3)))
        assert len(adj) == 5 and all(a.done_at is not None for a in adj)
        assert marking.progress(sess, sid)["final"] == 5
        stats = {s.marker_id: s for s in marking.marker_statistics(sess, sid)}
        assert set(stats) == {g.id for g in graders}
        assert all(s.agreement == 0.0 for s in stats.values() if s.agreement is not None)
        assert sum(s.marks for s in stats.values()) == 15
        counts = results.compute(admin, sid)
        # two gate-passed candidates in one direction, top 40% of 2 = 0.8: the tie at the top is all in
        assert counts == {"PASS": 2, "FAIL": 1}
        rows = {r.registration_id: r for r in sess.scalars(select(Result).where(Result.sitting_id == sid))}
        assert rows[regs[0]].rank == 1 and rows[regs[0]].cohort_size == 2
        assert json.loads(rows[regs[2]].reasons) == ["ETHICS_VETO"]


def test_final_mark_is_mean_rounded_up_within_margin(l2) -> None:  # type: ignore[no-untyped-def]
    app, sid, admin, graders = l2
    u = candidate(app)
    reg = enrol(app, u, sid, direction="AI")
    sit(app, u, reg, RIGHT)
    with app.app_context():
        marking.assign(admin, sid, [g.id for g in graders])
    _mark_all(app, graders, {1: lambda m: m, 2: lambda m: m - 1, 3: lambda m: 0})
    with app.app_context():
        sess = db.session()
        assert not list(sess.scalars(select(MarkingAssignment).where(MarkingAssignment.round == 3)))
        final = marking.final_marks(sess, [a for a, in sess.execute(select(MarkingAssignment.attempt_id))])
        assert final and all(v is not None for v in final.values())
        # (m + m - 1) / 2 rounds up to m
        tasks = sess.scalars(select(MarkingAssignment).where(MarkingAssignment.round == 1))
        for t in tasks:
            from certexam.models import Mark
            first = sess.scalar(select(Mark.points).where(Mark.attempt_id == t.attempt_id, Mark.slot == t.slot,
                                                          Mark.round == 1))
            assert final[(t.attempt_id, t.slot)] == first
