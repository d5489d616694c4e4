"""Benchmark: the per-start cost of assembling a level-1 form, in process (issue 21).

Builds the assembler's pool from the shipped level-1 bank (question_bank/level1/*.yaml, with the
statistics it ships, if any) exactly as the bank cache does, then times certexam.domain.assembly's
`assemble` for each paper of the default level-1 blueprint over many seeds. No database, no web:
this is the assembly's own share of a start. One process, one core.

    .venv/bin/python benchmarks/bench_form_assembly.py [--forms 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import glob
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from certexam.bankio import reader  # noqa: E402
from certexam.domain import assembly  # noqa: E402
from certexam.domain.blueprint import LEVEL1_DEFAULT  # noqa: E402


def shipped_pool() -> list[assembly.PoolItem]:
    """The shipped level-1 items as assembly inputs (what item_cache.drawable builds from the bank)."""
    result = reader.read_files(sorted(glob.glob(str(ROOT / "certexam/question_bank/level1/*.yaml"))))
    assert not result.errors, result.errors[:3]
    pool = []
    for n, item in enumerate(result.items, 1):
        stats = getattr(item, "stats", None)  # absent before issue 21
        extra = {"facility": stats.facility, "n": stats.n} if stats is not None else {}
        pool.append(assembly.PoolItem(n, item.id, item.module, item.type, item.subtype, item.option_keys(),
                                      tuple(c.option_keys() for c in item.children), frozenset(item.enemies),
                                      **extra))  # type: ignore[arg-type]
    return pool


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--forms", type=int, default=2000, help="forms per paper and round")
    ap.add_argument("--repeat", type=int, default=3, help="rounds; the median round is reported")
    args = ap.parse_args()
    pool = shipped_pool()
    print(f"python {platform.python_version()}, {len(pool)} items, {args.forms} forms per paper, "
          f"{args.repeat} rounds")
    for paper in LEVEL1_DEFAULT.papers:
        rounds = []
        for r in range(args.repeat):
            t0 = time.perf_counter()
            for seed in range(r * args.forms, (r + 1) * args.forms):
                assembly.assemble(LEVEL1_DEFAULT, paper, pool, seed)
            rounds.append((time.perf_counter() - t0) / args.forms * 1e6)
        print(f"{paper.code} ({paper.item_count} items): median {statistics.median(rounds):,.0f} us per form "
              f"(rounds: {', '.join(f'{x:,.0f}' for x in rounds)})")


if __name__ == "__main__":
    main()
