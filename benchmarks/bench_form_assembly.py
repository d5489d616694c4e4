"""Benchmark: the per-start cost of assembling a level-1 form, in process (issue 21).

Builds the assembler's pool from the shipped level-1 bank (question_bank/level1/*.yaml, with the
statistics it ships, if any) exactly as the bank cache does, then times certexam.domain.assembly's
`assemble` for each paper of the default level-1 blueprint over many seeds. No database, no web:
this is the assembly's own share of a start. One process, one core. The baseline, run alternately
in the same rounds on the same pool and seeds, is the draw before issue 21 (greedy: shuffled
candidates per section, enemies skipped, no backtracking and no difficulty target), kept here only
to measure against.

    .venv/bin/python benchmarks/bench_form_assembly.py [--forms 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import glob
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from certexam.bankio import reader  # noqa: E402
from certexam.domain import assembly  # noqa: E402
from certexam.domain.blueprint import LEVEL1_DEFAULT, Blueprint, Paper  # noqa: E402


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


def greedy(bp: Blueprint, paper: Paper, pool: list[assembly.PoolItem], seed: int) -> list[assembly.FormEntry]:
    """The draw before issue 21 (commit 45db566's assemble), for the baseline."""
    rng = random.Random(seed)
    by_key: dict[tuple[str, str, str | None], list[assembly.PoolItem]] = {}
    for item in sorted(pool, key=lambda p: p.external_id):
        by_key.setdefault((item.module, item.item_type, item.subtype), []).append(item)
    chosen: list[tuple[int, assembly.PoolItem]] = []
    taken: set[str] = set()
    blocked: set[str] = set()
    for index, section in enumerate(paper.sections):
        candidates = list(by_key.get((bp.resolve(section, None), section.item_type, section.subtype), []))
        rng.shuffle(candidates)
        picked = 0
        for item in candidates:
            if picked == section.count:
                break
            if item.external_id in taken or item.external_id in blocked or item.enemies & taken:
                continue
            chosen.append((index, item))
            taken.add(item.external_id)
            blocked |= item.enemies
            picked += 1
    rng.shuffle(chosen)
    out = []
    for index, item in chosen:
        order = list(item.option_keys)
        rng.shuffle(order)
        out.append(assembly.FormEntry(item.version_id, item.external_id, index, tuple(order), ()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--forms", type=int, default=2000, help="forms per paper and round")
    ap.add_argument("--repeat", type=int, default=3, help="rounds; the median round is reported")
    args = ap.parse_args()
    pool = shipped_pool()
    print(f"python {platform.python_version()}, {len(pool)} items, {args.forms} forms per paper, "
          f"{args.repeat} rounds")
    for paper in LEVEL1_DEFAULT.papers:
        rounds: dict[str, list[float]] = {"greedy (before)": [], "balanced (issue 21)": []}
        for r in range(args.repeat):
            for name, draw in (("greedy (before)", greedy), ("balanced (issue 21)", assembly.assemble)):
                t0 = time.perf_counter()
                for seed in range(r * args.forms, (r + 1) * args.forms):
                    draw(LEVEL1_DEFAULT, paper, pool, seed)
                rounds[name].append((time.perf_counter() - t0) / args.forms * 1e6)
        medians = {name: statistics.median(x) for name, x in rounds.items()}
        for name, x in rounds.items():
            print(f"{paper.code} ({paper.item_count} items) {name}: median {medians[name]:,.0f} us per form "
                  f"(rounds: {', '.join(f'{v:,.0f}' for v in x)})")
        print(f"{paper.code}: balanced / greedy = {medians['balanced (issue 21)'] / medians['greedy (before)']:.2f}")

if __name__ == "__main__":
    main()
