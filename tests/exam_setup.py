"""Test set-up for exam delivery: an approved bank and a sitting whose first paper is open now."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from certexam import db
from certexam.bankio import reader
from certexam.models import Registration, User
from certexam.services.bank import items as bank
from certexam.services.sittings import schedule as sittings

BANK = Path(__file__).resolve().parents[1] / "question_bank"


def load_bank(app: Flask, modules: tuple[str, ...] = ("L1-ETH", "L1-STD", "L1-ECO"), practice: bool = False) -> int:
    """The shipped level-1 files of `modules`; with `practice`, their practice files too (the multiple-
    response and true/false items that only the practice paper draws, issue 22)."""
    with app.app_context():
        files = [str(BANK / "level1" / f"{m}.yaml") for m in modules]
        if practice:
            files += [str(f) for m in modules if (f := BANK / "level1" / "practice" / f"{m}.yaml").exists()]
        result = reader.read_files(files)
        assert not result.errors, result.errors[:3]
        return bank.import_items(result.items, None, approve=True).created


def practice_files(level: int) -> list[str]:
    """The shipped files a practice paper of `level` draws from: the level's whole folder (its practice
    files, and every direction's module for level 2: enemies may name items of other modules)."""
    return reader.bank_files(BANK / f"level{level}")


def open_sitting(app: Flask, level: int = 1, late_entry_minutes: int = 30, **kw: Any) -> int:
    """A sitting whose registration has closed and whose first paper started five minutes ago."""
    with app.app_context():
        now = db.utcnow()
        codes = ["P1", "P2", "P3"] if level == 1 else ["AM", "PM"]
        papers = tuple(sittings.PaperPlan(c, now - timedelta(minutes=5) + timedelta(hours=4 * i))
                       for i, c in enumerate(codes))
        plan = sittings.SittingPlan(
            name=kw.get("name", "2026 秋季一级"), level=level, registration_opens_at=now - timedelta(days=3),
            registration_closes_at=now - timedelta(days=1), capacity=100, languages=("zh_Hans", "en"),
            fee_fen=199_900, papers=papers, late_entry_minutes=late_entry_minutes,
            assembly_mode=kw.get("assembly_mode", "per_candidate"))
        return sittings.create_sitting(None, plan).id


def enrol(app: Flask, user: User, sitting_id: int, extra_minutes: int = 0) -> int:
    """Register directly (the registration window itself is tested elsewhere)."""
    with app.app_context():
        sess = db.session()
        reg = Registration(sitting_id=sitting_id, user_id=user.id, admission_no=f"T{sitting_id:03d}{user.id:06d}",
                           extra_minutes=extra_minutes, created_at=db.utcnow())
        sess.add(reg)
        sess.commit()
        return reg.id
