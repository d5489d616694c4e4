"""A planned start in Core statements: the plan's read (one statement) and the writer's turn on a hot
use case's connection (see starting.py).

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

from sqlalchemy import Integer, String, Text, and_, bindparam, exists, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Executable

from certexam import db
from certexam.domain import timing as T
from certexam.models import (
    Attempt,
    AttemptEvent,
    AttemptKind,
    AttemptStatus,
    Registration,
    Sitting,
    SittingPaper,
)
from certexam.services.attempts.autosave_sql import Owner, owner_ids
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


# -- the plan's read: one statement (issue 21: the start minute on PostgreSQL) --

class PaperRow(NamedTuple):
    """A sitting paper as the start reads it (the attributes of models.SittingPaper it uses)."""

    id: int
    code: str
    position: int
    starts_at: datetime
    minutes: int
    fixed_seed: int
    attempt_status: str | None  # this registration's attempt at the paper, if any


class SittingRow(NamedTuple):
    """A sitting as the start reads it (the attributes of models.Sitting it uses)."""

    id: int
    blueprint_spec: str
    assembly_mode: str
    late_entry_minutes: int
    results_released_at: datetime | None
    papers: list[PaperRow]


class RegistrationRow(NamedTuple):
    """A registration as the start reads it (the attributes of models.Registration it uses)."""

    id: int
    user_id: int
    direction: str | None
    extra_minutes: int
    time_multiplier_pct: int
    sitting: SittingRow


_P = SittingPaper.__table__
_ATT = _A.alias("mine")


@functools.cache
def _plan_rows(by_token: bool) -> Executable:
    """The registration (if the owner's), its sitting and every paper of it with this registration's
    attempt at each: one row per paper, one round trip. Five ORM loads did this before (the
    registration, the sitting, its papers, the attempts), a third of a start's CPU (profiled)."""
    return (select(_G.c.id, _G.c.user_id, _G.c.direction, _G.c.extra_minutes, _G.c.time_multiplier_pct,
                   _S.c.id, _S.c.blueprint_spec, _S.c.assembly_mode, _S.c.late_entry_minutes,
                   _S.c.results_released_at,
                   _P.c.id, _P.c.code, _P.c.position, _P.c.starts_at, _P.c.minutes, _P.c.fixed_seed, _ATT.c.status)
            .select_from(_G.join(_S, _S.c.id == _G.c.sitting_id).join(_P, _P.c.sitting_id == _S.c.id)
                         .outerjoin(_ATT, and_(_ATT.c.registration_id == _G.c.id, _ATT.c.paper_code == _P.c.code)))
            .where(_G.c.id == bindparam("p_reg", type_=Integer), _G.c.user_id.in_(owner_ids(by_token)))
            .order_by(_P.c.position))


def read_plan(conn: Connection, owner: Owner, registration_id: int) -> RegistrationRow | None:
    """The owner's registration with its sitting and papers, or None if it is not the owner's."""
    rows = conn.execute(_plan_rows(owner.by_token), {"p_reg": registration_id, **owner.params()}).all()
    if not rows:
        return None
    first = rows[0]
    papers = [PaperRow(r[10], r[11], r[12], r[13], r[14], r[15], r[16]) for r in rows]
    sitting = SittingRow(first[5], first[6], first[7], first[8], first[9], papers)
    return RegistrationRow(first[0], first[1], first[2], first[3], first[4], sitting)
