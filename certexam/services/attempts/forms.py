"""A new attempt's form: drawn from the bank for a seed and frozen with the attempt.

The draw is a read (it may run before SQLite's writer's turn); `new_attempt`
inserts the attempt, one `attempt_item` row per item shown (exposure is counted
from them) and its start event, inside the caller's transaction.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
from datetime import timedelta
from fractions import Fraction
from typing import Any, NamedTuple

from flask_babel import gettext as _
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from certexam.domain import timing as T
from certexam.domain.assembly import AssemblyError, FormEntry, assemble_form
from certexam.domain.blueprint import Blueprint, Paper
from certexam.errors import UserError
from certexam.models import Attempt, AttemptEvent, AttemptItem, AttemptKind, AttemptStatus, Registration
from certexam.services.bank import item_cache
from certexam.services.platform import clock

log = logging.getLogger(__name__)


def event(sess: Session, attempt: Attempt, kind: str, detail: dict[str, Any] | None = None,
          actor_id: int | None = None) -> None:
    """Log what happened to an attempt (start, claim, submit, focus lost, ...), in the caller's transaction."""
    sess.add(AttemptEvent(attempt_id=attempt.id, at=clock.now(), kind=kind,
                          detail=json.dumps(detail, ensure_ascii=False) if detail else None, actor_id=actor_id))


class Drawn(NamedTuple):
    """A form drawn for a seed: its entries, what they were drawn from (per version its parsed
    item, bank item id and content hash), and how many items of a choose-k-of-n section may be
    answered (section index -> k); `form`: the frozen form when it was stored ahead (issue 21)."""

    seed: int
    entries: list[FormEntry]
    source: item_cache.Drawable
    limits: dict[int, int]
    form: str | None = None


def answer_limits(paper: Paper) -> dict[int, int]:
    """Section index -> how many of its items a candidate may answer, for the sections that limit it
    (rules s.2: "the proposals chosen 2 of 5 scenarios")."""
    return {i: s.answer_at_most for i, s in enumerate(paper.sections)
            if s.answer_at_most is not None and s.answer_at_most < s.count}


def form_json(drawn: Drawn) -> str:
    """What the attempt keeps: versions, orders and the types needed to check answers; "g" on an
    item of a choose-k-of-n section is k, so a save can hold the group to it without the blueprint."""
    if drawn.form is not None:  # assembled ahead (services/sittings/pre_assembly.py): kept as it was stored
        return drawn.form
    doc = []
    for e in drawn.entries:
        item = drawn.source.items[e.version_id]
        # "h": the version's content hash, so the paper finds its cached parts without a query.
        doc.append({"v": e.version_id, "h": drawn.source.hash_of[e.version_id], "x": e.external_id, "s": e.section,
                    "t": item.type, "o": list(e.option_order), "c": [list(o) for o in e.child_option_orders],
                    "ct": [c.type for c in item.children]})
        if e.section in drawn.limits:
            doc[-1]["g"] = drawn.limits[e.section]
    return json.dumps(doc, separators=(",", ":"))


def draw(sess: Session, bp: Blueprint, paper: Paper, seed: int, direction: str | None) -> Drawn:
    """Draw the form for `seed` from the bank's approved versions (a read)."""
    modules = {bp.resolve(s, direction) for s in paper.sections}
    try:
        source = item_cache.drawable(sess, modules)
        form = assemble_form(bp, paper, source.pool, seed, direction)
    except AssemblyError as exc:
        raise UserError(_("This paper cannot be assembled from the approved items: %(why)s", why=str(exc))) from exc
    if not form.within:
        # Still handed out: refusing a candidate at the start helps nobody. The sitting page warned
        # before the exam (services/sittings/form_check.py); the seed rebuilds this form for review.
        log.warning("paper %s seed %d: expected score %.2f is outside %.2f +- %.2f",
                    paper.code, seed, form.expected, form.target, form.tolerance)
    return Drawn(seed, form.entries, source, answer_limits(paper))


@functools.lru_cache(maxsize=64)
def _items_sql(rows: int, paramstyle: str) -> str:
    """A form's attempt_item rows as one multi-row INSERT in the driver's own SQL, built once per size.

    One statement, not one per row: SQLite's driver lets go of the GIL around every step, and each
    time the thread holding the writer's turn waited to get it back (up to 5 ms) while every other
    writer waited for the turn (in process: the start's turn p50 2.4 -> 20 ms beside two busy
    threads). Handed to the driver as is: SQLAlchemy's per-execution work over 180 parameters (cache
    key, parameter processing) was half of the start's turn (1 of 2 ms, profiled). No input enters the SQL.
    """
    marks = {"qmark": "?", "format": "%s", "pyformat": "%s"}
    mark = marks[paramstyle]  # KeyError: a driver this project does not use
    row = f"({mark}, {mark}, {mark}, {mark})"
    table = AttemptItem.__tablename__
    values = ", ".join([row] * rows)
    return f"INSERT INTO {table} (attempt_id, position, bank_item_id, version_id) VALUES {values}"  # noqa: S608 - no input in it


def new_attempt(sess: Session, user_id: int, paper_code: str, drawn: Drawn, kind: AttemptKind, minutes: int,
                 language: str, registration: Registration | None = None,
                 sitting_paper_id: int | None = None) -> Attempt:
    now = clock.now()
    extra = registration.extra_minutes if registration else 0
    mult = registration.time_multiplier_pct if registration else 100
    acc = T.Accommodation(extra, Fraction(mult, 100))
    attempt = Attempt(
        user_id=user_id, registration_id=registration.id if registration else None,
        sitting_paper_id=sitting_paper_id, paper_code=paper_code, kind=kind,
        status=AttemptStatus.IN_PROGRESS, seed=drawn.seed, form=form_json(drawn), minutes=minutes,
        extra_minutes=extra, time_multiplier_pct=mult, started_at=now,
        deadline_at=T.deadline(now, minutes, acc, timedelta(0), timedelta(0)),
        holder_token=secrets.token_urlsafe(24), language=language)
    sess.add(attempt)
    sess.flush()
    insert_items(sess.connection(), attempt.id, drawn)
    event(sess, attempt, "start", {"seed": drawn.seed, "items": len(drawn.entries)})
    return attempt


def insert_items(conn: Connection, attempt_id: int, drawn: Drawn) -> None:
    """The form's attempt_item rows, one statement. Exposure is counted from these rows (insert
    only): starts never queue on shared counters."""
    if conn.dialect.name == "postgresql":
        # Two arrays, not 180 parameters: psycopg parses a query of more than 50 parameters again on every
        # call (it caches only smaller ones), a millisecond of each start's CPU (profiled, issue 21).
        versions = [e.version_id for e in drawn.entries]
        conn.exec_driver_sql(_ITEMS_PG, (attempt_id, [drawn.source.item_of[v] for v in versions], versions))
        return
    params: list[int] = []
    for position, e in enumerate(drawn.entries, 1):
        params += (attempt_id, position, drawn.source.item_of[e.version_id], e.version_id)
    conn.exec_driver_sql(_items_sql(len(drawn.entries), conn.dialect.paramstyle), tuple(params))


# Positions are the arrays' order (1, 2, ...), as enumerate(entries, 1) gives them on SQLite.
_ITEMS_PG = (f"INSERT INTO {AttemptItem.__tablename__} (attempt_id, position, bank_item_id, version_id) "  # noqa: S608 - no input in it
             "SELECT %s, o.n, o.b, o.v FROM unnest(%s::integer[], %s::integer[]) WITH ORDINALITY AS o(b, v, n)")
