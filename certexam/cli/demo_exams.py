"""Demo exam data: the shipped banks, a sitting in progress, sittings open for registration."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from certexam import PACKAGE, db
from certexam.bankio import reader
from certexam.models import BankItem, LevelPass, Registration, Sitting, User
from certexam.services.bank import items as bank
from certexam.services.sittings import schedule as sittings

BANK_DIR = PACKAGE / "question_bank"  # shipped in the wheel; `question_bank/` at the top points here
IN_PROGRESS = "演示考期：一级（进行中） Demo sitting: level 1 (in progress)"
OPEN_L1 = "2027 年春季一级考试 Level 1, spring 2027"
OPEN_L2 = "2027 年二级考试 Level 2, 2027"


def _bank_files() -> list[str]:
    return sorted(str(p) for p in Path(BANK_DIR).rglob("*.yaml"))


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


def _sitting(name: str) -> Sitting | None:
    return db.session().scalar(select(Sitting).where(Sitting.name == name))


def load_sittings(candidate_emails: list[str]) -> list[str]:
    """A level-1 sitting whose papers are open now (for trying the exam) and two open for registration."""
    sittings.ensure_default_blueprints()
    now = db.utcnow()
    lines = []
    if _sitting(IN_PROGRESS) is None:
        plan = sittings.SittingPlan(
            name=IN_PROGRESS, level=1, registration_opens_at=now - timedelta(days=30),
            registration_closes_at=now - timedelta(days=1), capacity=500, languages=("zh_Hans", "zh_Hant", "en", "pt"),
            fee_fen=199_900, late_entry_minutes=60 * 24 * 60,  # the demo paper stays open for 60 days
            papers=tuple(sittings.PaperPlan(code, now - timedelta(minutes=10 - i)) for i, code in
                         enumerate(("P1", "P2", "P3"))))
        sitting = sittings.create_sitting(None, plan)
        _enrol_demo(sitting, candidate_emails)
    lines.append("  exam: candidates can take the level-1 demo sitting now (My exams)")
    for name, level in ((OPEN_L1, 1), (OPEN_L2, 2)):
        if _sitting(name) is None:
            codes = ("P1", "P2", "P3") if level == 1 else ("AM", "PM")
            first = now + timedelta(days=90)
            sittings.create_sitting(None, sittings.SittingPlan(
                name=name, level=level, registration_opens_at=now - timedelta(days=1),
                registration_closes_at=now + timedelta(days=60), capacity=3000,
                languages=("zh_Hans", "zh_Hant", "en", "pt"), fee_fen=199_900 if level == 1 else 399_900,
                papers=tuple(sittings.PaperPlan(c, first + timedelta(hours=4 * i)) for i, c in enumerate(codes))))
    lines.append("  registration is open for a level-1 and a level-2 sitting")
    return lines


@db.use_case
def _enrol_demo(sitting: Sitting, emails: list[str]) -> None:
    # The demo sitting's registration window is already closed, so the demo enrols directly.
    sess = db.session()
    for n, email in enumerate(emails, 1):
        user = sess.scalar(select(User).where(User.email == email))
        if user is None:
            continue
        sess.add(Registration(sitting_id=sitting.id, user_id=user.id,
                              admission_no=f"D{sitting.id:03d}1{n:05d}", created_at=db.utcnow()))
        if n == 1 and sess.scalar(select(LevelPass).where(LevelPass.user_id == user.id, LevelPass.level == 1)) is None:
            # The first demo candidate also holds a recorded level-1 pass, so level 2 is open to them.
            sess.add(LevelPass(user_id=user.id, level=1, passed_on=date(2026, 5, 20),
                               note="demo: recorded pass", created_at=db.utcnow()))
