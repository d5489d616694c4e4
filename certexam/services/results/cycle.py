"""Where a sitting stands in its cycle, and the guard that keeps scoring after closing (issue 18).

Computing or releasing results while a paper can still be begun, or an attempt is
still running, scored those candidates ABSENT ("not passed") and let them start
after the release. `require_closed` runs in the scoring use case, under the
sitting's lock, after the attempts whose time is over have been closed; the pure
rules are certexam.domain.cycle.
"""

from __future__ import annotations

import math
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certexam import db
from certexam.domain import cycle
from certexam.errors import Conflict, NotFound
from certexam.models import Attempt, AttemptKind, AttemptStatus, Registration, Result, Sitting
from certexam.services.attempts.lifecycle import close_if_expired
from certexam.services.platform import clock


class SittingNotClosed(Conflict):
    """Results wait: a paper can still be begun, or attempts are still running."""

    code = "sitting_open"


def _open_attempts(sess: Session, sitting_id: int, lock: bool) -> list[Attempt]:
    stmt = (select(Attempt).join(Registration, Registration.id == Attempt.registration_id)
            .where(Registration.sitting_id == sitting_id, Attempt.kind == AttemptKind.EXAM,
                   Attempt.status != AttemptStatus.SUBMITTED).order_by(Attempt.id))
    return list(sess.scalars(stmt.with_for_update(of=Attempt) if lock else stmt))


def facts(sess: Session, sitting: Sitting, close_expired: bool) -> cycle.SittingFacts:
    """The facts of a sitting's cycle. With `close_expired` (a write, in a use case) the attempts
    whose time is over are closed first, as the sweeper would, so they do not hold scoring back."""
    running = 0
    for attempt in _open_attempts(sess, sitting.id, lock=close_expired):
        if not (close_expired and close_if_expired(sess, attempt)):
            running += 1
    registered = sess.scalar(select(func.count()).select_from(Registration)
                             .where(Registration.sitting_id == sitting.id)) or 0
    begun: dict[str, int] = {code: n for code, n in sess.execute(
        select(Attempt.paper_code, func.count()).join(Registration, Registration.id == Attempt.registration_id)
        .where(Registration.sitting_id == sitting.id, Attempt.kind == AttemptKind.EXAM)
        .group_by(Attempt.paper_code))}
    unbegun = tuple(cycle.Unbegun(p.code, cycle.entry_closes_at(p.starts_at, sitting.late_entry_minutes),
                                  registered - begun.get(p.code, 0)) for p in sitting.papers)
    scored = sess.scalar(select(Result.id).where(Result.sitting_id == sitting.id).limit(1)) is not None
    return cycle.SittingFacts(sitting.results_released_at is not None, scored, running, unbegun)


def require_closed(sess: Session, sitting: Sitting) -> None:
    """Refuse to score a sitting that is not closed, saying what holds it open (409)."""
    now = clock.now()
    found = facts(sess, sitting, close_expired=True)
    if found.closed(now):
        return
    why = []
    if found.running:
        why.append(ngettext("%(num)d attempt of this sitting is still open: results wait until it is submitted "
                            "or its time is over.",
                            "%(num)d attempts of this sitting are still open: results wait until each is "
                            "submitted or its time is over.", found.running))
    ends = found.entry_ends_at(now)
    if ends is not None:
        why.append(ngettext("Candidates can still begin a paper for %(num)d more minute, until its entry window "
                            "closes: results wait until then.",
                            "Candidates can still begin a paper for %(num)d more minutes, until its entry window "
                            "closes: results wait until then.", _minutes_until(ends, now)))
    raise SittingNotClosed(" ".join(why))


def _minutes_until(then: datetime, now: datetime) -> int:
    return max(1, math.ceil((then - now).total_seconds() / 60))


def state_of(sitting_id: int) -> cycle.CycleState:
    """The sitting's state for the pages (a read: attempts past their time count as running until
    the sweeper or a request closes them)."""
    sess = db.session()
    sitting = sess.get(Sitting, sitting_id)
    if sitting is None:
        raise NotFound(_("This sitting does not exist."))
    return cycle.state(facts(sess, sitting, close_expired=False), clock.now())
