"""Attempt use cases: start, claim a device, submit, expiry (autosave and the clock: autosave.py).

Every write locks the attempt row first (FOR UPDATE on PostgreSQL; on SQLite
the use case already holds the write lock), so saves, submits and the expiry
sweep of one attempt never interleave.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from typing import Any, NamedTuple

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from certexam import db
from certexam.domain import cycle
from certexam.domain import timing as T
from certexam.errors import Conflict, Forbidden, NotFound, UserError
from certexam.models import (
    Attempt,
    AttemptKind,
    AttemptStatus,
    Registration,
    Sitting,
    SittingPaper,
    SubmitReason,
    User,
)
from certexam.services.attempts.autosave_sql import Owner, owner_ids
from certexam.services.attempts.forms import Drawn, draw, event, form_json, new_attempt
from certexam.services.attempts.start_sql import Planned, insert_planned
from certexam.services.platform import audit, clock
from certexam.services.sittings.schedule import blueprint_of


class AttemptClosed(Conflict):
    """Saves after the end: the page tells the candidate plainly."""

    code = "closed"


class AttemptPaused(Conflict):
    """The proctor paused the attempt: saves wait until it resumes."""

    code = "paused"


class TakenOver(Conflict):
    """Another device holds the attempt now."""

    code = "taken_over"


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


def _refusal(sitting: Sitting, sp: SittingPaper, done: Collection[str]) -> UserError | None:
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
        reg = _owned_registration(sess, owner, registration_id, lock=False)
        if reg is None:
            return None
        sitting = reg.sitting
        sp = next((p for p in sitting.papers if p.code == paper_code), None)
        mine = {code: status for code, status in sess.execute(
            select(Attempt.paper_code, Attempt.status).where(Attempt.registration_id == reg.id))}
        done = {code for code, status in mine.items() if status == AttemptStatus.SUBMITTED}
        if sp is None or paper_code in mine or _refusal(sitting, sp, done) is not None:
            return _AGAIN
        drawn = _draw_paper(sess, sitting, sp, reg.direction)
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
    drawn = _draw_paper(sess, sitting, sp, reg.direction)
    return _begin_attempt(sess, user_id, reg, sp.id, paper_code, sp.minutes, drawn, language)


def _draw_paper(sess: Session, sitting: Sitting, sp: SittingPaper, direction: str | None) -> Drawn:
    """The form of this paper for a new attempt: the sitting's fixed seed, or a fresh one per candidate."""
    bp = blueprint_of(sitting)
    paper = next(p for p in bp.papers if p.code == sp.code)
    seed = sp.fixed_seed if sitting.assembly_mode == "fixed" else secrets.randbits(31)
    return draw(sess, bp, paper, seed, direction)


def _begin_attempt(sess: Session, user_id: int, reg: Registration, sitting_paper_id: int, paper_code: str,
                   minutes: int, drawn: Drawn, language: str) -> Started:
    """Insert the attempt of a drawn form and record its start in the audit log; this device holds it."""
    attempt = new_attempt(sess, user_id, paper_code, drawn, AttemptKind.EXAM, minutes, language, reg, sitting_paper_id)
    audit.record(sess, "attempt.start", "attempt", attempt.id, actor_id=user_id,
                 after={"registration": reg.id, "paper": paper_code, "seed": drawn.seed})
    return Started(attempt.id, attempt.last_seq, attempt.holder_token)


def start_mock(user: User, level: int, language: str) -> Attempt:
    """A practice paper from the same bank, scored at once (never counts)."""
    return _start_mock(user.id, level, language)


@db.use_case
def _start_mock(user_id: int, level: int, language: str) -> Attempt:
    from certexam.domain.blueprint import mock_blueprint

    sess = db.session()
    bp = mock_blueprint(level)
    paper = bp.papers[0]
    drawn = draw(sess, bp, paper, secrets.randbits(31), None)
    return new_attempt(sess, user_id, paper.code, drawn, AttemptKind.MOCK, paper.minutes, language)


def _same_device(device: str, holder_token: str) -> bool:
    # Bytes, not str: compare_digest refuses non-ASCII text, and a header can hold anything.
    return secrets.compare_digest(device.encode("utf-8"), holder_token.encode("utf-8"))


def _owned(sess: Session, user: User, attempt_id: int, lock: bool = True) -> Attempt:
    return _owned_by(sess, user.id, attempt_id, lock)


def _owned_by(sess: Session, user_id: int, attempt_id: int, lock: bool = True) -> Attempt:
    attempt = sess.get(Attempt, attempt_id, with_for_update=lock)
    if attempt is None or attempt.user_id != user_id:
        raise NotFound(_("This attempt does not exist."))
    return attempt


def close_if_expired(sess: Session, attempt: Attempt) -> bool:
    """Submit an attempt whose time (plus grace) is over; answers saved so far are kept."""
    if attempt.status == AttemptStatus.SUBMITTED or attempt.paused_at is not None:
        return False
    if T.is_expired(attempt.deadline_at, clock.now()):
        attempt.status, attempt.submitted_at = AttemptStatus.SUBMITTED, attempt.deadline_at
        attempt.submit_reason = SubmitReason.TIMEOUT
        event(sess, attempt, "timeout")
        if attempt.kind == AttemptKind.EXAM:  # as a candidate's submit is audited, so is the server's (issue 18.7)
            audit.record(sess, "attempt.submit", "attempt", attempt.id, actor_id=None, after={"reason": SubmitReason.TIMEOUT})
        return True
    return False


def claim(user: User, attempt_id: int) -> Attempt:
    """This device takes the attempt over; any other device is told on its next contact."""
    return _claim(user.id, attempt_id)


@db.use_case
def _claim(user_id: int, attempt_id: int) -> Attempt:
    sess = db.session()
    attempt = _owned_by(sess, user_id, attempt_id)
    close_if_expired(sess, attempt)
    if attempt.status == AttemptStatus.SUBMITTED:
        raise AttemptClosed(_("This paper is finished."))
    attempt.holder_token = secrets.token_urlsafe(24)
    event(sess, attempt, "claim")
    return attempt


def _released(sess: Session, attempt: Attempt) -> bool:
    """Whether the attempt's sitting has released its results (a mock has no sitting)."""
    if attempt.registration_id is None:
        return False
    return sess.scalar(select(Sitting.results_released_at).join(Registration, Registration.sitting_id == Sitting.id)
                       .where(Registration.id == attempt.registration_id)) is not None


def _writable(sess: Session, attempt: Attempt, device: str) -> None:
    if _released(sess, attempt):  # issue 18: after release nothing in the sitting saves (docs/cycle.md)
        raise AttemptClosed(_("The results of this sitting are out: its papers are closed."))
    if close_if_expired(sess, attempt) or attempt.status == AttemptStatus.SUBMITTED:
        raise AttemptClosed(_("Time is over: this paper has been submitted. Answers sent after the end are not accepted."))
    if attempt.paused_at is not None:
        raise AttemptPaused(_("The exam is paused by the proctor."))
    if not _same_device(device, attempt.holder_token):
        raise TakenOver(_("This exam is now open on another device. Continue there, or reload to take it back here."))


def submit(user: User, attempt_id: int, device: str | None) -> Attempt:
    """Finish the paper from the device that holds it, as saves are (issue 18.8: a submit without a
    device was accepted from any device, and no takeover was logged). Submitting twice is harmless;
    after the time is over it is already submitted."""
    if not device:
        raise UserError(_("Missing or invalid device token."), "device")
    return _submit(user.id, attempt_id, device)


@db.use_case
def _submit(user_id: int, attempt_id: int, device: str) -> Attempt:
    sess = db.session()
    attempt = _owned_by(sess, user_id, attempt_id)
    if _released(sess, attempt):  # issue 18: after release nothing in the sitting submits, not even again
        raise AttemptClosed(_("The results of this sitting are out: its papers are closed."))
    close_if_expired(sess, attempt)
    if attempt.status == AttemptStatus.SUBMITTED:
        return attempt
    if not _same_device(device, attempt.holder_token):
        raise TakenOver(_("This exam is now open on another device. Continue there, or reload to take it back here."))
    attempt.status, attempt.submitted_at, attempt.submit_reason = AttemptStatus.SUBMITTED, clock.now(), SubmitReason.CANDIDATE
    event(sess, attempt, "submit")
    if attempt.kind == AttemptKind.EXAM:
        audit.record(sess, "attempt.submit", "attempt", attempt.id, actor_id=user_id,
                     after={"reason": SubmitReason.CANDIDATE})
    return attempt


def log_event(user: User, attempt_id: int, kind: str, detail: dict[str, Any] | None) -> None:
    """Record what the page reports: focus lost, paste, reconnect."""
    _log_event(user.id, attempt_id, kind, detail)


@db.use_case
def _log_event(user_id: int, attempt_id: int, kind: str, detail: dict[str, Any] | None) -> None:
    if kind not in {"focus_lost", "focus_back", "paste", "reconnect", "offline"}:
        raise UserError(_("Unknown event."), "kind")
    sess = db.session()
    attempt = _owned_by(sess, user_id, attempt_id)
    event(sess, attempt, kind, {k: str(v)[:200] for k, v in (detail or {}).items()} if detail else None)


@db.use_case
def close_expired() -> int:
    """The sweeper: submit every attempt whose time is over, browser or not. Returns how many."""
    sess = db.session()
    cutoff = clock.now() - T.SAVE_GRACE
    n = 0
    for attempt in sess.scalars(select(Attempt).where(Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.deadline_at < cutoff,
                                                      Attempt.paused_at.is_(None)).with_for_update()):
        n += close_if_expired(sess, attempt)
    return n
