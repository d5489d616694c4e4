"""The exam's hot path: autosave, flags and the clock resync, as few statements as possible.

On an exam day these three calls are nearly every request (issue 4). A save is
one guarded UPDATE of the attempt and one upsert of the slot under the write
lock, or one statement: always on PostgreSQL, and on SQLite once this device's
first save has read the attempt's form (revision 0010's triggers keep the
attempt's counters). The clock resync is a read and writes only to close an
attempt whose time is over. Who may save is checked inside those
statements (autosave_sql.Owner), so the `try_*` calls load no user: the API
authenticates fully only when one of them is refused, to say why.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.engine import Connection

from certexam import db
from certexam.domain import timing as T
from certexam.errors import Conflict, NotFound, UserError
from certexam.models import AttemptKind, AttemptStatus, User
from certexam.services.attempts.autosave_sql import Owner, Statements, statements
from certexam.services.attempts.lifecycle import _owned_by, _same_device, _writable, close_if_expired
from certexam.services.bank.item_cache import BoundedCache
from certexam.services.platform import clock

MAX_TEXT_ANSWER = 20_000  # characters in a constructed response


class ChoiceLimit(Conflict):
    """An answer beyond what a choose-k-of-n group allows (rules s.2: "the proposals chosen 2 of 5")."""

    code = "choice_limit"


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


def _answered(value: Any) -> bool:
    """Whether an answer (as sent, or stored and decoded) answers its question: blank text, an empty
    selection or none do not (scoring's test: a written answer counts when it has non-blank text)."""
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and value != []


# The JSON (as _answer_value writes it) of text that str.strip() empties: whitespace, escaped or not.
_BLANK_TEXT = re.compile(r'"(?:\s|\\[tnrf]|\\u00(?:0[bB]|1[c-fC-F]))*"')


def _holds_answer(stored: str | None) -> bool:
    """`_answered` of a stored answer, read from its JSON without decoding it: the clock resync lists
    the answered slots (issue 18.2: blank written answers were listed) and decoding each costs 3 us here."""
    return stored is not None and stored != "[]" and _BLANK_TEXT.fullmatch(stored) is None


def _limited(entry: dict[str, Any], child: int | None, answer: Any) -> bool:
    """Whether this save must be held to its choose-k group: an answer to an item of one."""
    return child is None and "g" in entry and _answered(answer)


def _check_group(conn: Connection, st: Statements, attempt_id: int, form: str, slot: str, answer: Any) -> None:
    """Refuse an answer that would answer more of a choose-k-of-n group than k (issue 18.9: only the
    page's script stopped a third proposal). One read, only for an answer to a grouped item; the
    claim before it holds the attempt's row (PostgreSQL) or the write lock (SQLite), so two saves of
    one attempt cannot both pass."""
    entry, child = _slot_entry(form, slot)
    if not _limited(entry, child, answer):
        return
    others = [str(n) for n, e in enumerate(_parsed_form(form), 1)
              if e.get("s") == entry.get("s") and "g" in e and str(n) != slot]
    stored = conn.execute(st.group_answers, {"p_aid": attempt_id, "p_slots": others}).scalars()
    limit = int(entry["g"])
    if sum(1 for raw in stored if raw is not None and _answered(json.loads(raw))) >= limit:
        raise ChoiceLimit(_("Answer at most %(k)d of these %(n)d questions: clear one of your answers first.",
                            k=limit, n=len(others) + 1), "answer")


# (attempt id, device token) -> the attempt's frozen form, for SQLite's one-statement save. A form
# never changes; the device token is part of the key so that a reused id can never match (and the
# statement checks owner, device, status and time itself). Bounded: one entry per attempt held here.
_forms: BoundedCache[tuple[int, str], str] = BoundedCache(10_000)


def _fits(form: str, slot: str, answer: Any) -> bool:
    """Whether the answer fits its slot and needs no group check: a misfit takes the full path,
    which explains it after the claim has checked the caller (a stranger never hears about the body
    first), and an answer to a choose-k group is counted there, after the claim."""
    try:
        entry, child = _slot_entry(form, slot)
        _check_answer(entry, child, answer)
    except UserError:
        return False
    return not _limited(entry, child, answer)


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


def _answer_value(answer: Any) -> str | None:
    return json.dumps(answer, ensure_ascii=False) if answer is not None else None


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
    conn, st = _conn(owner)
    row = conn.execute(st.state, {"p_aid": attempt_id, **owner.params()}).first()
    if row is None:
        return None
    now = clock.now()
    if row.status != AttemptStatus.SUBMITTED and row.paused_at is None and T.is_expired(row.deadline_at, now):
        _close_one(row.user_id, attempt_id)  # re-checked under the lock
        conn, st = _conn(owner)
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
