"""The exam's hot path: autosave, flags and the clock resync, as few statements as possible.

On an exam day these three calls are nearly every request (issue 4). A save is
one guarded UPDATE of the attempt and one upsert of the slot under the write
lock, or one statement: always on PostgreSQL, and on SQLite once this device's
first save has read the attempt's form (revision 0010's triggers keep the
attempt's counters). The clock resync is a read and writes only to close an
attempt whose time is over. Who may save is checked inside those
statements (autosave_sql.Owner), so the `try_*` calls load no user: the API
authenticates fully only when one of them is refused, to say why.

Split by meaning (issue 18): whether an answer fits its question is answers.py, the
clock resync resync.py; their names are also importable from here, as callers have
always imported them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.engine import Connection

from certexam import db
from certexam.domain import timing as T
from certexam.errors import Conflict, UserError
from certexam.models import User
from certexam.services.attempts.answers import (
    _BLANK_TEXT,
    MAX_TEXT_ANSWER,
    ChoiceLimit,
    _answer_value,
    _answered,
    _check_answer,
    _check_group,
    _fits,
    _holds_answer,
    _parsed_form,
    _slot_entry,
)
from certexam.services.attempts.autosave_sql import Owner, Statements, statements
from certexam.services.attempts.guards import _owned_by, _writable
from certexam.services.attempts.resync import AttemptState, state, try_state
from certexam.services.bank.item_cache import BoundedCache
from certexam.services.platform import clock

__all__ = [  # the answer checks and the clock resync, as callers import them from here
    "MAX_TEXT_ANSWER", "_BLANK_TEXT", "AttemptState", "ChoiceLimit", "SaveAck", "_answered", "_holds_answer",
    "_parsed_form", "save", "set_flag", "state", "try_save", "try_set_flag", "try_state",
]


@dataclass(frozen=True)
class SaveAck:
    slot: str
    seq: int
    result: str  # stored | duplicate | stale
    saved_at: datetime
    deadline_at: datetime


def _conn(owner: Owner) -> tuple[Connection, Statements]:
    conn = db.connection()  # in a use case: on SQLite this begins with the write lock
    return conn, statements(conn.dialect.name, owner.by_token)


# (attempt id, device token) -> the attempt's frozen form, for SQLite's one-statement save. A form
# never changes; the device token is part of the key so that a reused id can never match (and the
# statement checks owner, device, status and time itself). Bounded: one entry per attempt held here.
_forms: BoundedCache[tuple[int, str], str] = BoundedCache(10_000)


def _valid_seq(seq: Any) -> bool:
    return isinstance(seq, int) and not isinstance(seq, bool) and 0 < seq < 2**31


def _check_seq(seq: Any) -> None:
    if not _valid_seq(seq):
        raise UserError(_("The save has no valid sequence number."), "seq")


def _params(owner: Owner, attempt_id: int, device: str, seq: int, now: datetime) -> dict[str, Any]:
    return {"p_aid": attempt_id, "p_dev": device, "p_seq": seq, "p_now": now, "p_cutoff": now - T.SAVE_GRACE,
            **owner.params()}


def _save_params(owner: Owner, attempt_id: int, device: str, slot: str, answer: Any, flagged: bool, seq: int,
                 now: datetime) -> dict[str, Any]:
    """The parameters of a one-statement save (claim and upsert together)."""
    return {**_params(owner, attempt_id, device, seq, now), "p_slot": slot, "p_answer": _answer_value(answer),
            "p_flagged": bool(flagged)}


def _take(owner: Owner, attempt_id: int, device: str, seq: int, now: datetime) -> tuple[str, datetime] | None:
    """Claim the attempt for this save (form, deadline), or None if the owner, device, status or time refuse it."""
    conn, st = _conn(owner)
    row = conn.execute(st.claim, _params(owner, attempt_id, device, seq, now)).first()
    return None if row is None else (row[0], row[1])


def _explain(user_id: int, attempt_id: int, device: str, seq: int, now: datetime) -> tuple[str, datetime]:
    """A refused claim: load the attempt to say why (closed, paused, another device, not yours),
    or claim it if it changed between the two reads (the row is locked now)."""
    sess = db.session()
    _writable(sess, _owned_by(sess, user_id, attempt_id), device)
    taken = _take(Owner(user_id=user_id), attempt_id, device, seq, now)
    if taken is None:
        raise Conflict(_("The exam changed while saving. Try again."))
    return taken


def _store(owner: Owner, attempt_id: int, slot: str, seq: int, now: datetime, flagged: bool, answer: str | None,
           flag_only: bool) -> str:
    conn, st = _conn(owner)
    params = {"p_aid": attempt_id, "p_slot": slot, "p_answer": answer, "p_flagged": flagged, "p_seq": seq,
              "p_now": now}
    if conn.execute(st.upsert_flag if flag_only else st.upsert_answer, params).first() is not None:
        return "stored"
    return _not_stored(conn, st, attempt_id, slot, seq)


def _not_stored(conn: Connection, st: Statements, attempt_id: int, slot: str, seq: int) -> str:
    """Why the upsert changed nothing: this seq is a duplicate or older than the stored one."""
    return T.decide_save(seq, conn.execute(st.stored_seq, {"p_aid": attempt_id, "p_slot": slot}).scalar()).reason


def _save_fast(owner: Owner, attempt_id: int, device: str, slot: str, answer: Any, flagged: bool,
               seq: int, now: datetime) -> SaveAck | None:
    """Claim and store; None (nothing written) if the claim is refused."""
    conn, st = _conn(owner)
    form = _forms.get((attempt_id, device)) if st.save_if_claimable is not None else None
    if form is not None and _fits(form, slot, answer):
        # SQLite, a form this device already saved into: one statement (the answer checked before it)
        row = conn.execute(st.save_if_claimable, _save_params(owner, attempt_id, device, slot, answer, flagged, seq,
                                                              now)).first()
        if row is not None:
            return SaveAck(slot, seq, "stored", now, row[1])
        # nothing stored: refused, a duplicate or stale; the claim below says which (and stamps the contact)
    if st.save_at_once is not None:  # PostgreSQL: one statement, checked after (an error rolls it all back)
        row = conn.execute(st.save_at_once, _save_params(owner, attempt_id, device, slot, answer, flagged, seq,
                                                         now)).first()
        if row is None:
            return None
        entry, child = _slot_entry(row[0], slot)
        _check_answer(entry, child, answer)
        _check_group(conn, st, attempt_id, row[0], slot, answer)
        return SaveAck(slot, seq, "stored" if row[2] else _not_stored(conn, st, attempt_id, slot, seq), now, row[1])
    taken = _take(owner, attempt_id, device, seq, now)
    if taken is None:
        return None
    ack = _save_claimed(owner, attempt_id, slot, answer, flagged, seq, now, taken)
    _forms.put((attempt_id, device), taken[0])
    return ack


def _save_claimed(owner: Owner, attempt_id: int, slot: str, answer: Any, flagged: bool, seq: int, now: datetime,
                  taken: tuple[str, datetime]) -> SaveAck:
    entry, child = _slot_entry(taken[0], slot)
    _check_answer(entry, child, answer)  # an error rolls the claim back with the rest
    conn, st = _conn(owner)
    _check_group(conn, st, attempt_id, taken[0], slot, answer)
    result = _store(owner, attempt_id, slot, seq, now, bool(flagged), _answer_value(answer), False)
    return SaveAck(slot, seq, result, now, taken[1])


@db.hot_use_case
def try_save(owner: Owner, attempt_id: int, device: str, slot: str, answer: Any, flagged: bool,
             seq: Any) -> SaveAck | None:
    """The hot path: store one slot's answer durably before acknowledging, without loading the user.

    None when the claim is refused (not this candidate's, closed, paused, another
    device): the caller then authenticates fully and calls `save`, which says why.
    Invalid input raises UserError either way; stale or duplicate saves change nothing.
    """
    if not _valid_seq(seq):
        return None  # said after full authentication, by `save`
    return _save_fast(owner, attempt_id, device, slot, answer, flagged, seq, clock.now())


def save(user: User, attempt_id: int, device: str, slot: str, answer: Any, flagged: bool, seq: int) -> SaveAck:
    """Store one slot's answer durably before acknowledging; a refusal raises why."""
    return _save(user.id, attempt_id, device, slot, answer, flagged, seq)  # the id read before the use case


@db.core_use_case
def _save(user_id: int, attempt_id: int, device: str, slot: str, answer: Any, flagged: bool, seq: int) -> SaveAck:
    _check_seq(seq)
    now, owner = clock.now(), Owner(user_id=user_id)
    ack = _save_fast(owner, attempt_id, device, slot, answer, flagged, seq, now)
    if ack is not None:
        return ack
    taken = _explain(user_id, attempt_id, device, seq, now)
    return _save_claimed(owner, attempt_id, slot, answer, flagged, seq, now, taken)


def _flag(owner: Owner, attempt_id: int, device: str, slot: str, flagged: bool, seq: int, now: datetime,
          taken: tuple[str, datetime]) -> SaveAck:
    _slot_entry(taken[0], slot)
    return SaveAck(slot, seq, _store(owner, attempt_id, slot, seq, now, bool(flagged), None, True), now, taken[1])


@db.hot_use_case
def try_set_flag(owner: Owner, attempt_id: int, device: str, slot: str, flagged: bool, seq: Any) -> SaveAck | None:
    """Flag or unflag a question for review, keeping its answer; None if refused (as try_save)."""
    if not _valid_seq(seq):
        return None
    now = clock.now()
    taken = _take(owner, attempt_id, device, seq, now)
    return None if taken is None else _flag(owner, attempt_id, device, slot, flagged, seq, now, taken)


def set_flag(user: User, attempt_id: int, device: str, slot: str, flagged: bool, seq: int) -> SaveAck:
    """Flag or unflag a question for review, keeping its answer; a refusal raises why."""
    return _set_flag(user.id, attempt_id, device, slot, flagged, seq)


@db.core_use_case
def _set_flag(user_id: int, attempt_id: int, device: str, slot: str, flagged: bool, seq: int) -> SaveAck:
    _check_seq(seq)
    now, owner = clock.now(), Owner(user_id=user_id)
    taken = _take(owner, attempt_id, device, seq, now) or _explain(user_id, attempt_id, device, seq, now)
    return _flag(owner, attempt_id, device, slot, flagged, seq, now, taken)
