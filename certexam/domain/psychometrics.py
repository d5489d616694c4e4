"""Classical test theory figures from a matrix of integer item scores.

Input is one row per candidate, one integer column per item, in any unit
(scoring uses 1/840 point; pass ``unit`` to report points). A negative value
means "no score" (not counted for this candidate, or unmarked) and is left
out. Sums are exact integers; floats appear only in the final division, so
the figures agree with a float64 computation to far better than 1e-9.

Formulas (n candidates with a score on the item, x = item score, T = total):

* facility p = mean(x) / max(x possible)                   (exact Fraction)
* discrimination = corrected item-total correlation: Pearson r between x
  and the rest score R = T - x, r = cov(x, R) / (sd(x) sd(R)).
* Cronbach's alpha = k / (k - 1) * (1 - sum var(x_i) / var(T)); variances
  with the same divisor (n), so the ratio is divisor-free. When every item
  is dichotomous (0 or full marks), var(x_i) = max_i^2 p_i q_i and alpha *is*
  KR-20. When candidates took different items (random forms, choice groups,
  unmarked answers), the estimate of domain/reliability.py (issue 21).
* standard deviation: sample SD (divisor n - 1) of the totals.
* SEM = SD * sqrt(1 - alpha), with the SD shown beside it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from operator import mul
from typing import Final

from certexam.domain.reliability import METHOD_RANDOM_FORMS, random_forms_alpha
from certexam.domain.reliability import sem as reliability_sem

# Flag thresholds: quality-control conventions, not programme rules (the
# programme publishes none); they follow the usual facility bands of quiz
# statistics reports ("very easy" from about 90%, "very difficult" to 20%).
VERY_EASY_FACILITY: Final = Fraction(9, 10)  # facility >= this: VERY_EASY
VERY_HARD_FACILITY: Final = Fraction(1, 5)  # facility <= this: VERY_HARD (below 4-option guessing)
NEGATIVE_DISCRIMINATION_BELOW: Final = 0.0  # discrimination < this: NEGATIVE_DISCRIMINATION

VERY_EASY: Final = "VERY_EASY"
VERY_HARD: Final = "VERY_HARD"
NEGATIVE_DISCRIMINATION: Final = "NEGATIVE_DISCRIMINATION"


@dataclass(frozen=True, slots=True)
class ItemStats:
    """Figures for one item (column); None where undefined (no data, no spread)."""

    column: int
    n: int
    mean: float | None
    facility: Fraction | None
    sd: float | None
    discrimination: float | None
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScaleStats:
    """Figures for a set of items (a form or a module)."""

    n: int
    items: int
    alpha_items: int
    mean: float | None
    median: float | None
    sd: float | None
    alpha: float | None
    method: str  # "KR-20" when every alpha item is dichotomous, else "alpha"
    sem: float | None


@dataclass(frozen=True, slots=True)
class HistogramBin:
    """Candidates whose total lies in [lower, upper) (the last bin is closed)."""

    lower: Fraction
    upper: Fraction
    count: int


class ScoreMatrix:
    """Rows transposed once into columns, with exact per-column sums."""

    __slots__ = (
        "columns",
        "complete",
        "dichotomous",
        "max_scores",
        "n",
        "sums",
        "sumsq",
        "total_sum",
        "total_sumsq",
        "totals",
    )

    def __init__(self, rows: Sequence[Sequence[int]], max_scores: Sequence[int]) -> None:
        self.n = len(rows)
        self.max_scores = list(max_scores)
        width = len(self.max_scores)
        self.columns: list[Sequence[int]] = list(zip(*rows, strict=True)) if rows else [()] * width
        if len(self.columns) != width:
            raise ValueError("rows and max_scores differ in width")
        self.complete = [not col or min(col) >= 0 for col in self.columns]
        self.totals = _row_totals(rows, self.columns, self.complete)
        self.sums = [sum(col) if ok else None for col, ok in zip(self.columns, self.complete, strict=True)]
        self.sumsq = [
            sum(map(mul, col, col)) if ok else None
            for col, ok in zip(self.columns, self.complete, strict=True)
        ]
        self.dichotomous = [
            ok and set(col) <= {0, top}
            for col, ok, top in zip(self.columns, self.complete, self.max_scores, strict=True)
        ]
        self.total_sum = sum(self.totals)
        self.total_sumsq = sum(map(mul, self.totals, self.totals))


def _row_totals(
    rows: Sequence[Sequence[int]], columns: list[Sequence[int]], complete: list[bool]
) -> list[int]:
    """Each row's sum of scored (non-negative) values."""
    totals = list(map(sum, rows))
    for col, ok in zip(columns, complete, strict=True):
        if not ok:
            for j, value in enumerate(col):
                if value < 0:
                    totals[j] -= value
    return totals


def _corr(n: int, sx: int, sy: int, *, sxx: int, syy: int, sxy: int) -> float | None:
    """Pearson r from exact sums; None when either variable has no spread."""
    vx = n * sxx - sx * sx
    vy = n * syy - sy * sy
    if n < 2 or vx <= 0 or vy <= 0:
        return None
    return (n * sxy - sx * sy) / math.sqrt(vx * vy)


def _flags(facility: Fraction | None, discrimination: float | None) -> tuple[str, ...]:
    flags = []
    if discrimination is not None and discrimination < NEGATIVE_DISCRIMINATION_BELOW:
        flags.append(NEGATIVE_DISCRIMINATION)
    if facility is not None and facility >= VERY_EASY_FACILITY:
        flags.append(VERY_EASY)
    if facility is not None and facility <= VERY_HARD_FACILITY:
        flags.append(VERY_HARD)
    return tuple(flags)


def item_statistics(matrix: ScoreMatrix, column: int, unit: int = 1) -> ItemStats:
    """Facility, discrimination (corrected item-total r) and flags for one column."""
    col, top = matrix.columns[column], matrix.max_scores[column]
    if matrix.complete[column]:
        n, totals = matrix.n, matrix.totals
        sx, sxx = matrix.sums[column], matrix.sumsq[column]
        assert sx is not None and sxx is not None
        sxt = sum(map(mul, col, totals))
        st, stt = matrix.total_sum, matrix.total_sumsq
    else:
        pairs = [(x, t) for x, t in zip(col, matrix.totals, strict=True) if x >= 0]
        n = len(pairs)
        sx = sum(x for x, _ in pairs)
        sxx = sum(x * x for x, _ in pairs)
        sxt = sum(x * t for x, t in pairs)
        st = sum(t for _, t in pairs)
        stt = sum(t * t for _, t in pairs)
    if n == 0:
        return ItemStats(column, 0, None, None, None, None, ())
    # Rest score R = T - x: its sums follow from those of x and T.
    sr, srr, sxr = st - sx, stt - 2 * sxt + sxx, sxt - sxx
    disc = _corr(n, sx, sr, sxx=sxx, syy=srr, sxy=sxr)
    facility = Fraction(sx, n * top) if top > 0 else None
    sd = math.sqrt((n * sxx - sx * sx) / (n * (n - 1))) / unit if n > 1 else None
    return ItemStats(column, n, sx / n / unit, facility, sd, disc, _flags(facility, disc))


def scale_statistics(matrix: ScoreMatrix, columns: Sequence[int] | None = None, unit: int = 1) -> ScaleStats:
    """Mean, median, SD of the totals over ``columns``; alpha/KR-20 and SEM."""
    cols = list(range(len(matrix.columns))) if columns is None else list(columns)
    n = matrix.n
    if n == 0:
        return ScaleStats(0, len(cols), 0, None, None, None, None, "alpha", None)
    totals = _totals_over(matrix, cols)
    st = sum(totals)
    var_num = n * sum(map(mul, totals, totals)) - st * st  # n^2 * population variance
    sd = math.sqrt(var_num / (n * (n - 1))) / unit if n > 1 else None
    alpha_cols = [c for c in cols if matrix.complete[c]]
    if len(alpha_cols) == len(cols):
        alpha = _alpha(matrix, alpha_cols, var_num)
        dichotomous = all(matrix.dichotomous[c] for c in alpha_cols)
        method, alpha_items = ("KR-20" if alpha_cols and dichotomous else "alpha"), len(alpha_cols)
    else:  # some candidates lack some items (random forms, choice groups, unmarked answers)
        est = random_forms_alpha([matrix.columns[c] for c in cols], totals, [matrix.max_scores[c] for c in cols])
        alpha, method, alpha_items = est.alpha, METHOD_RANDOM_FORMS, round(est.items_per_candidate)
    sem = reliability_sem(sd, alpha)
    median = statistics.median(totals) / unit
    return ScaleStats(n, len(cols), alpha_items, st / n / unit, median, sd, alpha, method, sem)


def _totals_over(matrix: ScoreMatrix, cols: list[int]) -> list[int]:
    """Each candidate's sum of scored values over some columns."""
    if len(cols) == len(matrix.columns):
        return matrix.totals
    if not cols:
        return [0] * matrix.n
    picked = [matrix.columns[c] for c in cols]
    if all(matrix.complete[c] for c in cols):
        return list(map(sum, zip(*picked, strict=True)))
    return _row_totals(list(zip(*picked, strict=True)), picked, [matrix.complete[c] for c in cols])


def _alpha(matrix: ScoreMatrix, cols: list[int], var_total: int) -> float | None:
    """Cronbach's alpha over complete columns, given n^2 * var of their total."""
    n, k = matrix.n, len(cols)
    if k < 2 or n < 2 or var_total <= 0:
        return None
    item_vars = 0
    for c in cols:
        sx, sxx = matrix.sums[c], matrix.sumsq[c]
        assert sx is not None and sxx is not None
        item_vars += n * sxx - sx * sx
    return float(Fraction(k, k - 1) * (1 - Fraction(item_vars, var_total)))


def histogram(totals: Sequence[int], top: int, bins: int, unit: int = 1) -> tuple[HistogramBin, ...]:
    """Counts of totals in ``bins`` equal-width bins over [0, top] (edges in units/unit)."""
    if bins < 1:
        raise ValueError("bins must be at least 1")
    if top <= 0:
        return (HistogramBin(Fraction(0), Fraction(0), len(totals)),)
    counts = [0] * bins
    last = bins - 1
    for t in totals:
        if not 0 <= t <= top:
            raise ValueError(f"total {t} outside 0..{top}")
        counts[min(t * bins // top, last)] += 1
    return tuple(
        HistogramBin(Fraction(top * i, bins * unit), Fraction(top * (i + 1), bins * unit), count)
        for i, count in enumerate(counts)
    )
