"""Benchmark: how many starts a second one PostgreSQL primary can take through the audit chain (issue 21).

Every start and every submit appends to the audit log, a hash chain with one head row
(services/platform/audit.py): the head is locked FOR UPDATE from the append until COMMIT, so
appends take turns, whatever the number of app servers. That turn, not CPU, is where one primary
stops when app servers are added: this script measures it.

On a throwaway database of the local PostgreSQL (127.0.0.1:5432, dropped at the end), T threads
each append in a loop for S seconds, each append its own transaction (BEGIN; the head FOR UPDATE;
the entry; the head moved; COMMIT), alternating with a bare baseline of the same shape on a table
of our own (one row FOR UPDATE, one row inserted, the row updated, COMMIT; no hashing, no JSON):

- appends per second (T threads) and against the bare turn in the same round (the share our
  code keeps of the bare serialized write);
- with one thread, the time the head is held (the append's wall time, BEGIN to COMMIT): one
  primary cannot chain more than 1 / that many appends a second, i.e. 60 / hold starts a minute.

    .venv/bin/python benchmarks/bench_audit_head.py [--threads 1,4,8] [--seconds 5] [--rounds 2]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from certexam import db, migrate  # noqa: E402
from certexam.services.platform import audit  # noqa: E402
from tests.conftest import _pg_create, _pg_drop  # noqa: E402

_BARE_HEAD = text("SELECT seq FROM bench_head WHERE id = 1 FOR UPDATE")
_BARE_ENTRY = text("INSERT INTO bench_log (seq, note) VALUES (:s, 'x')")
_BARE_MOVE = text("UPDATE bench_head SET seq = :s WHERE id = 1")


def _bare(engine: Engine) -> None:
    with engine.begin() as conn:
        seq = conn.execute(_BARE_HEAD).scalar_one() + 1
        conn.execute(_BARE_ENTRY, {"s": seq})
        conn.execute(_BARE_MOVE, {"s": seq})


def _append(engine: Engine) -> None:
    with engine.begin() as conn:
        audit.append(conn, "attempt.start", "attempt", 1, actor_id=None,
                     after={"registration": 1, "paper": "P1", "seed": 123456789})


def _round(engine: Engine, work: Any, threads: int, seconds: float) -> tuple[float, list[float]]:
    """Appends a second over the round, and each append's wall time in seconds."""
    stop = time.perf_counter() + seconds
    walls: list[list[float]] = [[] for _ in range(threads)]

    def loop(mine: list[float]) -> None:
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            work(engine)
            mine.append(time.perf_counter() - t0)

    pool = [threading.Thread(target=loop, args=(w,)) for w in walls]
    t0 = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    done = [x for w in walls for x in w]
    return len(done) / (time.perf_counter() - t0), done


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", default="1,4,8")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    counts = [int(x) for x in args.threads.split(",")]
    name, url = _pg_create()
    try:
        migrate.upgrade(url)
        engine = db.make_engine(url, pool_size=max(counts) + 2)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE bench_head (id integer PRIMARY KEY, seq bigint NOT NULL)"))
            conn.execute(text("CREATE TABLE bench_log (seq bigint PRIMARY KEY, note text)"))
            conn.execute(text("INSERT INTO bench_head VALUES (1, 0)"))
            sync = conn.execute(text("SHOW synchronous_commit")).scalar()
            version = conn.execute(text("SHOW server_version")).scalar()
        print(f"python {platform.python_version()}, PostgreSQL {version}, synchronous_commit={sync}, "
              f"{args.seconds:g} s rounds, {args.rounds} per variant, alternating")
        _append(engine)  # the head row exists before the threads start, as on any database in use
        for work in (_bare, _append):  # warm up: connections, prepared statements
            _round(engine, work, max(counts), 1.0)
        for threads in counts:
            rates: dict[str, list[float]] = {"bare": [], "audit": []}
            holds: list[float] = []
            for r in range(args.rounds):
                for label, work in ((("bare", _bare), ("audit", _append)) if r % 2 == 0
                                    else (("audit", _append), ("bare", _bare))):
                    rate, walls = _round(engine, work, threads, args.seconds)
                    rates[label].append(rate)
                    if label == "audit":
                        holds += walls
            bare, ours = statistics.median(rates["bare"]), statistics.median(rates["audit"])
            line = (f"{threads:>2} threads: bare turn {' / '.join(f'{x:,.0f}' for x in rates['bare'])} per s, "
                    f"audit append {' / '.join(f'{x:,.0f}' for x in rates['audit'])} per s "
                    f"({ours / bare:.0%} of bare, medians)")
            if threads == 1:
                hold = statistics.median(holds)
                line += (f"; head held {hold * 1e3:.2f} ms (median, p99 "
                         f"{sorted(holds)[int(len(holds) * 0.99)] * 1e3:.2f}): at most {1 / hold:,.0f} appends "
                         f"a second, {60 / hold:,.0f} starts a minute")
            print(line, flush=True)
        engine.dispose()
    finally:
        _pg_drop(name)


if __name__ == "__main__":
    main()
