"""Attempt use cases after the start: claim a device, submit, page events, the expiry sweep.

Split by meaning (issue 18): starting an attempt is starting.py; who holds an attempt
and whether it may change now (owner, device, time, pause, release) is guards.py;
autosave and the clock resync are autosave.py and resync.py. Their names are also
importable from here, as callers have always imported them.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from certexam import db
from certexam.domain import timing as T
from certexam.errors import UserError
from certexam.models import Attempt, AttemptKind, AttemptStatus, SubmitReason, User
from certexam.services.attempts.forms import event
from certexam.services.attempts.guards import (
    AttemptClosed,
    AttemptPaused,
    TakenOver,
    _owned,
    _owned_by,
    _released,
    _same_device,
    _writable,
    close_if_expired,
)
from certexam.services.attempts.starting import Started, _plan, begin, may_begin, start, start_mock, try_begin
from certexam.services.platform import audit, clock

__all__ = [  # the start and the guards, as callers import them from here
    "AttemptClosed", "AttemptPaused", "Started", "TakenOver", "_owned", "_owned_by", "_plan", "_released",
    "_same_device", "_writable", "begin", "claim", "close_expired", "close_if_expired", "log_event", "may_begin",
    "start", "start_mock", "submit", "try_begin",
]


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
