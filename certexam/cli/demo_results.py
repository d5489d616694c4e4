"""Demo results: a released level-1 sitting, a released level-2 sitting, and one being marked.

Each runs the whole way through the platform's use cases at the story's times:
scheduled, registered, sat (demo_exam_day), written answers double-marked with
adjudication (results.marking), a misconduct ruling and a key correction,
computed and released (results.release, which issues the certificates), and
re-checks asked for and answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import func, select

from certexam import db
from certexam.cli import demo_cohort as model
from certexam.cli import demo_exam_day as day
from certexam.cli import demo_people as people
from certexam.cli.demo_clock import DemoClock, Timeline, local
from certexam.domain.catalogue import DIRECTIONS
from certexam.domain.scoring_types import FAIL
from certexam.models import Attempt, AttemptItem, LevelPass, Registration, Result, Sitting, User
from certexam.services.bank import item_cache
from certexam.services.results import keys as key_fixes
from certexam.services.results import marking, recheck
from certexam.services.results import release as results
from certexam.services.sittings import schedule

L1_RELEASED = "一级考试·秋季（成绩已发布） Level 1, autumn sitting (results released)"
L2_RELEASED = "二级考试（成绩已发布） Level 2 (results released)"
L2_MARKING = "二级考试·加场（阅卷中） Level 2, extra sitting (marking in progress)"
L1_SIZE, L2_SIZE, L2_MARKING_SIZE = 300, 45, 9
L1_PAPERS = (("P1", 9, 0), ("P2", 10, 30), ("P3", 14, 0))
L2_PAPERS = (("AM", 9, 0), ("PM", 14, 0))
MARKERS = {  # how each demo marker marks: one a little lenient, one a little strict
    "grader@demo.certexam": model.Marker(0.03, 0.07),
    "grader2@demo.certexam": model.Marker(-0.04, 0.06),
    "grader3@demo.certexam": model.Marker(0.0, 0.05),
}


def _user(email: str) -> User:
    user = db.session().scalar(select(User).where(User.email == email))
    if user is None:
        raise RuntimeError(f"demo account {email} is missing")
    return user


def _done(name: str, released: bool) -> bool:
    """True when this part of the story is loaded; an unfinished one cannot be completed."""
    sitting = day.find(name)
    if sitting is None:
        return False
    if released and sitting.results_released_at is None:
        raise RuntimeError(f"the demo sitting {name!r} was only partly loaded: load the demo into an empty database")
    return True


def _recorded_level1(demo: DemoClock, user_ids: Sequence[int], passed_on: date) -> None:
    """Level 2 needs level 1 (rules s.2): these candidates passed it at an earlier sitting."""
    have = set(db.session().scalars(select(LevelPass.user_id).where(LevelPass.level == 1,
                                                                    LevelPass.user_id.in_(list(user_ids)))))
    demo.set(local(passed_on + timedelta(days=70), 11))
    for uid in user_ids:
        if uid not in have:
            schedule.record_level_pass(None, uid, 1, passed_on, "demo: passed at an earlier sitting")


def _run(demo: DemoClock, tag: str, group: int, size: int, name: str, level: int, exam_day: date,
         mean: float) -> tuple[Sitting, list[day.Seat]]:
    """People, sitting, registrations and the exam day of one sitting of the story."""
    demo.set(local(exam_day - timedelta(days=80), 20))
    user_ids = people.ensure(people.people(tag, group, size))
    if level == 2:
        _recorded_level1(demo, user_ids, exam_day - timedelta(days=300))
    papers = L1_PAPERS if level == 1 else L2_PAPERS
    sitting = day.schedule_past(demo, name, level, exam_day, papers, 199_900 if level == 1 else 399_900)
    directions = [None] * size if level == 1 else [list(DIRECTIONS)[n % len(DIRECTIONS)] for n in range(size)]
    regs = day.register(demo, sitting, user_ids, directions, exam_day)
    seats = day.seats(tag, user_ids, regs, model.cohort(tag, size, mean), len(papers))
    day.sit(demo, sitting, seats, day.choose_at_most(sitting))
    return sitting, seats


def _mark(demo: DemoClock, sitting: Sitting, start: date, stop_for: Sequence[str] = ()) -> None:
    """Each marker works through their queue, first marks and then adjudications, over some days.

    Markers named in `stop_for` leave their queue as it is (marking still going on).
    """
    for rnd in range(3):  # first and second marks, then the adjudications they open
        for email, how in MARKERS.items():
            if email in stop_for:
                continue
            marker = _user(email)
            for n, task in enumerate(marking.queue(marker)):
                demo.set(local(start + timedelta(days=rnd * 4 + n // 40), 9 + n % 40 // 5, n * 11 % 60))
                marking.submit(marker, task.assignment_id,
                               model.mark(task.answer, task.item.max_points or 1, how, f"{email}:{task.code}"))


def _assign(demo: DemoClock, sitting: Sitting, on: date) -> None:
    demo.set(local(on, 10))
    marking.assign(_user("admin@demo.certexam"), sitting.id, [_user(e).id for e in MARKERS])


def _void_flawed_item(demo: DemoClock, sitting: Sitting, on: date) -> None:
    """The item analysis flags the item that discriminates worst: the committee voids it before release."""
    sess = db.session()
    versions = sorted(set(sess.scalars(select(AttemptItem.version_id).join(Attempt, Attempt.id == AttemptItem.attempt_id)
                                       .join(Registration, Registration.id == Attempt.registration_id)
                                       .where(Registration.sitting_id == sitting.id))))
    items = item_cache.items_by_version(sess, versions)
    choice = [v for v in versions if items[v].type == "single_choice"]
    if choice:
        worst = min(choice, key=lambda v: (model.params(items[v]).discrimination, v))
        demo.set(local(on, 15))
        key_fixes.correct(_user("admin@demo.certexam"), sitting.id, worst, None, key_fixes.VOID_ITEM, None,
                          "Item analysis: the item barely separates strong from weak candidates; the committee "
                          "found the stem ambiguous (two defensible answers). Voided for every candidate.")


def _release(demo: DemoClock, sitting: Sitting, on: date, preview: bool = True) -> None:
    """Compute the results for the committee a few days ahead (`preview`), then release them.

    Release scores the sitting again itself; the level-1 sitting of 300 skips the preview
    (each scoring of it takes seconds).
    """
    admin = _user("admin@demo.certexam")
    if preview:
        demo.set(local(on - timedelta(days=3), 16))
        results.compute(admin, sitting.id)
    demo.set(local(on, 9, 30))  # four eyes (issue 19.6): a results officer asks, a second one confirms
    results.request_release(_user("results@demo.certexam"), sitting.id)
    demo.set(local(on, 10))
    results.release(admin, sitting.id)


def _ask_recheck(demo: DemoClock, sitting: Sitting, on: date, nth: int, reason: str) -> int | None:
    """The nth failed candidate of the sitting asks for a re-check of their released result."""
    row = db.session().scalar(select(Result).where(Result.sitting_id == sitting.id, Result.status == FAIL,
                                                   Result.released).order_by(Result.id).offset(nth).limit(1))
    if row is None:
        return None
    demo.set(local(on, 20, 15 + nth))
    user = db.session().get(User, row.user_id)
    assert user is not None
    return recheck.request(user, row.id, reason).id


def load(demo: DemoClock, t: Timeline) -> list[str]:
    """The three sittings of the story (each skipped once loaded)."""
    if not _done(L1_RELEASED, released=True):
        l1, _seats = _run(demo, "l1", 1, L1_SIZE, L1_RELEASED, 1, t.l1_exam, mean=-0.5)
        _release(demo, l1, t.l1_release, preview=False)
    if not _done(L2_RELEASED, released=True):
        admin = _user("admin@demo.certexam")
        l2, seats = _run(demo, "l2", 2, L2_SIZE, L2_RELEASED, 2, t.l2_exam, mean=0.3)
        _assign(demo, l2, t.l2_exam + timedelta(days=3))
        _mark(demo, l2, t.l2_exam + timedelta(days=4))
        _void_flawed_item(demo, l2, t.l2_exam + timedelta(days=25))
        misconduct = next(s for s in seats if s.papers_sat == 2)
        demo.set(local(t.l2_exam + timedelta(days=26), 15))
        results.rule_misconduct(admin, misconduct.registration_id, 1,
                                "Proctor's video: a second person answered questions for the candidate "
                                "during the morning session.")
        _release(demo, l2, t.l2_release)
        answered = _ask_recheck(demo, l2, t.l2_release + timedelta(days=1), 0,
                                "我觉得单选题的分数偏低，请核查是否有答案漏记。")
        if answered is not None:
            demo.set(local(t.l2_release + timedelta(days=2), 11))
            recheck.answer(admin, answered, "已复核全部作答记录与评分：答案均已记录，成绩无误。")
        _ask_recheck(demo, l2, t.l2_release + timedelta(days=1), 1, "方案设计题我写了两个场景，请确认两题都已评分。")
    if not _done(L2_MARKING, released=False):
        l2m, _seats = _run(demo, "l2m", 3, L2_MARKING_SIZE, L2_MARKING, 2, t.l2_marking_exam, mean=0.3)
        _assign(demo, l2m, t.l2_marking_exam + timedelta(days=2))
        _mark(demo, l2m, t.l2_marking_exam + timedelta(days=3), stop_for=["grader@demo.certexam"])
        demo.set(local(t.l2_marking_exam + timedelta(days=6), 17))
        results.compute(_user("admin@demo.certexam"), l2m.id)  # a preview: pending until marked
    lines = []
    for name in (L1_RELEASED, L2_RELEASED):
        sitting = day.find(name)
        assert sitting is not None
        counts = dict(db.session().execute(select(Result.status, func.count()).where(Result.sitting_id == sitting.id)
                                           .group_by(Result.status)).all())
        lines.append(f"  results released: {name.split(' ', 1)[1]}: "
                     + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    lines.append(f"  marking: {L2_MARKING.split(' ', 1)[1]}: answers wait for grader@demo.certexam")
    return lines
