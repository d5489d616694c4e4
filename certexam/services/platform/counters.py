"""Counters in the database (models.RateCounter): correct across every worker and app server.

Used for sign-in failures (services/accounts/signin.py) and, when no Redis is
configured, for the rate limiter's windows (certexam/limiter_storage.py). Each
change is one upsert in the writer's turn (db.hot_use_case): an attempt to sign
in or to verify writes one small row, which is cheap next to the Argon2 hash or
the signature check it guards.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from certexam import db
from certexam.models.user import RateCounter

_C = RateCounter.__table__
SWEEP_ONE_IN = 200  # a new window sweeps expired rows now and then, so keys of the past do not pile up


@dataclass(frozen=True)
class Count:
    hits: int
    last_at: datetime
    expires_at: datetime


def _insert(dialect: str) -> object:
    return pg_insert(_C) if dialect == "postgresql" else sqlite_insert(_C)


@db.hot_use_case
def hit(key: str, window: timedelta, now: datetime, *, sliding: bool = False, amount: int = 1) -> Count:
    """Add `amount` under `key` and return the count. A fixed window starts at the first hit and ends
    `window` later; a sliding one ends `window` after the latest hit. An expired count starts again."""
    conn = db.connection()
    ins = _insert(conn.dialect.name).values(key=key, hits=amount, last_at=now, expires_at=now + window)  # type: ignore[attr-defined]
    expired = _C.c.expires_at <= bindparam("p_now", now, type_=db.UTCDateTime())
    stmt = ins.on_conflict_do_update(index_elements=[_C.c.key], set_={
        "hits": case((expired, amount), else_=_C.c.hits + amount),
        "last_at": now,
        "expires_at": now + window if sliding else case((expired, now + window), else_=_C.c.expires_at),
    }).returning(_C.c.hits, _C.c.last_at, _C.c.expires_at)
    hits, last_at, expires_at = conn.execute(stmt).one()
    if hits == amount and random.randrange(SWEEP_ONE_IN) == 0:  # noqa: S311 - housekeeping, not security
        conn.execute(delete(_C).where(_C.c.expires_at <= now))
    return Count(hits, last_at, expires_at)


def current(keys: list[str], now: datetime) -> dict[str, Count]:
    """The live counts under `keys` (an expired or missing key is absent)."""
    rows = db.session().execute(select(_C.c.key, _C.c.hits, _C.c.last_at, _C.c.expires_at)
                                .where(_C.c.key.in_(keys), _C.c.expires_at > now))
    return {k: Count(h, last, exp) for k, h, last, exp in rows}


@db.hot_use_case
def clear(keys: list[str]) -> None:
    db.connection().execute(delete(_C).where(_C.c.key.in_(keys)))
