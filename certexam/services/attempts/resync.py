"""The clock resync: where an attempt stands (time left, pause, answered and flagged slots,
which device holds it), read with the owner checked in the statement (split from autosave.py;
issue 18). Every page asks every 30 s: a read, which writes only to close an attempt whose
time is over, so thousands of resyncs never queue for the write lock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from certexam import db
from certexam.domain import timing as T
from certexam.errors import NotFound
from certexam.models import AttemptKind, AttemptStatus, User
from certexam.services.attempts.answers import _holds_answer
from certexam.services.attempts.autosave_sql import Owner, statements
from certexam.services.attempts.guards import _owned_by, _same_device, close_if_expired
from certexam.services.platform import clock


@dataclass(frozen=True)
class AttemptState:
    id: int
    status: AttemptStatus
    kind: AttemptKind
    paper_code: str
    deadline_at: datetime
    remaining_seconds: int
    paused: bool
    last_seq: int
    answered: list[str]
    flagged: list[str]
    holder: bool | None


@db.use_case
def _close_one(user_id: int, attempt_id: int) -> None:
    sess = db.session()
    close_if_expired(sess, _owned_by(sess, user_id, attempt_id))


def state(user: User, attempt_id: int, device: str | None = None) -> AttemptState:
    """Where an attempt stands. A read (every page polls it): it writes only to close an attempt
    whose time is over, so thousands of clock resyncs never queue for the write lock."""
    found = try_state(Owner(user_id=user.id), attempt_id, device)
    if found is None:
        raise NotFound(_("This attempt does not exist."))
    return found


def try_state(owner: Owner, attempt_id: int, device: str | None = None) -> AttemptState | None:
    """`state` without loading the user: None if the attempt is not the owner's (or the owner is
    not an active candidate); the caller then authenticates fully to answer 401, 403 or 404."""
    with db.reading() as conn:  # PostgreSQL: no BEGIN and ROLLBACK around it (the most frequent call)
        st = statements(conn.dialect.name, owner.by_token)
        row = conn.execute(st.state, {"p_aid": attempt_id, **owner.params()}).first()
        if row is None:
            return None
        now = clock.now()
        expired = row.status != AttemptStatus.SUBMITTED and row.paused_at is None and T.is_expired(row.deadline_at, now)
        slots = [] if expired else conn.execute(st.slots, {"p_aid": attempt_id}).all()
    if expired:
        _close_one(row.user_id, attempt_id)  # re-checked under the lock
        with db.reading() as conn:
            row = conn.execute(st.state, {"p_aid": attempt_id, **owner.params()}).first()
            if row is None:
                return None
            slots = conn.execute(st.slots, {"p_aid": attempt_id}).all()
    return AttemptState(
        row.id, row.status, row.kind, row.paper_code, row.deadline_at,
        int(T.remaining(row.deadline_at, now, row.paused_at).total_seconds()), row.paused_at is not None,
        row.last_seq, sorted((s.slot for s in slots if _holds_answer(s.answer)), key=_slot_key),
        sorted((s.slot for s in slots if s.flagged), key=_slot_key),
        None if device is None else _same_device(device, row.holder_token))


def _slot_key(slot: str) -> tuple[int, ...]:
    return tuple(int(p) for p in slot.split("."))
