"""Where the rate limiter counts (issue 19.3).

In-memory counters were per gunicorn worker: 60 parallel sign-ins got 33 through
a limit of 20 a minute on two workers. Now the counts are shared whatever is
deployed:

- a Redis URL in RATELIMIT_STORAGE_URI, or else Redis as the worker's queue
  (WORKER_BACKEND), keeps them in Redis, shared by every app server;
- otherwise (the embedded default: one machine, SQLite or PostgreSQL) they live in
  the application's database, table rate_counter (services/platform/counters.py),
  which every worker and app server shares. A limited request (sign-in,
  registration, verification; never the exam's API) writes one small row.

`memory://` can still be chosen explicitly, for a single process only.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import has_app_context
from limits.storage import Storage
from sqlalchemy.exc import SQLAlchemyError

SCHEME = "certexam-db"
MAX_KEY = 150  # rate_counter.key is 160 wide; longer limiter keys are hashed


def storage_uri(config: dict[str, Any]) -> str:
    """The limiter's storage: the one configured, else the worker's Redis, else the database."""
    explicit = config.get("RATELIMIT_STORAGE_URI")
    if explicit:
        return str(explicit)
    worker = str(config.get("WORKER_BACKEND") or "")
    if worker.startswith(("redis://", "rediss://", "unix://")):
        return worker
    return f"{SCHEME}://"


def _key(key: str) -> str:
    return key if len(key) <= MAX_KEY else "lim:" + hashlib.sha256(key.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)  # wall time, not the CLOCK setting: limits are about real requests


class DatabaseStorage(Storage):
    """limits' fixed-window storage on the rate_counter table (needs an app context, as in a request)."""

    STORAGE_SCHEME = [SCHEME]

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        from certexam.services.platform import counters

        return counters.hit(_key(key), timedelta(seconds=expiry), _now(), amount=amount).hits

    def get(self, key: str) -> int:
        from certexam.services.platform import counters

        found = counters.current([_key(key)], _now()).get(_key(key))
        return found.hits if found else 0

    def get_expiry(self, key: str) -> float:
        from certexam.services.platform import counters

        found = counters.current([_key(key)], _now()).get(_key(key))
        return (found.expires_at if found else _now()).timestamp()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        if not has_app_context():
            return None
        from sqlalchemy import delete

        from certexam import db
        from certexam.models.user import RateCounter

        with db.engine().begin() as conn:
            return int(conn.execute(delete(RateCounter).where(~RateCounter.key.like("signin:%"))).rowcount or 0)

    def clear(self, key: str) -> None:
        from certexam.services.platform import counters

        counters.clear([_key(key)])
