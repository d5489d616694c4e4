"""Proctor actions pushed to the candidate's page within about a second (issue 18.6).

The page holds one bounded long poll (`wait`): it names the newest proctor event
it has seen (its marker) and gets an answer at once if the attempt has a newer
one, or after PUSH_WAIT_SECONDS otherwise. The requests do not each poll the
database: one watcher thread per process reads, once a second and only while
someone waits, the proctor events written since a little before the last ones
it saw (`attempt_event` by primary key: a constant cost whatever the number of
waiting candidates), and wakes the requests of the attempts that changed.

Limits: each waiting request holds a server thread (gunicorn gthread), so a
process lets at most PUSH_MAX_WAITERS wait at once; the others are told to come
back later and the page keeps its 30 s clock resync (docs/deploy.md). The push
server (api/push_server.py) waits in coroutines instead: the same watcher wakes
them through the event loop (`LoopWake`).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask
from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.engine import Engine

from certexam import db
from certexam.models import Attempt, AttemptEvent
from certexam.services.attempts.autosave_sql import Owner, owner_ids

log = logging.getLogger(__name__)

# The events a proctor writes (services/attempts/proctoring.py) and the page must follow.
PROCTOR_KINDS = ("pause", "resume", "time_added", "proctor_end")
# The wait is long because nearly every poll ends in "nothing new" and costs a request's CPU (BENCHMARKS.md,
# session 9): 50 s shortened by up to a fifth (wait_seconds) averages 45 s, against nginx's
# proxy_read_timeout of 60 s in docs/deploy.md. The page's 30 s clock resync does not depend on it.
DEFAULTS = {"PUSH_WAIT_SECONDS": 50.0, "PUSH_MAX_WAITERS": 16, "PUSH_INTERVAL_SECONDS": 1.0}
WAIT_JITTER = 0.2
RETRY_SECONDS = 30  # a refused wait (too many waiting): come back then; the 30 s resync covers the gap
# An event id can be committed after a higher one was read (PostgreSQL sequences, SQLite's writers do
# not interleave): each scan reads again from the highest id seen this long ago.
LOOKBACK_SECONDS = 5.0
FIRST_LOOKBACK_IDS = 1_000  # the first scan of a watcher, which has no history yet
IDLE_EXIT_SECONDS = 30.0  # a watcher with nobody waiting this long stops (it starts again on demand)
# A WSGI environ key only an in-process caller can set (HTTP headers arrive as HTTP_*): the push server
# (api/push_server.py) asks the Flask route for an answer at once and does any waiting itself.
NO_WAIT = "certexam.push.no_wait"

_E = AttemptEvent.__table__
_A = Attempt.__table__


def setting(app: Flask, key: str) -> float:
    """A push setting: the app's config, else CERTEXAM_<KEY> in the environment, else the default."""
    value = app.config.get(key)
    if value is None:
        value = os.environ.get(f"CERTEXAM_{key}")
    return float(value) if value is not None else DEFAULTS[key]


@dataclass(frozen=True)
class Waited:
    marker: int  # the newest proctor event id of the attempt the answer reflects
    changed: bool  # the attempt has proctor events newer than the caller's marker
    kinds: tuple[str, ...]  # those events' kinds, oldest first (empty if unchanged)
    added_minutes: int  # minutes added by those events
    busy: bool  # refused to wait (too many waiting in this process): retry after RETRY_SECONDS


class Wake(Protocol):
    """What a waiter is woken through: a threading.Event (a gunicorn thread) or a LoopWake."""

    def set(self) -> None: ...


class LoopWake:
    """Wakes a coroutine's asyncio.Event from the watcher's thread (the event loop is not thread-safe)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop, self.event = loop, asyncio.Event()

    def set(self) -> None:
        self.loop.call_soon_threadsafe(self.event.set)


class Watcher:
    """One per process and database: wakes the waiting requests of attempts with new proctor events."""

    def __init__(self, engine: Engine, interval: float) -> None:
        self.engine, self.interval = engine, interval
        self.lock = threading.Lock()
        self.latest: dict[int, int] = {}  # attempt id -> newest proctor event id seen (attempts waited on)
        self.waiting: dict[int, list[Wake]] = {}
        self.count = 0
        self.thread: threading.Thread | None = None
        self.history: deque[tuple[float, int]] = deque()  # (monotonic time, highest event id then)
        self.scans = 0

    def enter(self, attempt_id: int, limit: int, marker: int = 0, wake: Wake | None = None) -> Wake | None:
        """Register a waiter that has seen the attempt's events up to `marker` (None if `limit` already
        wait here), woken through `wake` (a new threading.Event by default); starts the thread if it is
        not running."""
        with self.lock:
            if self.count >= limit:
                return None
            self.count += 1
            woken: Wake = threading.Event() if wake is None else wake
            # Not woken by the events the caller has (the scans look back over the last few seconds'
            # events, which a caller's marker often includes: it would be answered early to no use).
            self.latest[attempt_id] = max(self.latest.get(attempt_id, 0), marker)
            self.waiting.setdefault(attempt_id, []).append(woken)
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="certexam-push", daemon=True)
                self.thread.start()
            return woken

    def leave(self, attempt_id: int, woken: Wake) -> None:
        with self.lock:
            self.count -= 1
            events = self.waiting.get(attempt_id, [])
            if woken in events:
                events.remove(woken)
            if not events:
                self.waiting.pop(attempt_id, None)
                self.latest.pop(attempt_id, None)

    def seen(self, attempt_id: int) -> int:
        with self.lock:
            return self.latest.get(attempt_id, 0)

    def _run(self) -> None:
        idle_since: float | None = None
        while True:
            with self.lock:
                if self.count:
                    idle_since = None
                elif idle_since is None:
                    idle_since = time.monotonic()
                elif time.monotonic() - idle_since > IDLE_EXIT_SECONDS:
                    self.thread = None
                    self.history.clear()  # a new thread starts with a fresh look back
                    return
            if self.count:
                try:
                    self.scan()
                except Exception:  # a database hiccup must not end the watcher: the next tick tries again
                    log.exception("push watcher scan failed")
            time.sleep(self.interval)

    def scan(self) -> None:
        """Read the proctor events since the look-back point; wake the waiters of attempts that changed."""
        with self.engine.connect() as conn:
            if not self.history:
                top = conn.execute(select(func.max(_E.c.id))).scalar() or 0
                self.history.append((time.monotonic() - LOOKBACK_SECONDS, max(top - FIRST_LOOKBACK_IDS, 0)))
            floor = self.history[0][1]
            rows = conn.execute(select(_E.c.attempt_id, func.max(_E.c.id))
                                .where(_E.c.id > floor, _E.c.kind.in_(PROCTOR_KINDS))
                                .group_by(_E.c.attempt_id)).all()
            top = conn.execute(select(func.max(_E.c.id)).where(_E.c.id > floor)).scalar() or floor
        now = time.monotonic()
        self.history.append((now, top))
        while len(self.history) > 1 and self.history[1][0] <= now - LOOKBACK_SECONDS:
            self.history.popleft()
        self.scans += 1
        with self.lock:
            for attempt_id, newest in rows:
                if attempt_id in self.waiting and newest > self.latest.get(attempt_id, 0):
                    self.latest[attempt_id] = newest
                    for woken in self.waiting[attempt_id]:
                        woken.set()


_watchers_lock = threading.Lock()


def watcher(app: Flask) -> Watcher:
    """This process's watcher for the app's database, created on first use (after gunicorn's fork)."""
    found = app.extensions.get("certexam.push")
    if found is None:
        with _watchers_lock:
            found = app.extensions.get("certexam.push")
            if found is None:
                found = app.extensions["certexam.push"] = Watcher(
                    app.extensions["certexam.engine"], setting(app, "PUSH_INTERVAL_SECONDS"))
    return found


Events = list[tuple[int, str, Any]]  # (id, kind, detail)


@functools.cache
def _statements(by_token: bool) -> tuple[Select[Any], Select[Any]]:
    """The poll's two reads, built once per process (building a statement cost as much as running it):
    the attempt's newest proctor event id if the attempt is the owner's (one row, else none), and the
    attempt's proctor events after a marker. Parameters: p_aid, p_marker and Owner.params()."""
    aid = bindparam("p_aid", type_=Integer)
    newest = (select(func.coalesce(func.max(_E.c.id), 0))
              .where(_E.c.attempt_id == _A.c.id, _E.c.kind.in_(PROCTOR_KINDS)).scalar_subquery())
    top = select(newest).where(_A.c.id == aid, _A.c.user_id.in_(owner_ids(by_token)))
    events = (select(_E.c.id, _E.c.kind, _E.c.detail)
              .where(_E.c.attempt_id == aid, _E.c.kind.in_(PROCTOR_KINDS),
                     _E.c.id > bindparam("p_marker", type_=Integer))
              .order_by(_E.c.id))
    return top, events


def _events_since(owner: Owner, attempt_id: int, marker: int) -> tuple[int, Events] | None:
    return events_since(db.engine(), owner, attempt_id, marker)


def events_since(engine: Engine, owner: Owner, attempt_id: int, marker: int) -> tuple[int, Events] | None:
    """The attempt's newest proctor event id and its proctor events after `marker`, or None if the
    attempt is not the owner's (or the owner no active candidate). One short connection, so that none
    is held while waiting; one statement when nothing is newer than `marker`, the usual answer."""
    top_st, events_st = _statements(owner.by_token)
    with db.reading(engine) as conn:  # PostgreSQL: no BEGIN and ROLLBACK around it
        top = conn.execute(top_st, {"p_aid": attempt_id, **owner.params()}).scalar()
        if top is None:
            return None
        rows = [] if top <= marker else conn.execute(events_st, {"p_aid": attempt_id, "p_marker": marker}).all()
    return int(top), [(r[0], r[1], r[2]) for r in rows]


def _answer(top: int, events: Events, busy: bool = False) -> Waited:
    added = 0
    for _id, kind, detail in events:
        if kind == "time_added":
            try:
                added += int(json.loads(detail or "{}").get("minutes", 0))
            except (ValueError, TypeError, AttributeError):
                pass
    return Waited(top, bool(events), tuple(k for _i, k, _d in events), added, busy)


def wait_seconds(app: Flask, draw: float) -> float:
    """This poll's bounded wait: PUSH_WAIT_SECONDS shortened by up to WAIT_JITTER of it (`draw` in
    [0, 1)), so that pages which began together (a paper's start) do not keep polling in step."""
    return setting(app, "PUSH_WAIT_SECONDS") * (1.0 - WAIT_JITTER * draw)


def wait(app: Flask, owner: Owner, attempt_id: int, marker: int | None, no_wait: bool = False) -> Waited | None:
    """Wait until the attempt has proctor events newer than `marker`, or the bounded wait ends.

    None if the attempt is not the owner's. Without a marker (the page's first call), or with one
    the attempt has not reached (a client that lost track), the answer is immediate: the attempt's
    newest proctor event id, to name in the next call. Holds no database connection while it waits.
    `no_wait`: answer at once, as if the wait had ended (the push server's calls, NO_WAIT).
    """
    found = _events_since(owner, attempt_id, marker or 0)
    if found is None:
        return None
    top, events = found
    if marker is None or marker > top:
        return _answer(top, [])
    if events:
        return _answer(top, events)
    if no_wait:
        return _answer(top, [])
    w = watcher(app)
    woken = threading.Event()
    if w.enter(attempt_id, int(setting(app, "PUSH_MAX_WAITERS")), marker, woken) is None:
        return _answer(top, [], busy=True)
    try:
        # Seen by the watcher already (it may have scanned between the read above and the registration)?
        if w.seen(attempt_id) <= marker:
            woken.wait(wait_seconds(app, random.random()))
        newer = w.seen(attempt_id) > marker
    finally:
        w.leave(attempt_id, woken)
    if not newer:
        # The wait ended and the watcher saw nothing newer: answer from the first read, without a
        # second one (most polls of an exam day). An event the watcher has not scanned yet is not
        # lost: the answer keeps the caller's marker, so the next poll returns it at once.
        return _answer(top, [])
    found = _events_since(owner, attempt_id, marker)
    return None if found is None else _answer(*found)
