"""Sittings and registrations: schedule, register within the window, admission numbers, accommodations."""

from __future__ import annotations

import functools
import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Protocol

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certexam import db
from certexam.domain import blueprint as bp_rules
from certexam.domain.catalogue import DIRECTIONS, LANGUAGES
from certexam.domain.timing import Accommodation
from certexam.errors import Conflict, Forbidden, NotFound, UserError
from certexam.models import BlueprintRecord, ExamBan, LevelPass, Registration, Sitting, SittingPaper, User
from certexam.services.platform import audit, clock


def default_blueprint(level: int) -> bp_rules.Blueprint:
    return bp_rules.LEVEL1_DEFAULT if level == 1 else bp_rules.LEVEL2_DEFAULT


@db.use_case
def ensure_default_blueprints() -> None:
    """Store the programme's default blueprints once (idempotent)."""
    sess = db.session()
    for name, spec in (("level1-default", bp_rules.LEVEL1_DEFAULT), ("level2-default", bp_rules.LEVEL2_DEFAULT)):
        if sess.scalar(select(BlueprintRecord).where(BlueprintRecord.name == name)) is None:
            sess.add(BlueprintRecord(level=spec.level, name=name, spec=json.dumps(bp_rules.to_dict(spec)),
                                     created_at=clock.now()))


@dataclass(frozen=True)
class PaperPlan:
    code: str
    starts_at: datetime
    minutes: int | None = None  # None: the blueprint's duration


@dataclass(frozen=True)
class SittingPlan:
    name: str
    level: int
    registration_opens_at: datetime
    registration_closes_at: datetime
    capacity: int
    languages: tuple[str, ...]
    fee_fen: int
    papers: tuple[PaperPlan, ...]
    assembly_mode: str = "per_candidate"
    blueprint_name: str | None = None
    late_entry_minutes: int = 30


@db.use_case
def create_sitting(actor: User | None, plan: SittingPlan) -> Sitting:
    """Schedule a sitting; its blueprint is copied so later edits never change it."""
    sess = db.session()
    if not plan.name.strip() or len(plan.name) > 120:
        raise UserError(_("Give the sitting a name of at most 120 characters."), "name")
    if plan.level not in (1, 2):
        raise UserError(_("The level must be 1 or 2."), "level")
    # rules s.2: the four programme languages; simplified Chinese is the one every item has.
    if not set(plan.languages) <= set(LANGUAGES) or "zh_Hans" not in plan.languages:
        raise UserError(_("Offer simplified Chinese, and only the programme's four languages."), "languages")
    if any(p.minutes is not None and not 1 <= p.minutes <= 600 for p in plan.papers):
        raise UserError(_("A paper lasts between 1 and 600 minutes."), "papers")
    if plan.registration_closes_at <= plan.registration_opens_at:
        raise UserError(_("Registration must close after it opens."), "registration_closes_at")
    if not 1 <= plan.capacity <= 100_000:
        raise UserError(_("The capacity must be between 1 and 100,000."), "capacity")
    if not isinstance(plan.fee_fen, int) or plan.fee_fen < 0:
        raise UserError(_("The fee must be a whole number of fen, not negative."), "fee_fen")
    if not 0 <= plan.late_entry_minutes <= 60 * 24 * 60:
        raise UserError(_("Late entry must be between 0 minutes and 60 days."), "late_entry_minutes")
    if plan.assembly_mode not in ("per_candidate", "fixed", "pre_assembled"):
        raise UserError(_("Unknown form assembly mode."), "assembly_mode")
    record = None
    if plan.blueprint_name:
        record = sess.scalar(select(BlueprintRecord).where(BlueprintRecord.name == plan.blueprint_name))
    spec = bp_rules.from_dict(json.loads(record.spec)) if record else default_blueprint(plan.level)
    if spec.level != plan.level:
        raise UserError(_("The blueprint is for another level."), "blueprint")
    codes = [p.code for p in spec.papers]
    given = {p.code: p for p in plan.papers}
    if set(given) != set(codes):
        raise UserError(_("Give a start time for each paper: %(codes)s.", codes=", ".join(codes)), "papers")
    starts = [given[c].starts_at for c in codes]
    if any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
        raise UserError(_("Papers must start in order."), "papers")
    if starts[0] <= plan.registration_closes_at:
        raise UserError(_("The first paper must start after registration closes."), "papers")
    sitting = Sitting(name=plan.name.strip(), level=plan.level, blueprint_spec=json.dumps(bp_rules.to_dict(spec)),
                      assembly_mode=plan.assembly_mode, registration_opens_at=plan.registration_opens_at,
                      registration_closes_at=plan.registration_closes_at, capacity=plan.capacity,
                      languages=",".join(plan.languages), fee_fen=plan.fee_fen,
                      late_entry_minutes=plan.late_entry_minutes, created_at=clock.now())
    sess.add(sitting)
    sess.flush()
    for position, paper in enumerate(spec.papers, 1):
        plan_paper = given[paper.code]
        sess.add(SittingPaper(sitting_id=sitting.id, code=paper.code, position=position,
                              starts_at=plan_paper.starts_at, minutes=plan_paper.minutes or paper.minutes,
                              fixed_seed=secrets.randbits(31)))
    audit.record(sess, "sitting.create", "sitting", sitting.id, actor_id=actor.id if actor else None,
                 after={"name": sitting.name, "level": sitting.level, "capacity": sitting.capacity})
    return sitting


class Frozen(Protocol):
    """What holds a sitting's frozen blueprint: a Sitting, or the start's row of it (attempts/start_sql)."""

    @property
    def blueprint_spec(self) -> str: ...


def blueprint_of(sitting: Frozen) -> bp_rules.Blueprint:
    return _blueprint(sitting.blueprint_spec)


@functools.lru_cache(maxsize=64)
def _blueprint(spec: str) -> bp_rules.Blueprint:
    """Parsed once per process and spec text (every start reads it; the result is frozen)."""
    return bp_rules.from_dict(json.loads(spec))


def _admission_no(sitting: Sitting, n: int) -> str:
    # Sitting, level and sequence, plus random digits so numbers cannot be enumerated.
    return f"{sitting.id:03d}{sitting.level}{n:05d}{secrets.randbelow(100):02d}"


def registration_problem(sess: Session, sitting: Sitting, user: User, now: datetime,
                         direction: str | None) -> str | None:
    """Why `user` may not register for `sitting` now, or None."""
    if user.role.value != "candidate":
        return _("Only candidates can register for a sitting.")
    if not sitting.registration_opens_at <= now <= sitting.registration_closes_at:
        return _("Registration for this sitting is not open.")
    today = clock.local_date(now)
    ban = sess.scalar(select(ExamBan).where(ExamBan.user_id == user.id, ExamBan.starts_on <= today,
                                            ExamBan.ends_on >= today))
    if ban is not None:
        return _("You are barred from exams until %(day)s after a misconduct ruling.", day=ban.ends_on.isoformat())
    if sitting.level == 2:
        # rules s.2: "Two exam levels, taken in order (level 2 needs level 1)".
        if sess.scalar(select(LevelPass).where(LevelPass.user_id == user.id, LevelPass.level == 1)) is None:
            return _("Level 2 needs a level-1 certificate or a recorded level-1 pass.")
        if direction not in DIRECTIONS:
            return _("Choose your technical direction.")
    taken = sess.scalar(select(func.count()).select_from(Registration).where(Registration.sitting_id == sitting.id))
    if (taken or 0) >= sitting.capacity:
        return _("This sitting is full.")
    return None


@db.use_case
def register(user: User, sitting_id: int, direction: str | None = None) -> Registration:
    """Register a candidate for a sitting within its window."""
    sess = db.session()
    sitting = sess.get(Sitting, sitting_id, with_for_update=True)
    if sitting is None:
        raise NotFound(_("This sitting does not exist."))
    existing = sess.scalar(select(Registration).where(Registration.sitting_id == sitting.id,
                                                      Registration.user_id == user.id))
    if existing is not None:
        raise Conflict(_("You are already registered for this sitting."))
    problem = registration_problem(sess, sitting, user, clock.now(), direction)
    if problem:
        raise Forbidden(problem)
    n = (sess.scalar(select(func.count()).select_from(Registration)
                     .where(Registration.sitting_id == sitting.id)) or 0) + 1
    reg = Registration(sitting_id=sitting.id, user_id=user.id, admission_no=_admission_no(sitting, n),
                       direction=direction if sitting.level == 2 else None, created_at=clock.now())
    sess.add(reg)
    sess.flush()
    audit.record(sess, "registration.create", "registration", reg.id, actor_id=user.id,
                 after={"sitting": sitting.id, "admission_no": reg.admission_no, "direction": reg.direction})
    return reg


@db.use_case
def set_accommodation(actor: User, registration_id: int, extra_minutes: int, multiplier_pct: int) -> Registration:
    """Record extra time for a candidate (minutes, or a multiplier such as 125%)."""
    sess = db.session()
    reg = sess.get(Registration, registration_id)
    if reg is None:
        raise NotFound(_("This registration does not exist."))
    problems = Accommodation(extra_minutes, Fraction(multiplier_pct, 100)).problems()
    if problems:
        raise UserError(_("Extra time must be 0 to 600 minutes and the multiplier 100% to 300%."))
    before = {"extra_minutes": reg.extra_minutes, "multiplier_pct": reg.time_multiplier_pct}
    reg.extra_minutes, reg.time_multiplier_pct = extra_minutes, multiplier_pct
    audit.record(sess, "registration.accommodation", "registration", reg.id, actor_id=actor.id, before=before,
                 after={"extra_minutes": extra_minutes, "multiplier_pct": multiplier_pct})
    return reg


@db.use_case
def record_level_pass(actor: User | None, user_id: int, level: int, passed_on: date, note: str) -> LevelPass:
    sess = db.session()
    lp = LevelPass(user_id=user_id, level=level, passed_on=passed_on, note=note, created_at=clock.now())
    sess.add(lp)
    sess.flush()
    audit.record(sess, "level_pass.record", "user", user_id, actor_id=actor.id if actor else None,
                 after={"level": level, "passed_on": passed_on.isoformat(), "note": note})
    return lp
