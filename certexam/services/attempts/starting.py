"""Starting an attempt: an exam paper of a registered sitting (its order, its start and late-entry
window, the sitting's release) or a practice paper (split from lifecycle.py; issue 18)."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from certexam import db
from certexam.domain import cycle
from certexam.domain.catalogue import DIRECTIONS
from certexam.errors import Forbidden, NotFound, UserError
from certexam.models import Attempt, AttemptKind, AttemptStatus, Registration, Sitting, SittingPaper, User
from certexam.services.attempts.autosave_sql import Owner, owner_ids
from certexam.services.attempts.forms import Drawn, draw, form_json, new_attempt
from certexam.services.attempts.guards import AttemptClosed, close_if_expired
from certexam.services.attempts.start_sql import (
    PaperRow,
    Planned,
    RegistrationRow,
    SittingRow,
    insert_planned,
    read_plan,
)
from certexam.services.platform import audit, clock
from certexam.services.sittings import pre_assembly
from certexam.services.sittings.schedule import blueprint_of


class Started(NamedTuple):
    """What a start gives its caller: the attempt, and its device token when this call began it."""

    attempt_id: int
    last_seq: int
    device: str | None


def start(user: User, registration_id: int, paper_code: str, language: str) -> Attempt:
    """Begin (or return to) a paper of a registered sitting."""
    started = begin(user, registration_id, paper_code, language)
    sess = db.session()
    sess.rollback()  # a fresh snapshot: the attempt may have been inserted on another connection
    attempt = sess.get(Attempt, started.attempt_id)
    if attempt is None:  # attempts are never deleted
        raise NotFound(_("This attempt does not exist."))
    return attempt


def begin(user: User, registration_id: int, paper_code: str, language: str) -> Started:
    """Begin (or return to) a paper; a new attempt is held by the device that began it.

    Handing the new attempt's device token to its starter spares a client the
    claim that would follow (one write transaction fewer per candidate in the
    start minute). An attempt begun earlier is returned without its token: the
    device that wants it claims it, so a takeover is always recorded.
    """
    started = _start(Owner(user_id=user.id), registration_id, paper_code, language)  # the use case would reload the user
    if started is None:
        raise NotFound(_("This registration does not exist."))
    return started


def try_begin(owner: Owner, registration_id: int, paper_code: str, language: str) -> Started | None:
    """`begin` without loading the user first: the registration is read with the owner check in
    its statement. None (nothing written) if it is not the owner's or the owner is not an active
    candidate; the caller then authenticates fully to say 401, 403 or 404."""
    return _start(owner, registration_id, paper_code, language)


_AGAIN = "again"  # the plan no longer holds (or never could): the one-transaction start decides


def _start(owner: Owner, registration_id: int, paper_code: str, language: str) -> Started | None:
    """A new attempt is checked and drawn before the writer's turn, which then only inserts.

    Every start of the start minute used to hold the write lock (SQLite: the whole
    database) while it loaded the sitting and drew the form; now the turn covers a
    re-check and the inserts. Anything unusual (returning to an attempt, an earlier
    paper to close, a refusal to explain, a start that raced another) takes the
    one-transaction path, which decides it all under the lock as before.
    """
    plan = _plan(owner, registration_id, paper_code)
    if plan is None:
        return None
    if isinstance(plan, Planned):
        inserted = insert_planned(plan, language)
        if inserted is not None:
            return Started(inserted.attempt_id, 0, inserted.device)
    return _start_in_one(owner, registration_id, paper_code, language)


def _owned_registration(sess: Session, owner: Owner, registration_id: int, lock: bool) -> Registration | None:
    stmt = select(Registration).where(Registration.id == registration_id,
                                      Registration.user_id.in_(owner_ids(owner.by_token)))
    return sess.scalars(stmt.with_for_update() if lock else stmt, owner.params()).first()


def _refusal(sitting: Sitting | SittingRow, sp: SittingPaper | PaperRow, done: Collection[str]) -> UserError | None:
    """Why this paper cannot begin now, if it cannot; `done`: the codes of the submitted papers
    (an attempt whose time ran out but that is still open counts as not done)."""
    # issue 18: after release nothing in the sitting can start (docs/cycle.md)
    if sitting.results_released_at is not None:
        return AttemptClosed(_("The results of this sitting are out: its papers are closed."))
    # rules s.2 / issue 4: the papers of a level run in order, each with its own clock.
    earlier = [p.code for p in sitting.papers if p.position < sp.position]
    if any(code not in done for code in earlier):
        return Forbidden(_("Finish the earlier papers first."))
    now = clock.now()
    if now < sp.starts_at:
        return Forbidden(_("This paper has not started yet."))
    if now > cycle.entry_closes_at(sp.starts_at, sitting.late_entry_minutes):
        return Forbidden(_("The time to begin this paper has passed."))
    return None


def may_begin(sitting: Sitting, paper: SittingPaper, done: Collection[str]) -> bool:
    """Whether a candidate who has not begun `paper` may begin it now; `done`: the codes of the
    papers they have submitted. Pages offer "Begin paper" only when this holds: it is the check
    the start itself makes (order of papers, the paper's start and late-entry window, release)."""
    return _refusal(sitting, paper, done) is None


def _plan(owner: Owner, registration_id: int, paper_code: str) -> Planned | str | None:
    """Read only: None if the registration is not the owner's, a plan in the usual case, else _AGAIN."""
    sess = db.session()
    sess.rollback()  # a fresh snapshot, as a use case starts with (SQLite keeps a read's snapshot until it ends)
    try:
        reg = read_plan(sess.connection(), owner, registration_id)
        if reg is None:
            return None
        sitting = reg.sitting
        sp = next((p for p in sitting.papers if p.code == paper_code), None)
        done = {p.code for p in sitting.papers if p.attempt_status == AttemptStatus.SUBMITTED}
        if sp is None or sp.attempt_status is not None or _refusal(sitting, sp, done) is not None:
            return _AGAIN
        drawn = _draw_paper(sess, sitting, sp, reg)
        if drawn is None:  # pre-assembled forms missing: the one-transaction start assembles them
            return _AGAIN
        return Planned(reg.user_id, reg.id, sp.id, paper_code, sp.minutes, reg.extra_minutes,
                       reg.time_multiplier_pct, drawn, form_json(drawn),
                       cycle.entry_closes_at(sp.starts_at, sitting.late_entry_minutes))
    finally:
        sess.rollback()  # end the read: the turn runs on a connection of its own


@db.use_case
def _start_in_one(owner: Owner, registration_id: int, paper_code: str, language: str) -> Started | None:
    """Check, draw and insert in one write transaction: returning to an attempt, closing an earlier
    paper whose time ran out, and every refusal are decided here, under the lock."""
    sess = db.session()
    reg = _owned_registration(sess, owner, registration_id, lock=True)
    if reg is None:
        return None
    user_id = reg.user_id
    sitting = reg.sitting
    papers = {p.code: p for p in sitting.papers}
    sp = papers.get(paper_code)
    if sp is None:
        raise NotFound(_("This paper does not exist."))
    mine = list(sess.scalars(select(Attempt).where(Attempt.registration_id == reg.id)))
    existing = next((a for a in mine if a.paper_code == paper_code), None)
    if existing is not None:
        close_if_expired(sess, existing)
        if existing.status == AttemptStatus.SUBMITTED:
            raise AttemptClosed(_("You have already finished this paper."))
        return Started(existing.id, existing.last_seq, None)
    for a in mine:
        close_if_expired(sess, a)  # an earlier paper whose time ran out counts as done
    refusal = _refusal(sitting, sp, {a.paper_code for a in mine if a.status == AttemptStatus.SUBMITTED})
    if refusal is not None:
        raise refusal
    drawn = _draw_paper(sess, sitting, sp, reg)
    if drawn is None:
        pre_assembly.ensure_paper(sess, sitting, sp)
        drawn = _draw_paper(sess, sitting, sp, reg)
        if drawn is None:  # the paper's set has no form for this candidate's direction
            raise UserError(_("No form was assembled for this paper."))
    return _begin_attempt(sess, user_id, reg, sp.id, paper_code, sp.minutes, drawn, language)


def _draw_paper(sess: Session, sitting: Sitting | SittingRow, sp: SittingPaper | PaperRow,
                reg: Registration | RegistrationRow) -> Drawn | None:
    """The form of this paper for a new attempt: the sitting's fixed seed, a fresh one per candidate,
    or one of the forms assembled ahead (issue 21; None when the paper has none yet)."""
    if sitting.assembly_mode == pre_assembly.MODE:
        return pre_assembly.stored_form(sess, sitting, sp, reg.id, reg.direction)
    bp = blueprint_of(sitting)
    paper = next(p for p in bp.papers if p.code == sp.code)
    seed = sp.fixed_seed if sitting.assembly_mode == "fixed" else secrets.randbits(31)
    return draw(sess, bp, paper, seed, reg.direction)


def _begin_attempt(sess: Session, user_id: int, reg: Registration, sitting_paper_id: int, paper_code: str,
                   minutes: int, drawn: Drawn, language: str) -> Started:
    """Insert the attempt of a drawn form and record its start in the audit log; this device holds it."""
    attempt = new_attempt(sess, user_id, paper_code, drawn, AttemptKind.EXAM, minutes, language, reg, sitting_paper_id)
    audit.record(sess, "attempt.start", "attempt", attempt.id, actor_id=user_id,
                 after={"registration": reg.id, "paper": paper_code, "seed": drawn.seed})
    return Started(attempt.id, attempt.last_seq, attempt.holder_token)


def start_mock(user: User, level: int, language: str, direction: str | None = None) -> Attempt:
    """A practice paper from the same bank, scored at once (never counts). Level 2's is drawn for a
    technical direction (issue 22: its proposals and skill question are the direction's): the one asked
    for, else that of the candidate's latest level-2 registration, else the first direction."""
    if direction is not None and direction not in DIRECTIONS:
        raise UserError(_("Choose your technical direction."), field="direction")
    return _start_mock(user.id, level, language, direction)


def practice_direction(sess: Session, user_id: int) -> str:
    """The direction a level-2 practice paper is drawn for when none is asked for."""
    registered = sess.scalar(select(Registration.direction).join(Sitting, Sitting.id == Registration.sitting_id)
                             .where(Registration.user_id == user_id, Sitting.level == 2,
                                    Registration.direction.is_not(None))
                             .order_by(Registration.id.desc()).limit(1))
    return registered if registered in DIRECTIONS else next(iter(DIRECTIONS))


@db.use_case
def _start_mock(user_id: int, level: int, language: str, direction: str | None) -> Attempt:
    from certexam.domain.blueprint import mock_blueprint

    sess = db.session()
    bp = mock_blueprint(level)
    paper = bp.papers[0]
    if level == 2:
        direction = direction or practice_direction(sess, user_id)
    drawn = draw(sess, bp, paper, secrets.randbits(31), direction if level == 2 else None)
    return new_attempt(sess, user_id, paper.code, drawn, AttemptKind.MOCK, paper.minutes, language)
