"""The SQLite writer queue: one writer at a time across threads and processes, never stuck by a dead one."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

from certexam import writers


def _write_turns(db: str, log: str, rounds: int) -> None:
    queue = writers.WriterQueue(db)
    for _ in range(rounds):
        with queue.turn():
            with open(log, "a") as fh:  # noqa: PTH123 - several processes append
                fh.write(f"{os.getpid()} in\n")
                fh.flush()
                time.sleep(0.001)
                fh.write(f"{os.getpid()} out\n")


def test_turns_never_overlap_across_processes_and_threads(tmp_path: Path) -> None:
    db, log = str(tmp_path / "x.sqlite3"), str(tmp_path / "log")
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_write_turns, args=(db, log, 30)) for _ in range(3)]
    for p in procs:
        p.start()
    threads = [threading.Thread(target=_write_turns, args=(db, log, 30)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        p.join()
        assert p.exitcode == 0
    lines = Path(log).read_text().splitlines()
    assert len(lines) == 2 * 30 * 5
    for opened, closed in zip(lines[::2], lines[1::2], strict=True):  # every "in" is followed by its own "out"
        assert opened.endswith(" in") and closed == opened.replace(" in", " out")


def _hold_forever(db: str, ready: str) -> None:
    with writers.WriterQueue(db).turn():
        Path(ready).touch()
        time.sleep(60)


def test_a_killed_writer_frees_its_turn(tmp_path: Path) -> None:
    db, ready = str(tmp_path / "x.sqlite3"), tmp_path / "ready"
    holder = multiprocessing.get_context("fork").Process(target=_hold_forever, args=(db, str(ready)))
    holder.start()
    deadline = time.monotonic() + 10
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ready.exists()
    got = threading.Event()

    def wait_turn() -> None:
        with writers.WriterQueue(db).turn():
            got.set()

    waiter = threading.Thread(target=wait_turn)
    waiter.start()
    assert not got.wait(0.3)  # the holder has it
    os.kill(holder.pid or 0, signal.SIGKILL)
    holder.join()
    assert got.wait(5)  # the kernel dropped the dead writer's lock
    waiter.join()


def test_only_sqlite_files_queue() -> None:
    assert writers.for_url("postgresql+psycopg://u@h/db") is None
    assert writers.for_url("sqlite://") is None
    assert writers.for_url("sqlite:///:memory:") is None
    queue = writers.for_url("sqlite:////srv/x/certexam.sqlite3")
    assert queue is not None and queue.path == "/srv/x/certexam.sqlite3-writers.lock"


class _Watched(writers.WriterQueue):
    """Records whether a checkpoint ran while this process held a turn."""

    def __init__(self, database_path: str, checkpoint_every: int) -> None:
        super().__init__(database_path, checkpoint_every)
        self.during_turn: list[bool] = []

    def checkpoint(self) -> tuple[int, int, int]:
        self.during_turn.append(self._thread.locked())
        return super().checkpoint()


def _wal_bytes_after(db: str, commits: int, queue: writers.WriterQueue | None) -> int:
    """The WAL file's size after `commits` commits, through the queue or with no checkpoint at all.
    A complete checkpoint lets the next writer restart the WAL from its start, so the file only
    grows past what is written between two checkpoints."""
    import sqlite3

    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")  # as the app's connections (certexam.db)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    for i in range(commits):
        with queue.turn() if queue is not None else contextlib.nullcontext():
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (v) VALUES (?)", ("x" * 500 + str(i),))
            conn.execute("COMMIT")
    size = os.path.getsize(db + "-wal")
    conn.close()
    return size


def test_the_wal_is_checkpointed_after_turns_never_in_them(tmp_path: Path) -> None:
    queue = _Watched(str(tmp_path / "q.sqlite3"), checkpoint_every=10)
    with_queue = _wal_bytes_after(queue.database, 95, queue)
    without = _wal_bytes_after(str(tmp_path / "n.sqlite3"), 95, None)
    assert queue.during_turn == [False] * 9  # after turns 10, 20, ... 90, each with the turn released
    # checkpointed every 10 commits, the WAL holds about 10 commits' pages; unchecked, all 95
    assert with_queue * 4 < without


def test_the_apps_connections_leave_checkpoints_to_the_queue(app) -> None:  # type: ignore[no-untyped-def]
    with app.extensions["certexam.engine"].connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    assert app.extensions["certexam.writers"] is not None
