"""Reliability when candidates take different items (issue 21: random forms, choice groups).

With a form drawn per candidate, an item is a column only some candidates have. The classical
alpha over the items *every* candidate took used 10 of 61 items on the shipped level-1 paper, and
its SEM came from the SD of those 10 items while the page showed the SD of all 61.

Cronbach's alpha for a k-item test is k/(k-1) * (1 - sum of item variances / variance of totals).
For random forms we estimate each term from the candidates who have it:

* each item's variance from the candidates who took it (missing by design, not by choice);
* for each candidate, the sum of those variances over the items of *their* form, averaged over
  candidates, and k as the average number of scored items per candidate;
* the variance of the candidates' actual totals (every form's total, which is what the SD beside it
  describes).

When every candidate takes the same items this is exactly Cronbach's alpha (a unit test pins it).
Form-to-form differences in difficulty add to the variance of totals and so raise the estimate a
little; the forms are assembled to an expected-score tolerance (domain/form_search.py), which keeps
that share small. Variances use the divisor n throughout, so their ratio is divisor-free.

A negative value marks "no score" (not on the candidate's form, not chosen, or not yet marked).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

METHOD_RANDOM_FORMS: Final = "alpha (random forms)"
SMALL_SAMPLE: Final = 30  # below this many candidates the page warns that the figures are unstable
# An item's variance from fewer takers than this is no estimate (one taker has variance 0, and a
# handful of such items drove the estimate above 1 on a five-candidate sitting): such an item takes
# the mean variance of its peers (see _item_variances).
ITEM_MIN_TAKERS: Final = 5


@dataclass(frozen=True, slots=True)
class FormsAlpha:
    """The estimate and what it rests on: k is the average number of items per candidate."""

    alpha: float | None
    items_per_candidate: float


def _population_var(values: Sequence[int]) -> float:
    n = len(values)
    s = sum(values)
    return (n * sum(v * v for v in values) - s * s) / (n * n)


def _item_variances(taken: list[list[int]], tops: Sequence[int] | None) -> list[float] | None:
    """Each item's variance among its takers. An item with fewer than ITEM_MIN_TAKERS takers gets the
    mean variance of the items of the same maximum that have enough (the pool's items are drawn to be
    parallel), or, when none has that maximum, the mean of the others' variance relative to their
    maximum squared, times its own; None when no item has enough takers at all."""
    tops = tops if tops is not None else [0] * len(taken)
    known: dict[int, list[float]] = {}
    for t, top in zip(taken, tops, strict=True):
        if len(t) >= ITEM_MIN_TAKERS:
            known.setdefault(top, []).append(_population_var(t))
    relative = [v / (top * top) for top, vs in known.items() if top > 0 for v in vs]
    out = []
    for t, top in zip(taken, tops, strict=True):
        if len(t) >= ITEM_MIN_TAKERS or not t:
            out.append(_population_var(t) if t else 0.0)
        elif known.get(top):
            out.append(sum(known[top]) / len(known[top]))
        elif relative and top > 0:  # e.g. the one 30-point written question of a small level-2 sitting
            out.append(sum(relative) / len(relative) * top * top)
        else:
            return None
    return out


def random_forms_alpha(columns: Sequence[Sequence[int]], totals: Sequence[int],
                       tops: Sequence[int] | None = None) -> FormsAlpha:
    """Alpha over columns where negative entries mean "not taken"; ``totals`` are the candidates'
    totals over the same columns (scored entries only); ``tops`` each item's maximum (items with
    too few takers borrow the variance of their peers of the same maximum)."""
    n = len(totals)
    if n < 2 or not columns:
        return FormsAlpha(None, 0.0)
    taken = [[x for x in col if x >= 0] for col in columns]
    item_var = _item_variances(taken, tops)
    if item_var is None:
        return FormsAlpha(None, sum(map(len, taken)) / n)
    per_candidate_var = [0.0] * n
    per_candidate_k = [0] * n
    for col, var in zip(columns, item_var, strict=True):
        for j, x in enumerate(col):
            if x >= 0:
                per_candidate_var[j] += var
                per_candidate_k[j] += 1
    k = sum(per_candidate_k) / n
    total_var = _population_var(totals)
    if k <= 1 or total_var <= 0:
        return FormsAlpha(None, k)
    mean_item_vars = sum(per_candidate_var) / n
    return FormsAlpha(k / (k - 1) * (1 - mean_item_vars / total_var), k)


def sem(sd: float | None, alpha: float | None) -> float | None:
    """SEM = SD * sqrt(1 - reliability), from the SD shown beside it (issue 21: they disagreed)."""
    if sd is None or alpha is None:
        return None
    return float(sd * max(0.0, 1 - alpha) ** 0.5)
