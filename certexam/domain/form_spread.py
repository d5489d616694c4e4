"""How far apart a paper's forms lie in difficulty, from a sample assembled ahead (issue 21).

The sitting page shows it before the exam: the lowest and highest expected score over a sample of
forms against the target and tolerance, how many forms miss it, and how many of the items the paper
draws from have statistics too thin to balance on (none, or fewer responses than the blueprint's
min_n: their prior or noisy facility makes the balance look better than it is).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from certexam.domain import difficulty
from certexam.domain.assembly import AssemblyError, PoolItem, assemble_form
from certexam.domain.blueprint import Blueprint, Paper


@dataclass(frozen=True)
class Spread:
    paper: str
    direction: str | None
    forms: int  # forms assembled (0 when the paper cannot be assembled: see `error`)
    lowest: float
    highest: float
    target: float
    tolerance: float
    outside: int  # sample forms outside the tolerance
    items: int  # items the paper draws from
    thin: int  # of them, with no statistics or fewer than min_n responses
    error: str | None = None

    @property
    def balanced(self) -> bool:
        """Every sample form within tolerance, on statistics that can bear it."""
        return self.error is None and self.outside == 0 and self.thin == 0


def spread(bp: Blueprint, paper: Paper, pool: Sequence[PoolItem], seeds: Iterable[int],
           direction: str | None = None) -> Spread:
    """Assemble a form for each seed and summarise their expected scores."""
    drawn_from = {(bp.resolve(s, direction), s.item_type, s.subtype) for s in paper.sections}
    items = [p for p in pool if (p.module, p.item_type, p.subtype) in drawn_from]
    thin = sum(difficulty.thin(p.facility, p.n, bp.difficulty.min_n) for p in items)
    scores: list[float] = []
    outside = 0
    target = tolerance = 0.0
    for seed in seeds:
        try:
            form = assemble_form(bp, paper, pool, seed, direction)
        except AssemblyError as exc:
            return Spread(paper.code, direction, 0, 0.0, 0.0, 0.0, 0.0, 0, len(items), thin, str(exc))
        scores.append(form.expected)
        outside += not form.within
        target, tolerance = form.target, form.tolerance
    return Spread(paper.code, direction, len(scores), min(scores, default=0.0), max(scores, default=0.0),
                  target, tolerance, outside, len(items), thin)
