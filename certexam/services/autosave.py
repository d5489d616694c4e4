"""The exam's hot path: autosave, flags and the clock resync, as few statements as possible.

On an exam day these three calls are nearly every request (issue 4). A save is
one guarded UPDATE of the attempt and one upsert of the slot under the write
lock; the clock resync is a read and writes only to close an attempt whose time
is over. The statements are built once per process with bound parameters, so a
request spends its time in the database, not in building SQL.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Boolean, Integer, String, Text, bindparam, case, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Executable

from certexam import db
from certexam.domain import timing as T
from certexam.errors import Conflict, NotFound, UserError
from certexam.models import Attempt, Response, User
from certexam.services.attempts import _owned_by, _same_device, _writable, close_if_expired

MAX_TEXT_ANSWER = 20_000  # characters in a constructed response

_A = Attempt.__table__
_R = Response.__table__


@dataclass(frozen=True)
class SaveAck:
    slot: str
    seq: int
    result: str  # stored | duplicate | stale
    saved_at: datetime
    deadline_at: datetime


@dataclass(frozen=True)
class _Statements:
    claim_save: Executable  # guarded UPDATE for an answer (also stamps last_saved_at)
    claim_flag: Executable  # the same for a flag
    upsert_answer: Executable
    upsert_flag: Executable  # keeps the stored answer
    stored_seq: Executable
    state: Executable
    slots: Executable


def _claim(stamp: bool) -> Executable:
    """Raise last_seq if the attempt may take a save: owner, device, not submitted or paused, in time.

    Raising last_seq before knowing whether this slot's save is stale is safe: a
    stale or duplicate seq is never above last_seq already.
    """
    seq = bindparam("p_seq", type_=Integer)
    values: dict[str, Any] = {"last_seq": case((_A.c.last_seq < seq, seq), else_=_A.c.last_seq)}
    if stamp:
        values["last_saved_at"] = bindparam("p_now", type_=db.UTCDateTime())
    return (update(_A).where(_A.c.id == bindparam("p_aid", type_=Integer),
                             _A.c.user_id == bindparam("p_uid", type_=Integer),
                             _A.c.status != "submitted", _A.c.paused_at.is_(None),
                             _A.c.holder_token == bindparam("p_dev", type_=String),
                             # deadline >= now - grace  <=>  not T.is_expired(deadline, now)
                             _A.c.deadline_at >= bindparam("p_cutoff", type_=db.UTCDateTime()))
            .values(values).returning(_A.c.form, _A.c.deadline_at))


def _upsert(dialect: str, with_answer: bool) -> Executable:
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    ins = insert_(_R).values(attempt_id=bindparam("p_aid", type_=Integer), slot=bindparam("p_slot", type_=String),
                             answer=bindparam("p_answer", type_=Text), flagged=bindparam("p_flagged", type_=Boolean),
                             seq=bindparam("p_seq", type_=Integer), saved_at=bindparam("p_now", type_=db.UTCDateTime()))
    new = ins.excluded
    changes = {"flagged": new.flagged, "seq": new.seq, "saved_at": new.saved_at}
    if with_answer:
        changes["answer"] = new.answer
    # Only a newer seq replaces what is stored (T.decide_save), decided inside the one statement.
    return ins.on_conflict_do_update(index_elements=["attempt_id", "slot"], set_=changes,
                                     where=_R.c.seq < new.seq).returning(_R.c.id)


@functools.cache
def _statements(dialect: str) -> _Statements:
    aid = bindparam("p_aid", type_=Integer)
    return _Statements(
        claim_save=_claim(stamp=True), claim_flag=_claim(stamp=False),
        upsert_answer=_upsert(dialect, True), upsert_flag=_upsert(dialect, False),
        stored_seq=select(_R.c.seq).where(_R.c.attempt_id == aid, _R.c.slot == bindparam("p_slot", type_=String)),
        state=select(_A.c.id, _A.c.user_id, _A.c.status, _A.c.kind, _A.c.paper_code, _A.c.deadline_at,
                     _A.c.paused_at, _A.c.last_seq, _A.c.holder_token).where(_A.c.id == aid),
        slots=select(_R.c.slot, _R.c.answer, _R.c.flagged).where(_R.c.attempt_id == aid))


def _conn() -> tuple[Connection, _Statements]:
    conn = db.session().connection()  # in a use case: on SQLite this begins with the write lock
    return conn, _statements(conn.dialect.name)


@functools.lru_cache(maxsize=4096)
def _parsed_form(form: str) -> tuple[dict[str, Any], ...]:
    """An attempt's frozen form, parsed once per process (read-only: callers never mutate it)."""
    return tuple(json.loads(form))


def _slot_entry(form: str, slot: str) -> tuple[dict[str, Any], int | None]:
    entries = _parsed_form(form)
    head, _sep, tail = slot.partition(".")
    if not head.isdigit() or not 1 <= int(head) <= len(entries) or len(slot) > 12:
        raise UserError(_("Unknown question."), "slot")
    entry = entries[int(head) - 1]
    if entry["t"] == "item_set":
        if not tail.isdigit() or not 1 <= int(tail) <= len(entry["c"]):
            raise UserError(_("Unknown question."), "slot")
        return entry, int(tail) - 1
    if tail:
        raise UserError(_("Unknown question."), "slot")
    return entry, None


def _check_answer(entry: dict[str, Any], child: int | None, answer: Any) -> None:
    kind = entry["ct"][child] if child is not None else entry["t"]
    keys = entry["c"][child] if child is not None else entry["o"]
    ok = (answer is None
          or (kind == "single_choice" and isinstance(answer, str) and answer in keys)
          or (kind == "multiple_response" and isinstance(answer, list) and len(set(answer)) == len(answer)
              and all(isinstance(a, str) and a in keys for a in answer))
          or (kind == "true_false" and isinstance(answer, bool))
          or (kind == "constructed" and isinstance(answer, str) and len(answer) <= MAX_TEXT_ANSWER))
    if not ok:
        raise UserError(_("This answer does not fit the question."), "answer")


def _check_seq(seq: Any) -> None:
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 < seq < 2**31:
        raise UserError(_("The save has no valid sequence number."), "seq")


def _take(user_id: int, attempt_id: int, device: str, seq: int, now: datetime, flag_only: bool) -> tuple[str, datetime]:
    """Claim the attempt for this save (form, deadline), or raise why it cannot take one."""
    conn, st = _conn()
    params = {"p_aid": attempt_id, "p_uid": user_id, "p_dev": device, "p_seq": seq, "p_now": now,
              "p_cutoff": now - T.SAVE_GRACE}
    stmt = st.claim_flag if flag_only else st.claim_save
    row = conn.execute(stmt, params).first()
    if row is None:  # only now load the attempt, to say why: closed, paused, another device or not yours
        sess = db.session()
        _writable(sess, _owned_by(sess, user_id, attempt_id), device)
        row = conn.execute(stmt, params).first()  # it changed between the two reads; the row is locked now
        if row is None:
            raise Conflict(_("The exam changed while saving. Try again."))
    return row[0], row[1]


def _store(attempt_id: int, slot: str, seq: int, now: datetime, flagged: bool, answer: str | None,
           flag_only: bool) -> str:
    conn, st = _conn()
    params = {"p_aid": attempt_id, "p_slot": slot, "p_answer": answer, "p_flagged": flagged, "p_seq": seq,
              "p_now": now}
    if conn.execute(st.upsert_flag if flag_only else st.upsert_answer, params).first() is not None:
        return "stored"
    return T.decide_save(seq, conn.execute(st.stored_seq, params).scalar()).reason


def save(user: User, attempt_id: int, device: str, slot: str, answer: Any, flagged: bool, seq: int) -> SaveAck:
    """Store one slot's answer durably before acknowledging; stale or duplicate saves change nothing."""
    return _save(user.id, attempt_id, device, slot, answer, flagged, seq)  # the id read before the use case


@db.core_use_case
def _save(user_id: int, attempt_id: int, device: str, slot: str, answer: Any, flagged: bool, seq: int) -> SaveAck:
    _check_seq(seq)
    now = db.utcnow()
    form, deadline_at = _take(user_id, attempt_id, device, seq, now, flag_only=False)
    entry, child = _slot_entry(form, slot)
    _check_answer(entry, child, answer)  # an error rolls the claim back with the rest
    value = json.dumps(answer, ensure_ascii=False) if answer is not None else None
    return SaveAck(slot, seq, _store(attempt_id, slot, seq, now, bool(flagged), value, False), now, deadline_at)


def set_flag(user: User, attempt_id: int, device: str, slot: str, flagged: bool, seq: int) -> SaveAck:
    """Flag or unflag a question for review, keeping its answer."""
    return _set_flag(user.id, attempt_id, device, slot, flagged, seq)


@db.core_use_case
def _set_flag(user_id: int, attempt_id: int, device: str, slot: str, flagged: bool, seq: int) -> SaveAck:
    _check_seq(seq)
    now = db.utcnow()
    form, deadline_at = _take(user_id, attempt_id, device, seq, now, flag_only=True)
    _slot_entry(form, slot)
    return SaveAck(slot, seq, _store(attempt_id, slot, seq, now, bool(flagged), None, True), now, deadline_at)


@dataclass(frozen=True)
class AttemptState:
    id: int
    status: str
    kind: str
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
    user_id = user.id
    conn, st = _conn()
    row = conn.execute(st.state, {"p_aid": attempt_id}).first()
    if row is None or row.user_id != user_id:
        raise NotFound(_("This attempt does not exist."))
    now = db.utcnow()
    if row.status != "submitted" and row.paused_at is None and T.is_expired(row.deadline_at, now):
        _close_one(user_id, attempt_id)  # re-checked under the lock
        conn, st = _conn()
        row = conn.execute(st.state, {"p_aid": attempt_id}).first()
    slots = conn.execute(st.slots, {"p_aid": attempt_id}).all()
    return AttemptState(
        row.id, row.status, row.kind, row.paper_code, row.deadline_at,
        int(T.remaining(row.deadline_at, now, row.paused_at).total_seconds()), row.paused_at is not None,
        row.last_seq, sorted((s.slot for s in slots if s.answer not in (None, '""', "[]")), key=_slot_key),
        sorted((s.slot for s in slots if s.flagged), key=_slot_key),
        None if device is None else _same_device(device, row.holder_token))


def _slot_key(slot: str) -> tuple[int, ...]:
    return tuple(int(p) for p in slot.split("."))
