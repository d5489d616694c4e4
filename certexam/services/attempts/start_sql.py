"""A planned start's writer turn: Core statements on a hot use case's connection (see attempts.py).

Everything a start can decide beforehand (the owner, the paper, the form and
its JSON) is decided in a read transaction; the turn then holds SQLite's one
writer lock (PostgreSQL: the audit head row) for four statements only: the
attempt (re-checked inside its INSERT), its 45 attempt_item rows, its start
event, and the audit entry. Through the ORM the same turn took 4.7 ms alone on
this machine, most of it the unit of work's Python inside the lock (issue 4:
the start minute of an exam day).
"""

from __future__ import annotations

import functools
import json
import secrets
from datetime import datetime, timedelta
from fractions import Fraction
from typing import NamedTuple

from sqlalchemy import Integer, String, Text, bindparam, exists, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql import Executable

from certexam import db
from certexam.domain import timing as T
from certexam.models import Attempt, AttemptEvent, AttemptKind, AttemptStatus, Registration, Sitting
from certexam.services.attempts.forms import Drawn, insert_items
from certexam.services.platform import audit, clock

_A = Attempt.__table__
_G = Registration.__table__
_S = Sitting.__table__


class Planned(NamedTuple):
    """A new attempt, checked and drawn in a read transaction, waiting for the writer's turn."""

    user_id: int
    registration_id: int
    sitting_paper_id: int
    paper_code: str
    minutes: int
    extra_minutes: int
    time_multiplier_pct: int
    drawn: Drawn
    form: str  # the attempt's frozen form as stored (attempt_forms.form_json), built before the turn
    entry_closes_at: datetime  # the paper's late-entry window ends: re-checked in the turn


class Inserted(NamedTuple):
    attempt_id: int
    device: str


_COLUMNS = ["user_id", "registration_id", "sitting_paper_id", "paper_code", "kind", "status", "seed", "form",
            "minutes", "extra_minutes", "time_multiplier_pct", "added_seconds", "paused_seconds", "started_at",
            "deadline_at", "holder_token", "last_seq", "language"]


@functools.cache
def _insert_attempt(dialect: str) -> Executable:
    """INSERT INTO attempt ... SELECT ... FROM registration WHERE <as planned> ON CONFLICT DO NOTHING
    RETURNING id: no row back if the registration changed (its owner or accommodations), its sitting's
    results were released meanwhile (issue 18: nothing starts after release), or an attempt at this
    paper exists (the unique constraint, also against a start racing on another connection)."""
    when = db.UTCDateTime()
    row = select(
        _G.c.user_id, _G.c.id, bindparam("p_spid", type_=Integer), bindparam("p_code", type_=String),
        literal(AttemptKind.EXAM.value), literal(AttemptStatus.IN_PROGRESS.value), bindparam("p_seed", type_=Integer), bindparam("p_form", type_=Text),
        bindparam("p_minutes", type_=Integer), _G.c.extra_minutes, _G.c.time_multiplier_pct, literal(0), literal(0),
        bindparam("p_now", type_=when), bindparam("p_deadline", type_=when), bindparam("p_token", type_=String),
        literal(0), bindparam("p_lang", type_=String),
    ).where(_G.c.id == bindparam("p_reg", type_=Integer), _G.c.user_id == bindparam("p_uid", type_=Integer),
            _G.c.extra_minutes == bindparam("p_extra", type_=Integer),
            _G.c.time_multiplier_pct == bindparam("p_mult", type_=Integer),
            ~exists().where(_S.c.id == _G.c.sitting_id, _S.c.results_released_at.is_not(None)))
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    return (insert_(Attempt).from_select(_COLUMNS, row)
            .on_conflict_do_nothing(index_elements=["registration_id", "paper_code"]).returning(_A.c.id))


_INSERT_EVENT = insert(AttemptEvent)


@db.hot_use_case
def insert_planned(plan: Planned, language: str) -> Inserted | None:
    """The writer's turn of a planned start; None (nothing written) if the plan no longer holds."""
    conn = db.connection()
    now = clock.now()
    if now > plan.entry_closes_at:  # the window closed since the plan: the full start says so
        return None
    acc = T.Accommodation(plan.extra_minutes, Fraction(plan.time_multiplier_pct, 100))
    device = secrets.token_urlsafe(24)  # this device holds the new attempt
    attempt_id = conn.execute(_insert_attempt(conn.dialect.name), {
        "p_reg": plan.registration_id, "p_uid": plan.user_id, "p_extra": plan.extra_minutes,
        "p_mult": plan.time_multiplier_pct, "p_spid": plan.sitting_paper_id, "p_code": plan.paper_code,
        "p_seed": plan.drawn.seed, "p_form": plan.form, "p_minutes": plan.minutes, "p_now": now,
        "p_deadline": _deadline(now, plan.minutes, acc), "p_token": device, "p_lang": language}).scalar()
    if attempt_id is None:
        return None
    insert_items(conn, attempt_id, plan.drawn)
    conn.execute(_INSERT_EVENT, {"attempt_id": attempt_id, "at": now, "kind": "start", "actor_id": None,
                                 "detail": json.dumps({"seed": plan.drawn.seed, "items": len(plan.drawn.entries)})})
    # last: on PostgreSQL the head row stays locked until COMMIT, and every start and submit takes it
    audit.append(conn, "attempt.start", "attempt", attempt_id, actor_id=plan.user_id,
                 after={"registration": plan.registration_id, "paper": plan.paper_code, "seed": plan.drawn.seed})
    return Inserted(attempt_id, device)


def _deadline(now: datetime, minutes: int, acc: T.Accommodation) -> datetime:
    return T.deadline(now, minutes, acc, timedelta(0), timedelta(0))
