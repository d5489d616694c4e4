"""Proctor actions on live exam attempts (pause, resume, add time, end) and the live view.

Each action is one use case: it locks the attempt row, closes it first if its
time is already over, changes the clock, and writes an AttemptEvent and an
audit entry. The deadline is always recomputed from its parts
(start + allowed time + time added + time paused), so no action can drift it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certexam import db
from certexam.domain import timing as T
from certexam.errors import Conflict, NotFound, UserError
from certexam.models import (
    Attempt,
    AttemptEvent,
    AttemptKind,
    AttemptStatus,
    Registration,
    Response,
    SittingPaper,
    SubmitReason,
    User,
)
from certexam.services.attempts.autosave import _holds_answer
from certexam.services.attempts.lifecycle import close_if_expired
from certexam.services.platform import audit, clock

# Not programme rules but guards against slips of the keyboard: one step of
# added time is at most a whole level-2 session (rules s.2: "6 hours in a
# morning and an afternoon session", i.e. 180 minutes each).
MAX_ADD_MINUTES = 180
REASON_MIN_CHARS = 3  # a reason must say something ("ok" is not a reason)
REASON_MAX_CHARS = 500
RECENT_EVENTS = 5  # shown per attempt in the live view
# Events the page reports or the server logs that a proctor should notice (issue 4, integrity).
INTEGRITY_KINDS = ("focus_lost", "paste", "reconnect", "offline", "claim")
EMPTY_ANSWERS = (None, '""', "[]")  # stored JSON of an answer that was cleared
# The character after the opening quote of stored text that str.strip() could empty: a space, an escape
# (\n, \t, \u001c...) or a Unicode space, written as is (autosave._BLANK_TEXT). Other text holds an answer.
_BLANK_STARTS = (" ", "\\", "\x85", "\xa0", "\u1680", *(chr(c) for c in range(0x2000, 0x200B)), "\u2028", "\u2029",
                 "\u202f", "\u205f", "\u3000")


def _reason(reason: str) -> str:
    text = " ".join((reason or "").split())
    if not REASON_MIN_CHARS <= len(text) <= REASON_MAX_CHARS:
        raise UserError(_("Give a reason of %(a)d to %(b)d characters.", a=REASON_MIN_CHARS, b=REASON_MAX_CHARS),
                        "reason")
    return text


def _locked(sess: Session, attempt_id: int) -> Attempt:
    """The exam attempt, row-locked; mocks are not proctored."""
    attempt = sess.get(Attempt, attempt_id, with_for_update=True)
    if attempt is None or attempt.kind != AttemptKind.EXAM:
        raise NotFound(_("This attempt does not exist."))
    close_if_expired(sess, attempt)
    if attempt.status == AttemptStatus.SUBMITTED:
        raise Conflict(_("This attempt is already finished."))
    return attempt


def _recompute_deadline(attempt: Attempt) -> None:
    acc = T.Accommodation(attempt.extra_minutes, Fraction(attempt.time_multiplier_pct, 100))
    attempt.deadline_at = T.deadline(attempt.started_at, attempt.minutes, acc,
                                     timedelta(seconds=attempt.added_seconds),
                                     timedelta(seconds=attempt.paused_seconds))


def _fold_pause(attempt: Attempt, now: datetime) -> int:
    """End a pause: its span (whole seconds, rounded up so the candidate never loses time) is added."""
    assert attempt.paused_at is not None
    span = max(math.ceil((now - attempt.paused_at).total_seconds()), 0)
    attempt.paused_seconds += span
    attempt.paused_at = None
    _recompute_deadline(attempt)
    return span


def _log(sess: Session, attempt: Attempt, actor: User, kind: str, action: str, detail: dict[str, Any]) -> None:
    sess.add(AttemptEvent(attempt_id=attempt.id, at=clock.now(), kind=kind,
                          detail=json.dumps(detail, ensure_ascii=False), actor_id=actor.id))
    audit.record(sess, action, "attempt", attempt.id, actor_id=actor.id,
                 after={**detail, "deadline_at": attempt.deadline_at.isoformat(), "status": attempt.status})


@db.use_case
def pause(actor: User, attempt_id: int, reason: str) -> Attempt:
    """Stop the candidate's clock; saves are refused until the proctor resumes."""
    why = _reason(reason)
    sess = db.session()
    attempt = _locked(sess, attempt_id)
    if attempt.paused_at is not None:
        raise Conflict(_("This attempt is already paused."))
    attempt.paused_at, attempt.status = clock.now(), AttemptStatus.PAUSED
    _log(sess, attempt, actor, "pause", "attempt.pause", {"reason": why})
    return attempt


@db.use_case
def resume(actor: User, attempt_id: int, reason: str) -> Attempt:
    """Restart the clock; the time spent paused is added to the deadline."""
    why = _reason(reason)
    sess = db.session()
    attempt = _locked(sess, attempt_id)
    if attempt.paused_at is None:
        raise Conflict(_("This attempt is not paused."))
    span = _fold_pause(attempt, clock.now())
    attempt.status = AttemptStatus.IN_PROGRESS
    _log(sess, attempt, actor, "resume", "attempt.resume", {"reason": why, "paused_seconds": span})
    return attempt


@db.use_case
def add_time(actor: User, attempt_id: int, minutes: int, reason: str) -> Attempt:
    """Give a running (or paused) attempt more time (what-users-expect.md #6)."""
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_ADD_MINUTES:
        raise UserError(_("Add between 1 and %(n)d minutes.", n=MAX_ADD_MINUTES), "minutes")
    why = _reason(reason)
    sess = db.session()
    attempt = _locked(sess, attempt_id)
    attempt.added_seconds += minutes * 60
    _recompute_deadline(attempt)
    _log(sess, attempt, actor, "time_added", "attempt.add_time", {"reason": why, "minutes": minutes})
    return attempt


@db.use_case
def end(actor: User, attempt_id: int, reason: str) -> Attempt:
    """Submit the attempt now, with the answers saved so far (submit_reason "proctor")."""
    why = _reason(reason)
    sess = db.session()
    attempt = _locked(sess, attempt_id)
    now = clock.now()
    if attempt.paused_at is not None:
        _fold_pause(attempt, now)  # keeps paused_seconds a true record of the time stopped
    attempt.status, attempt.submitted_at, attempt.submit_reason = AttemptStatus.SUBMITTED, now, SubmitReason.PROCTOR
    _log(sess, attempt, actor, "proctor_end", "attempt.end", {"reason": why})
    return attempt


@dataclass(frozen=True)
class EventView:
    kind: str
    at: datetime
    detail: dict[str, Any]


@dataclass(frozen=True)
class LiveAttempt:
    attempt_id: int
    name_zh: str
    name_en: str
    admission_no: str
    paper_code: str
    status: str
    paused: bool
    expired: bool  # time over, waiting for the sweeper or the candidate's next contact
    answered: int
    total: int
    last_saved_at: datetime | None
    remaining_seconds: int
    added_minutes: int
    events: tuple[EventView, ...]  # newest first
    integrity: dict[str, int]  # kind -> count, for INTEGRITY_KINDS
    # The identity check (issue 21, services/attempts/identity.py): the photo and the proctor's mark.
    registration_id: int = 0
    has_photo: bool = False
    identity_checked_at: datetime | None = None


def slot_count(form_json: str) -> int:
    """How many answer slots a frozen form has (an item set has one per child)."""
    form: list[dict[str, Any]] = json.loads(form_json)
    return sum(len(e.get("ct") or []) if e.get("t") == "item_set" else 1 for e in form)


def _detail(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def live_attempts(sitting_id: int, include_finished: bool = False, now: datetime | None = None) -> list[LiveAttempt]:
    """The sitting's exam attempts with progress, last save, time left and recent events (read only)."""
    sess = db.session()
    now = now or clock.now()
    query = (select(Attempt, Registration.admission_no, User.name_zh, User.name_en, Registration.id,
                    User.photo_path, Registration.identity_checked_at)
             .join(Registration, Registration.id == Attempt.registration_id)
             .join(User, User.id == Attempt.user_id)
             .join(SittingPaper, SittingPaper.id == Attempt.sitting_paper_id)
             .where(Registration.sitting_id == sitting_id, Attempt.kind == AttemptKind.EXAM)
             .order_by(SittingPaper.position, Registration.admission_no))
    if not include_finished:
        query = query.where(Attempt.status != AttemptStatus.SUBMITTED)
    rows = sess.execute(query).all()
    ids = [r[0].id for r in rows]
    if not ids:
        return []
    answered = _answered_counts(sess, ids)
    counts: dict[int, dict[str, int]] = {}
    for aid, kind, n in sess.execute(
            select(AttemptEvent.attempt_id, AttemptEvent.kind, func.count())
            .where(AttemptEvent.attempt_id.in_(ids), AttemptEvent.kind.in_(INTEGRITY_KINDS))
            .group_by(AttemptEvent.attempt_id, AttemptEvent.kind)):
        counts.setdefault(aid, {})[kind] = n
    recent = _recent_events(sess, ids)
    out = []
    for attempt, admission_no, name_zh, name_en, reg_id, photo_path, checked_at in rows:
        integrity = counts.get(attempt.id, {})
        if integrity.get("claim"):
            integrity["claim"] -= 1  # the first claim is the candidate opening the page, not a takeover
        out.append(LiveAttempt(
            attempt.id, name_zh, name_en, admission_no, attempt.paper_code, attempt.status,
            attempt.paused_at is not None,
            attempt.status != AttemptStatus.SUBMITTED and attempt.paused_at is None and T.is_expired(attempt.deadline_at, now),
            answered.get(attempt.id, 0), slot_count(attempt.form), attempt.last_saved_at,
            int(T.remaining(attempt.deadline_at, now, attempt.paused_at).total_seconds())
            if attempt.status != AttemptStatus.SUBMITTED else 0,
            attempt.added_seconds // 60, tuple(recent.get(attempt.id, ())),
            {k: v for k, v in integrity.items() if v}, reg_id, bool(photo_path), checked_at))
    return out


def _answered_counts(sess: Session, ids: list[int]) -> dict[int, int]:
    """Each attempt's slots that hold an answer, by autosave's rule (`_holds_answer`, issue 18.2: blank
    written answers are not answers). Counted in SQL, less the texts that may be blank, which are few:
    only those are read and judged by the same function the clock resync uses."""
    held = dict(sess.execute(
        select(Response.attempt_id, func.count()).where(Response.attempt_id.in_(ids),
                                                        Response.answer.is_not(None),
                                                        Response.answer.not_in(EMPTY_ANSWERS[1:]))
        .group_by(Response.attempt_id)).all())
    maybe_blank = sess.execute(
        select(Response.attempt_id, Response.answer).where(Response.attempt_id.in_(ids),
                                                           Response.answer.like('"%'),
                                                           func.substr(Response.answer, 2, 1).in_(_BLANK_STARTS)))
    for aid, answer in maybe_blank:
        if not _holds_answer(answer):
            held[aid] -= 1
    return held


def _recent_events(sess: Session, ids: list[int]) -> dict[int, list[EventView]]:
    """The newest RECENT_EVENTS events of each attempt, in one query (a window function)."""
    ranked = (select(AttemptEvent.attempt_id, AttemptEvent.kind, AttemptEvent.at, AttemptEvent.detail,
                     func.row_number().over(partition_by=AttemptEvent.attempt_id,
                                            order_by=(AttemptEvent.at.desc(), AttemptEvent.id.desc()))
                     .label("n"))
              .where(AttemptEvent.attempt_id.in_(ids)).subquery())
    out: dict[int, list[EventView]] = {}
    for aid, kind, at, detail, _n in sess.execute(
            select(ranked).where(ranked.c.n <= RECENT_EVENTS).order_by(ranked.c.attempt_id, ranked.c.n)):
        out.setdefault(aid, []).append(EventView(kind, at, _detail(detail)))
    return out
