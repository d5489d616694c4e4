"""SQLite writers take turns through a lock file instead of SQLite's busy handler.

SQLite lets one writer in at a time. A writer that finds the lock taken sleeps
in SQLite's busy handler in growing steps (up to 100 ms) and tries again, so
under an exam day's bursts most of a waiter's time is oversleeping after the
lock came free: at 2,800 candidates the start minute queued for seconds at a
third of the CPU. Here every write use case of every worker process on the
machine first takes a thread lock (threads of one process queue on it and wake
at once) and then an exclusive flock on a file beside the database (processes
queue in the kernel). BEGIN IMMEDIATE then rarely waits. The kernel drops the
flock of a process that dies, so a killed worker never leaves the queue stuck.

The queue also moves SQLite's WAL checkpoint out of the turn. By default the
commit that fills the WAL past 1,000 pages copies them into the database and
syncs it, in its own turn: measured here, 42 of 20,000 small commits took 7.6-10
ms instead of 0.02 ms, and every other writer waited. The app's connections turn
that off (db.py), and every CHECKPOINT_EVERY turns a process runs a PASSIVE
checkpoint after releasing its turn: it takes no write lock, so writers go on.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_log = logging.getLogger(__name__)

WAIT_SECONDS = 30.0  # as long as SQLite's own busy timeout (certexam.db)
CHECKPOINT_EVERY = 200  # turns of one process between its checkpoints (each process counts its own)


class WriterQueue:
    """The turn of one writer at a time, across the threads and processes using one SQLite file."""

    def __init__(self, database_path: str, checkpoint_every: int = CHECKPOINT_EVERY) -> None:
        self.database = database_path
        self.path = database_path + "-writers.lock"
        self.checkpoint_every = checkpoint_every
        self._thread = threading.Lock()
        self._pid = 0
        self._fd: int | None = None
        self._checkpointer: sqlite3.Connection | None = None
        self._turns = 0

    def _this_process(self) -> None:
        # The lock file and the checkpoint connection are per process: after a fork, a shared open
        # file would share the lock as well, and an SQLite connection must not cross a fork.
        if self._pid != os.getpid():
            self._pid, self._fd, self._checkpointer, self._turns = os.getpid(), None, None, 0

    def _file(self) -> int:
        self._this_process()
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd

    @contextmanager
    def turn(self) -> Iterator[None]:
        if not self._thread.acquire(timeout=WAIT_SECONDS):
            raise TimeoutError("the database stayed busy: no turn to write")
        try:
            fd = self._file()
            deadline = time.monotonic() + WAIT_SECONDS
            pause = 0.0002
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    # Another process writes: short, bounded pauses (a blocking flock cannot time out).
                    if time.monotonic() > deadline:
                        raise TimeoutError("the database stayed busy: no turn to write") from None
                    time.sleep(pause)
                    pause = min(pause * 2, 0.002)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
            self._turns += 1
            due = self._turns % self.checkpoint_every == 0
        finally:
            self._thread.release()
        if due:
            try:
                self.checkpoint()
            except sqlite3.Error:
                # The work of this turn is committed; a checkpoint that failed is retried at the
                # next one due (and SQLite checkpoints when the last connection closes).
                _log.warning("WAL checkpoint of %s failed", self.database, exc_info=True)

    def checkpoint(self) -> tuple[int, int, int]:
        """Copy the WAL into the database without the write lock (SQLite's PASSIVE mode: it waits
        for no reader or writer); (busy, frames in the WAL, frames copied), as SQLite reports them."""
        self._this_process()
        if self._checkpointer is None:  # the queue's own: this thread may hold none of the pool's
            self._checkpointer = sqlite3.connect(self.database, timeout=0, isolation_level=None,
                                                 check_same_thread=False)
        row = self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(row[0]), int(row[1]), int(row[2])


def for_url(url: str) -> WriterQueue | None:
    """The queue for an SQLite file URL; None for other databases and in-memory SQLite."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[1] if "///" in url else ""
    path = path.split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return WriterQueue(os.path.abspath(path))
