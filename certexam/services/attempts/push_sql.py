"""The push server's one read per poll, on the driver itself (issue 18).

The push server (api/push_server.py) reads, for every poll, the attempt's newest proctor
event id with the caller checked inside the statement (push._statements' first read). Through
SQLAlchemy's Connection.execute that tiny read was about a third of the server's Python CPU
(py-spy, BENCHMARKS.md session 10): the statement's cache lookup, its parameters, the
transaction's begin and reset. Here the same SQL, compiled once per database and kind of owner,
runs on a pooled DBAPI connection in autocommit: one execute and one fetch.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Integer, bindparam, func, literal_column, select
from sqlalchemy.engine import Engine

from certexam.models import Attempt, AttemptEvent
from certexam.services.attempts.autosave_sql import Owner, owner_ids
from certexam.services.attempts.push import PROCTOR_KINDS

_E = AttemptEvent.__table__
_A = Attempt.__table__


@functools.cache
def _compiled(engine: Engine, by_token: bool) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
    """(SQL, the parameters' order if the driver's style is positional, the statement's own values)."""
    # The kinds as literals (they are constants of ours): an expanding IN would be rendered per call.
    kinds: list[Any] = [literal_column(f"'{kind}'") for kind in PROCTOR_KINDS]
    newest = (select(func.coalesce(func.max(_E.c.id), 0))
              .where(_E.c.attempt_id == _A.c.id, _E.c.kind.in_(kinds)).scalar_subquery())
    stmt = select(newest).where(_A.c.id == bindparam("p_aid", type_=Integer), _A.c.user_id.in_(owner_ids(by_token)))
    compiled = stmt.compile(dialect=engine.dialect)
    order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
    own = {k: v for k, v in compiled.params.items() if v is not None}
    return compiled.string, order, own


def newest_if_owner(engine: Engine, owner: Owner, attempt_id: int) -> int | None:
    """The attempt's newest proctor event id (0 if none), or None if the attempt is not the owner's
    (or the owner no active candidate): push._statements' first read, without SQLAlchemy's execution."""
    sql, order, own = _compiled(engine, owner.by_token)
    params = {**own, "p_aid": attempt_id, **owner.params()}
    args: Any = tuple(params[k] for k in order) if order is not None else params
    conn = engine.raw_connection()
    try:
        dbapi = conn.driver_connection
        pg = engine.dialect.name == "postgresql"
        if pg:
            dbapi.autocommit = True  # type: ignore[union-attr]  # no BEGIN and ROLLBACK round trips
        try:
            cur = conn.cursor()
            cur.execute(sql, args)
            row = cur.fetchone()
            cur.close()
        finally:
            if pg:
                dbapi.autocommit = False  # type: ignore[union-attr]  # as the pool hands connections out
    finally:
        conn.close()  # back to the pool
    return None if row is None else int(row[0])
