"""Benchmark: a start's CPU with forms assembled ahead against per-candidate assembly (issue 21).

In process, one app, one database (SQLite in a temporary folder, or with --postgres a throwaway
database on the local PostgreSQL, 127.0.0.1:5432, dropped at the end). The shipped level-1 bank with its statistics; two
sittings whose paper P1 (45 items) opened five minutes ago, one "per_candidate" and one
"pre_assembled" (its forms assembled ahead, timed too); the same candidates registered in both.
Each candidate then starts P1 in both sittings, alternating which mode goes first, through
`starting.begin` (what POST /api/.../start calls: the read that plans, the writer's turn that
inserts). Reported: CPU (process_time) and wall time per start, medians and means, after a warm-up.

    .venv/bin/python benchmarks/bench_pre_assembled.py [--candidates 200] [--forms 20] [--postgres]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from certexam import db  # noqa: E402
from certexam.services.attempts import starting  # noqa: E402
from certexam.services.sittings import pre_assembly  # noqa: E402
from certexam.services.sittings import schedule as sittings  # noqa: E402
from tests.conftest import _pg_create, _pg_drop, make_app  # noqa: E402
from tests.exam_setup import enrol, load_bank  # noqa: E402
from tests.factories import candidate  # noqa: E402

LEVEL1 = ("L1-ETH", "L1-STD", "L1-ECO", "L1-FIN", "L1-ACC", "L1-QNT", "L1-PAY", "L1-BC", "L1-AI", "L1-CMP",
          "L1-DB", "L1-NET", "L1-PRG")
MODES = ("per_candidate", "pre_assembled")
WARM_UP = 10


def _sitting(mode: str, capacity: int) -> int:
    now = db.utcnow()
    plan = sittings.SittingPlan(
        name=f"bench {mode}", level=1, registration_opens_at=now - timedelta(days=3),
        registration_closes_at=now - timedelta(days=1), capacity=capacity, languages=("zh_Hans", "en"),
        fee_fen=0, assembly_mode=mode, late_entry_minutes=600,
        papers=tuple(sittings.PaperPlan(c, now - timedelta(minutes=5) + timedelta(hours=4 * i))
                     for i, c in enumerate(("P1", "P2", "P3"))))
    return sittings.create_sitting(None, plan).id


def _line(name: str, cpu: list[float], wall: list[float]) -> str:
    return (f"{name:>14}: CPU per start median {statistics.median(cpu):.2f} ms, mean {statistics.mean(cpu):.2f} ms; "
            f"wall median {statistics.median(wall):.2f} ms ({len(cpu)} starts)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--candidates", type=int, default=200)
    ap.add_argument("--forms", type=int, default=20, help="forms per paper assembled ahead")
    ap.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL database (default: SQLite)")
    args = ap.parse_args()
    pg_name, url = _pg_create() if args.postgres else (None, None)
    try:
        ahead, cpu, wall = run(args.candidates, args.forms, url)
    finally:
        if pg_name:
            _pg_drop(pg_name)
    dialect = "postgresql" if args.postgres else "sqlite"
    print(f"python {platform.python_version()}, {dialect}, {args.candidates} candidates, paper P1 (45 items), "
          f"{args.forms} forms per paper assembled ahead in {ahead:.2f} s (3 papers)")
    for mode in MODES:
        print(_line(mode, cpu[mode], wall[mode]))
    ratio = statistics.median(cpu["pre_assembled"]) / statistics.median(cpu["per_candidate"])
    print(f"pre_assembled / per_candidate CPU (medians): {ratio:.2f}")


def run(candidates: int, forms: int, url: str | None) -> tuple[float, dict[str, list[float]], dict[str, list[float]]]:
    """Seconds to assemble ahead, and CPU and wall milliseconds per start by mode."""
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp), url, RATELIMIT_ENABLED=False, PRE_ASSEMBLED_FORMS=forms)
        load_bank(app, LEVEL1)
        users = [candidate(app) for _ in range(candidates + WARM_UP)]
        with app.test_request_context(headers={"Accept-Language": "en"}):
            ids = {mode: _sitting(mode, len(users)) for mode in MODES}
            t0 = time.perf_counter()
            pre_assembly.assemble(ids["pre_assembled"])
            ahead = time.perf_counter() - t0
        regs = {mode: [enrol(app, u, ids[mode]) for u in users] for mode in MODES}
        cpu: dict[str, list[float]] = {m: [] for m in MODES}
        wall: dict[str, list[float]] = {m: [] for m in MODES}
        with app.test_request_context(headers={"Accept-Language": "en"}):
            for i, user in enumerate(users):
                for mode in (MODES if i % 2 == 0 else MODES[::-1]):
                    c0, w0 = time.process_time(), time.perf_counter()
                    starting.begin(user, regs[mode][i], "P1", "en")
                    c1, w1 = time.process_time(), time.perf_counter()
                    if i >= WARM_UP:
                        cpu[mode].append((c1 - c0) * 1e3)
                        wall[mode].append((w1 - w0) * 1e3)
        app.extensions["certexam.engine"].dispose()
    return ahead, cpu, wall


if __name__ == "__main__":
    main()
