"""Benchmark: scoring + item analysis of one level-1 form, pure Python.

Generates (fixed seed) a 240-item level-1 form with the default blueprint of
question_bank/README.md and N attempts from a logistic ability model, then
times certexam.domain scoring (score_attempts) and item analysis
(analyse_form) separately. Generation is not timed. One process, one core.

    .venv/bin/python benchmarks/bench_scoring.py [--attempts 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from certexam.domain.item_analysis import analyse_form  # noqa: E402
from certexam.domain.ranking import RankingEntry, rank_sitting  # noqa: E402
from certexam.domain.scoring import compile_form, score_attempts  # noqa: E402
from certexam.domain.scoring_types import LEVEL2_TOP_SHARE, ScoringItem, ScoringPolicy  # noqa: E402

SEED = 20260305
# question_bank/README.md, default level-1 blueprint (240 = 45 + 92 + 103)
LEVEL1_BLUEPRINT = {
    "L1-ETH": 20, "L1-STD": 13, "L1-ECO": 12,
    "L1-FIN": 20, "L1-ACC": 16, "L1-QNT": 18, "L1-PAY": 18, "L1-BC": 20,
    "L1-CMP": 20, "L1-PRG": 20, "L1-DB": 20, "L1-NET": 20, "L1-AI": 23,
}  # fmt: skip
KEYS = "ABCD"


def level1_form(rng: random.Random) -> list[ScoringItem]:
    return [
        ScoringItem(f"{module}-{n:04d}", module, module == "L1-ETH", "single_choice", rng.choice(KEYS))
        for module, count in LEVEL1_BLUEPRINT.items()
        for n in range(count)
    ]


def attempts(rng: random.Random, items: list[ScoringItem], n: int) -> list[dict[str, object]]:
    difficulty = [rng.gauss(0, 1) for _ in items]
    out = []
    for _ in range(n):
        theta = rng.gauss(0, 1)
        answers: dict[str, object] = {}
        for it, b in zip(items, difficulty, strict=True):
            if rng.random() < 0.02:
                continue  # left blank
            p = 0.25 + 0.75 / (1 + math.exp(-1.7 * (theta - b)))
            answers[it.item_id] = it.key if rng.random() < p else rng.choice(KEYS)
        out.append(answers)
    return out


def level2_sitting(rng: random.Random, n: int) -> tuple[list[RankingEntry], ScoringPolicy, float]:
    """n level-2 candidates over 3 directions: 60 choice + 7 constructed, 2 of 5 proposals."""
    items = [
        ScoringItem(f"C{i}", "L2-ETH" if i < 10 else "L2-GEN", i < 10, "single_choice", "A")
        for i in range(60)
    ]
    items.append(ScoringItem("SA0", "L2-ETH", True, "constructed", None, 10))
    items += [ScoringItem(f"SA{i}", "L2-AI", False, "constructed", None, 10) for i in (1, 2)]
    items += [ScoringItem(f"SK{i}", "L2-AI", False, "constructed", None, 15) for i in (1, 2)]
    items += [
        ScoringItem(f"P{i}", "L2-AI", False, "constructed", None, 20, choice_group="P") for i in range(5)
    ]
    policy = ScoringPolicy("ranked", Fraction(3, 5), top_share=LEVEL2_TOP_SHARE, choice_groups={"P": 2})
    form = compile_form(items, policy)
    answers = []
    for _ in range(n):
        theta = rng.random()
        a: dict[str, object] = {
            it.item_id: "A" if rng.random() < 0.4 + 0.5 * theta else "B" for it in items[:60]
        }
        for it in items[60:65]:
            a[it.item_id] = round(it.max_points * min(1.0, 0.3 + 0.6 * theta + 0.2 * rng.random()))
        for name in rng.sample([f"P{i}" for i in range(5)], 2):
            a[name] = round(20 * min(1.0, 0.2 + 0.6 * theta + 0.2 * rng.random()))
        answers.append(a)
    start = time.perf_counter()
    _, outcomes = score_attempts(form, answers)  # type: ignore[arg-type]
    took = time.perf_counter() - start
    entries = [RankingEntry(f"K{i}", ("AI", "BD", "CLD")[i % 3], o) for i, o in enumerate(outcomes)]
    return entries, policy, took


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--level2", type=int, default=3_000, help="level-2 candidates to score and rank")
    args = parser.parse_args()

    rng = random.Random(SEED)
    items = level1_form(rng)
    policy = ScoringPolicy("cut_score", Fraction(3, 5), pass_mark=Fraction(3, 5))
    t0 = time.perf_counter()
    data = attempts(rng, items, args.attempts)
    print(
        f"generated {args.attempts} attempts x {len(items)} items in {time.perf_counter() - t0:.1f} s (not timed)"
    )
    print(f"command: {' '.join(sys.argv)}")
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f} at start")  # fmt: skip

    runs = []
    for run in range(args.repeat):
        c1, t1 = time.process_time(), time.perf_counter()
        form = compile_form(items, policy)
        rows, outcomes = score_attempts(form, data)  # type: ignore[arg-type]
        c2, t2 = time.process_time(), time.perf_counter()
        analysis = analyse_form(form, data, rows)  # type: ignore[arg-type]
        c3, t3 = time.process_time(), time.perf_counter()
        runs.append((t2 - t1, t3 - t2, t3 - t1, c3 - c1))
        print(f"run {run + 1}: scoring {t2 - t1:.3f} s, item analysis {t3 - t2:.3f} s, "
              f"total {t3 - t1:.3f} s wall ({c2 - c1:.3f} + {c3 - c2:.3f} s CPU)")  # fmt: skip
    passed = sum(o.status == "PASS" for o in outcomes)
    vetoed = sum("ETHICS_VETO" in o.reasons for o in outcomes)
    print(f"check: {passed} pass, {vetoed} ethics vetoes, alpha {analysis.form.alpha:.4f} "
          f"({analysis.form.method}), mean {analysis.form.mean:.2f} / {len(items)}")  # fmt: skip
    for i, label in enumerate(("scoring", "item analysis", "total", "total CPU")):
        values = [r[i] for r in runs]
        print(f"{label:>13}: best {min(values):.3f} s, median {statistics.median(values):.3f} s")

    if args.level2:
        entries, l2policy, took = level2_sitting(random.Random(SEED + 2), args.level2)
        t4 = time.perf_counter()
        results = rank_sitting(entries, l2policy)
        t5 = time.perf_counter()
        passes = sum(r.outcome.status == "PASS" for r in results.values())
        vetoes = sum("ETHICS_VETO" in r.outcome.reasons for r in results.values())
        print(f"level 2: {args.level2} candidates scored in {took:.3f} s, ranked in {t5 - t4:.3f} s "
              f"({vetoes} vetoed, {passes} pass)")  # fmt: skip


if __name__ == "__main__":
    main()
