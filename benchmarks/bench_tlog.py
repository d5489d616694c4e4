"""Benchmark: the transparency log at 10^5 leaves (issue 20.5: "10^5 leaves must be fine").

Appends N leaves through services/tlog/log.append (each in its own transaction, as issuing does:
one leaf per certificate change, inside that change's transaction), then times what the public
pages and the operator do at that size: the root of the whole tree, an inclusion proof (the proof
JSON's work), a consistency proof, signing a checkpoint, and `log verify` over every leaf.
SQLite by default; --postgres to use a fresh database on 127.0.0.1:5432.

    .venv/bin/python benchmarks/bench_tlog.py [--leaves 100000] [--postgres]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from certexam import db  # noqa: E402
from certexam.crypto.keystore import PASSPHRASE_ENV  # noqa: E402
from certexam.domain import tlog as T  # noqa: E402
from certexam.services.tlog import check, checkpoints, log  # noqa: E402
from tests.conftest import _pg_create, _pg_drop, make_app  # noqa: E402

BATCH, SINGLE = 1000, 100


def _ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:.2f} ms, max {max(samples) * 1000:.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--leaves", type=int, default=100_000)
    ap.add_argument("--postgres", action="store_true")
    args = ap.parse_args()
    os.environ[PASSPHRASE_ENV] = "bench passphrase 0123"
    tmp = Path(tempfile.mkdtemp(prefix="bench_tlog_"))
    name, url = _pg_create() if args.postgres else (None, None)
    app = make_app(tmp, url)
    print(f"python {platform.python_version()}, {platform.machine()}, {'PostgreSQL' if url else 'SQLite'}, "
          f"{args.leaves} leaves")
    at = datetime(2026, 12, 7, tzinfo=UTC)
    with app.app_context():
        def leaf(i: int) -> None:
            log.append(db.session(), "certificate", T.certificate_leaf(
                f"SHMFTPP-L1-2026-{i:06d}-1", "issue", "valid", "kid", at, f"TOKEN{i}"), at, f"N{i}")

        @db.use_case
        def batch(start: int, count: int) -> None:
            for i in range(start, start + count):
                leaf(i)

        append = db.use_case(leaf)
        started = time.perf_counter()
        for start in range(0, args.leaves, BATCH):
            batch(start, min(BATCH, args.leaves - start))
        total = time.perf_counter() - started
        print(f"append inside a transaction ({BATCH} a transaction, as in an issuing use case): "
              f"{total:.1f} s in all, {total / args.leaves * 1000:.2f} ms a leaf")
        samples = []
        for i in range(args.leaves, args.leaves + SINGLE):
            t0 = time.perf_counter()
            append(i)
            samples.append(time.perf_counter() - t0)
        print(f"append in a transaction of its own, at {args.leaves} leaves ({SINGLE} runs; the commit's "
              f"fsync included): {_ms(samples)}")
        sess = db.session()
        n = log.size(sess)
        for label, fn in [
            ("root of the whole tree", lambda: log.root(sess, n)),
            ("inclusion proof, leaf n/3", lambda: log.inclusion(sess, n // 3, n)),
            ("inclusion proof, last leaf", lambda: log.inclusion(sess, n - 1, n)),
            ("consistency proof n/2 -> n", lambda: log.consistency(sess, n // 2 + 1, n)),
        ]:
            runs = []
            for _ in range(20):
                t0 = time.perf_counter()
                fn()
                runs.append(time.perf_counter() - t0)
            print(f"{label}: {_ms(runs)}")
        t0 = time.perf_counter()
        checkpoints.publish()
        print(f"sign a checkpoint (first, makes the key): {(time.perf_counter() - t0) * 1000:.1f} ms")
        append(n)
        t0 = time.perf_counter()
        checkpoints.publish()
        print(f"sign a checkpoint (next): {(time.perf_counter() - t0) * 1000:.1f} ms")
        t0 = time.perf_counter()
        report = check.verify_all()
        print(f"log verify (every leaf, node, checkpoint): {time.perf_counter() - t0:.1f} s, "
              f"{len(report.problems)} problems")
    app.extensions["certexam.engine"].dispose()
    if name:
        _pg_drop(name)


if __name__ == "__main__":
    main()
