"""Engine, one session per request, and the one place where use cases commit.

SQLite runs in WAL mode with foreign keys on. Its transactions are begun by us
(not by the driver) so that a use case that writes can take the write lock up
front with BEGIN IMMEDIATE: otherwise two deferred transactions that both read
and then write fail with SQLITE_BUSY instead of waiting their turn.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from flask import Flask, current_app, g
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Connection, Dialect, RootTransaction
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from certexam import writers

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, whatever the database stores."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}


_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("certexam_write_intent", default=False)
# Whether a transaction begun now takes SQLite's write lock (BEGIN IMMEDIATE): through an ORM use
# case, but in a hot use case only while its own connection begins (a read it triggers, such as the
# user loaded to translate an error message, must not queue behind the lock its own request holds).
_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("certexam_begin_immediate", default=False)
# The Core connection of a running hot_use_case (None outside one): see `connection`.
_hot: contextvars.ContextVar[Connection | None] = contextvars.ContextVar("certexam_hot_connection", default=None)


SQLITE_SYNCHRONOUS = "FULL"
"""SQLite's durability (issue 19.12). In WAL mode NORMAL survives a killed process but may lose the
last commits in a power cut or a kernel panic (the WAL is not synced at each commit); FULL syncs the
WAL at every commit, so an acknowledged answer survives those too. Measured with both the app and the
bare durable write on FULL (BENCHMARKS.md, issue 19): autosave stays above the 70 % aim."""


def make_engine(url: str, *, sqlite_synchronous: str = SQLITE_SYNCHRONOUS, **kwargs: Any) -> Engine:
    """Create an engine with the settings this project relies on."""
    if url.startswith("sqlite"):
        if sqlite_synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError(f"SQLITE_SYNCHRONOUS must be FULL, EXTRA or NORMAL, not {sqlite_synchronous!r}")
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        _configure_sqlite(engine, sqlite_synchronous.upper())
        return engine
    # No pool_pre_ping: it cost a round trip on every request. A connection found dead by a real
    # statement (a database restart) fails that request with 503 (web.py) and SQLAlchemy then
    # discards every pooled connection opened before it, so the next request gets a fresh one;
    # clients and the exam page retry. pool_recycle retires connections a proxy may have dropped.
    return create_engine(url, pool_recycle=1800, **kwargs)


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA synchronous={synchronous}")  # one of three words, checked in make_engine
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"],
                         sqlite_synchronous=str(app.config.get("SQLITE_SYNCHRONOUS") or SQLITE_SYNCHRONOUS))
    app.extensions["certexam.engine"] = engine
    queue = app.extensions["certexam.writers"] = writers.for_url(app.config["DATABASE_URL"])
    if queue is not None:
        # The writer queue checkpoints the WAL after a turn, never inside one (certexam.writers).
        event.listen(engine, "connect", _no_autocheckpoint)
    app.extensions["certexam.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def _no_autocheckpoint(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")


def engine() -> Engine:
    return current_app.extensions["certexam.engine"]  # type: ignore[no-any-return]


def session() -> Session:
    """The session of this request (or CLI command), created on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["certexam.sessionmaker"]()
    return g.db_session  # type: ignore[no-any-return]


def rollback_request() -> None:
    """End the request's transaction, if any (an error page must not reuse a failed one)."""
    sess = g.get("db_session")
    if sess is not None:
        sess.rollback()


def _close_session(_exc: BaseException | None) -> None:
    sess = g.pop("db_session", None)
    if sess is not None:
        sess.close()  # rolls back anything a failed request left uncommitted


P = ParamSpec("P")
R = TypeVar("R")


def use_case(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a service function as one transaction: commit on success, roll back on error.

    Any read-only transaction the request had open (for example loading the
    signed-in user) is ended first, so the use case starts a fresh one that,
    on SQLite, holds the write lock from its first statement.
    """
    return _transactional(fn, always_fresh=True)


def core_use_case(fn: Callable[P, R]) -> Callable[P, R]:
    """A use case that reads nothing through the ORM before it writes (the autosave path).

    On PostgreSQL it carries on in the request's read transaction instead of
    rolling it back first: at READ COMMITTED every statement sees what is
    committed anyway, and one round trip fewer counts on the hottest endpoint.
    Loaded objects are expired all the same, as a rollback would.
    SQLite still ends the read so that BEGIN IMMEDIATE takes the write lock.
    """
    return _transactional(fn, always_fresh=False)


def hot_use_case(fn: Callable[P, R]) -> Callable[P, R]:
    """A use case on a Core connection of its own, for the exam's hottest writes (autosave, flags).

    The connection is checked out of the pool before the writer's turn, so on
    SQLite the turn (one writer at a time on the whole machine) covers only
    BEGIN IMMEDIATE, the statements and COMMIT: the ORM session's set-up and
    commit bookkeeping ran inside it, and every extra step there is a moment
    in which the thread can lose the GIL while every other writer waits.
    The function reaches the connection through `connection()` and must not
    use the ORM session. Nested in another use case, it joins that one.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if _write_intent.get():
            return fn(*args, **kwargs)
        queue = current_app.extensions.get("certexam.writers")
        with engine().connect() as conn:
            hot = _hot.set(conn)
            try:
                with queue.turn() if queue is not None else contextlib.nullcontext():
                    token = _write_intent.set(True)  # nested use cases join this one
                    try:
                        with _begin_immediate(conn):  # commit on success, roll back on error
                            return fn(*args, **kwargs)
                    finally:
                        _write_intent.reset(token)
            finally:
                _hot.reset(hot)

    return wrapper


def _begin_immediate(conn: Connection) -> RootTransaction:
    flag = _immediate.set(True)
    try:
        return conn.begin()
    finally:
        _immediate.reset(flag)


def connection() -> Connection:
    """The connection a Core use case works on: a hot use case's own, else the request session's
    (which, in a use case, has begun its transaction: on SQLite with the write lock)."""
    return _hot.get() or session().connection()


@contextlib.contextmanager
def reading(on: Engine | None = None) -> Iterator[Connection]:
    """A connection for a hot read whose statements need no common snapshot (issue 21).

    On PostgreSQL a read in a transaction pays two round trips besides its statements, BEGIN
    before and ROLLBACK after, each a wake-up of the server process: a clock resync was three
    round trips for one statement's work. Here the connection is a pooled one in autocommit, so
    only the statements go. SQLite's BEGIN and ROLLBACK cost no round trip: there the request's
    session connection is used as before (`on`: an engine outside a request, the push server's).
    """
    eng = on if on is not None else engine()
    if eng.dialect.name != "postgresql":
        if on is not None:
            with eng.connect() as conn:
                yield conn
        else:
            yield connection()
        return
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        yield conn


def _transactional(fn: Callable[P, R], always_fresh: bool) -> Callable[P, R]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        sess = session()
        if _write_intent.get():  # nested use case: the outer one commits
            if _hot.get() is not None:  # its session would wait for the lock its own request holds
                raise RuntimeError("an ORM use case cannot run inside a hot use case")
            return fn(*args, **kwargs)
        if always_fresh or sess.get_bind().dialect.name == "sqlite":
            sess.rollback()
        else:
            sess.expire_all()  # what the use case writes in SQL must not be hidden by loaded objects
        queue = current_app.extensions.get("certexam.writers")
        with queue.turn() if queue is not None else contextlib.nullcontext():
            token, flag = _write_intent.set(True), _immediate.set(True)
            try:
                result = fn(*args, **kwargs)
                sess.commit()
                return result
            except BaseException:
                sess.rollback()
                raise
            finally:
                _immediate.reset(flag)
                _write_intent.reset(token)

    return wrapper


def utcnow() -> datetime:
    """The clock, read in the shell only (domain code takes `now` as an argument)."""
    return datetime.now(UTC)
