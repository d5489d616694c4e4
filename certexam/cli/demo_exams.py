"""Demo exam data: the shipped banks, a sitting in progress (with a proctor's view), sittings open for registration."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from certexam import PACKAGE, db
from certexam.bankio import reader
from certexam.cli import demo_cohort as model
from certexam.cli import demo_exam_day as day
from certexam.cli import demo_people as people
from certexam.cli.demo_clock import DemoClock
from certexam.models import BankItem, LevelPass, Sitting, User
from certexam.services.attempts import lifecycle, proctoring
from certexam.services.attempts.autosave_sql import Owner
from certexam.services.bank import items as bank
from certexam.services.sittings import schedule as sittings

BANK_DIR = PACKAGE / "question_bank"  # shipped in the wheel; `question_bank/` at the top points here
IN_PROGRESS = "演示考期：一级（进行中） Demo sitting: level 1 (in progress)"
OPEN_L1 = "2027 年春季一级考试 Level 1, spring 2027"
OPEN_L2 = "2027 年二级考试 Level 2, 2027"
PROCTORED = 8  # simulated candidates sitting the paper in progress, for the proctor's view


def _bank_files() -> list[str]:
    return reader.bank_files(Path(BANK_DIR))


def load_bank() -> str:
    """Import and approve the shipped banks once (an empty bank only)."""
    sess = db.session()
    if not sess.scalar(select(func.count()).select_from(BankItem)):
        result = reader.read_files(_bank_files())
        if result.errors:
            first = result.errors[0]
            raise RuntimeError(f"shipped bank does not validate: {first.file}:{first.line}: {first.message}")
        bank.import_items(result.items, None, approve=True, source="question_bank/")
    count = sess.scalar(select(func.count()).select_from(BankItem).where(BankItem.approved_version_id.is_not(None)))
    return f"  question bank: {count} approved items"


def load_sittings(demo: DemoClock, candidate_emails: list[str]) -> list[str]:
    """A level-1 sitting whose papers are open now (for trying the exam) and two open for registration."""
    sittings.ensure_default_blueprints()
    now = demo.set(demo.start)
    lines = []
    if day.find(IN_PROGRESS) is None:
        plan = sittings.SittingPlan(
            name=IN_PROGRESS, level=1, registration_opens_at=now - timedelta(days=30),
            registration_closes_at=now - timedelta(days=1), capacity=500, languages=day.LANGUAGES,
            fee_fen=199_900, late_entry_minutes=60 * 24 * 60,  # the demo paper stays open for 60 days
            papers=tuple(sittings.PaperPlan(code, now - timedelta(minutes=10 - i)) for i, code in
                         enumerate(("P1", "P2", "P3"))))
        demo.set(now - timedelta(days=31))
        sitting = sittings.create_sitting(None, plan)
        _enrol(demo, sitting, candidate_emails)
        _proctored(demo, sitting)
    lines.append("  exam: candidates can take the level-1 demo sitting now (My exams); the proctor view shows "
                 f"{PROCTORED} more at work")
    for name, level in ((OPEN_L1, 1), (OPEN_L2, 2)):
        if day.find(name) is None:
            codes = ("P1", "P2", "P3") if level == 1 else ("AM", "PM")
            first = now + timedelta(days=90)
            demo.set(now)
            sittings.create_sitting(None, sittings.SittingPlan(
                name=name, level=level, registration_opens_at=now - timedelta(days=1),
                registration_closes_at=now + timedelta(days=60), capacity=3000,
                languages=day.LANGUAGES, fee_fen=199_900 if level == 1 else 399_900,
                papers=tuple(sittings.PaperPlan(c, first + timedelta(hours=4 * i)) for i, c in enumerate(codes))))
    lines.append("  registration is open for a level-1 and a level-2 sitting")
    return lines


def _enrol(demo: DemoClock, sitting: Sitting, emails: Sequence[str]) -> None:
    """The named demo candidates registered while registration was open."""
    sess = db.session()
    for n, email in enumerate(emails):
        user = sess.scalar(select(User).where(User.email == email))
        if user is None:
            continue
        demo.set(demo.start - timedelta(days=20 - n))
        sittings.register(user, sitting.id)
        if n == 0 and sess.scalar(select(LevelPass).where(LevelPass.user_id == user.id,
                                                          LevelPass.level == 1)) is None:
            # The first demo candidate also holds a recorded level-1 pass, so level 2 is open to them.
            sittings.record_level_pass(None, user.id, 1, (demo.start - timedelta(days=200)).date(),
                                       "demo: recorded pass")


def _proctored(demo: DemoClock, sitting: Sitting) -> None:
    """Simulated candidates at work on the paper in progress: the proctor's live view has rows,
    events (focus lost, a paste), a paused attempt, one with time added and one on paper 2."""
    admin = db.session().scalar(select(User).where(User.email == "admin@demo.certexam"))
    assert admin is not None
    demo.set(demo.start - timedelta(days=25))
    user_ids = people.ensure(people.people("live", 5, PROCTORED))
    regs = []
    for n, uid in enumerate(user_ids):
        demo.set(demo.start - timedelta(days=20, hours=n))
        regs.append(sittings.register(db.session().get(User, uid), sitting.id).id)  # type: ignore[arg-type]
    abilities = model.cohort("live", PROCTORED)
    p1 = min(sitting.papers, key=lambda p: p.position)
    for n, (uid, rid) in enumerate(zip(user_ids, regs, strict=True)):
        seat = day.Seat(uid, rid, abilities[n], f"live:{n}", "zh_Hans", 1, True)
        begun = demo.set(p1.starts_at + timedelta(seconds=30 + 20 * n))
        started = lifecycle.try_begin(Owner(user_id=uid), rid, p1.code, seat.language)
        assert started is not None and started.device is not None
        answers = day.answers_for_form(seat, day.form_of(started.attempt_id), {})
        done = len(answers) if n == 0 else 4 + n * 5
        day.store_answers(seat, started.attempt_id, started.device, answers[:done], begun, timedelta(seconds=6))
        user = db.session().get(User, uid)
        assert user is not None
        demo.set(begun + timedelta(seconds=6 * done + 30))
        if n == 0:  # quick: finished paper 1 and began paper 2
            lifecycle.submit(user, started.attempt_id, started.device)
            p2 = sorted(sitting.papers, key=lambda p: p.position)[1]
            demo.set(begun + timedelta(seconds=6 * done + 90))
            lifecycle.try_begin(Owner(user_id=uid), rid, p2.code, seat.language)
        elif n in (2, 5):
            lifecycle.log_event(user, started.attempt_id, "focus_lost", {"seconds": 40 + n})
            lifecycle.log_event(user, started.attempt_id, "paste", {"chars": 120} if n == 5 else None)
        elif n == 3:
            proctoring.pause(admin, started.attempt_id, "Candidate's camera shows a second person; checking.")
        elif n == 6:
            proctoring.add_time(admin, started.attempt_id, 10, "Network outage at the candidate's site (10 min).")
