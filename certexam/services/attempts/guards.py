"""Who holds an attempt and whether it may change now: its owner, the device holding it, its time,
a proctor's pause and the sitting's release (split from lifecycle.py; issue 18).

Every write locks the attempt row first (FOR UPDATE on PostgreSQL; on SQLite
the use case already holds the write lock), so saves, submits and the expiry
sweep of one attempt never interleave.
"""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from certexam.domain import timing as T
from certexam.errors import Conflict, NotFound
from certexam.models import Attempt, AttemptKind, AttemptStatus, Registration, Sitting, SubmitReason, User
from certexam.services.attempts.forms import event
from certexam.services.platform import audit, clock


class AttemptClosed(Conflict):
    """Saves after the end: the page tells the candidate plainly."""

    code = "closed"


class AttemptPaused(Conflict):
    """The proctor paused the attempt: saves wait until it resumes."""

    code = "paused"


class TakenOver(Conflict):
    """Another device holds the attempt now."""

    code = "taken_over"


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
