"""Submit on the hot path: a guarded UPDATE on a hot use case's Core connection.

Every candidate submits in the last minute of a paper, as every candidate
started in its first (issue 4). The usual submit (the owner's attempt, this
device's, running, in time) is one guarded UPDATE, its event and its audit
entry inside the writer's turn, and no user is loaded. Anything else (another
device, a paused or expired attempt, a second submit, someone else's attempt)
changes nothing here and goes to `attempts.submit`, which decides and explains
it under the lock as before.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Integer, String, bindparam, insert, update
from sqlalchemy.sql import Executable

from certexam import db
from certexam.domain import timing as T
from certexam.models import Attempt, AttemptEvent, AttemptKind, AttemptStatus, SubmitReason
from certexam.services.attempts.autosave_sql import Owner, owner_ids
from certexam.services.platform import audit, clock


class Submitted(NamedTuple):
    id: int
    status: AttemptStatus
    reason: SubmitReason
    submitted_at: datetime


@functools.cache
def _submit_statement(by_token: bool) -> Executable:
    """Submit if the attempt is the owner's, held by this device, running, not paused and in time
    (deadline >= now - grace, as `T.is_expired` decides); returns what the event and audit need."""
    return (update(Attempt)
            .where(Attempt.id == bindparam("p_aid", type_=Integer), Attempt.user_id.in_(owner_ids(by_token)),
                   Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.paused_at.is_(None),
                   Attempt.holder_token == bindparam("p_dev", type_=String),
                   Attempt.deadline_at >= bindparam("p_cutoff", type_=db.UTCDateTime()))
            .values(status=AttemptStatus.SUBMITTED, submitted_at=bindparam("p_now", type_=db.UTCDateTime()),
                    submit_reason=SubmitReason.CANDIDATE)
            .returning(Attempt.user_id, Attempt.kind))


_EVENT = insert(AttemptEvent)


@db.hot_use_case
def try_submit(owner: Owner, attempt_id: int, device: str) -> Submitted | None:
    """The candidate finishes the paper; None (nothing written) if this is not the usual case."""
    conn = db.connection()
    now = clock.now()
    params: dict[str, Any] = {"p_aid": attempt_id, "p_dev": device, "p_now": now, "p_cutoff": now - T.SAVE_GRACE}
    row = conn.execute(_submit_statement(owner.by_token), params | owner.params()).first()
    if row is None:
        return None
    conn.execute(_EVENT, {"attempt_id": attempt_id, "at": now, "kind": "submit", "detail": None, "actor_id": None})
    if row.kind == AttemptKind.EXAM:  # last: on PostgreSQL the audit head stays locked until COMMIT
        audit.append(conn, "attempt.submit", "attempt", attempt_id, actor_id=row.user_id,
                     after={"reason": SubmitReason.CANDIDATE})
    return Submitted(attempt_id, AttemptStatus.SUBMITTED, SubmitReason.CANDIDATE, now)


def as_json(s: Submitted | Attempt) -> dict[str, Any]:
    """What the API answers for a submit, either way."""
    when = s.submitted_at
    return {"id": s.id, "status": s.status, "reason": s.submit_reason if isinstance(s, Attempt) else s.reason,
            "submitted_at": when.isoformat() if when else None}

