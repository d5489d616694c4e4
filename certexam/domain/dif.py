"""Differential item functioning across the exam's languages: Mantel-Haenszel (issue 21).

The exam is taken in four languages (programme-rules.md section 2). An item whose translation is
harder, or cues the key, behaves differently for candidates of the same ability in one language.
Candidates are matched on ability by their score (strata); within each stratum, the reference group
(the largest language, in practice simplified Chinese) is compared with the focal group.

Per stratum s, a 2x2 table: A correct / B wrong in the reference group, C correct / D wrong in the
focal group, N = A + B + C + D.

* common odds ratio   alpha_MH = sum(A D / N) / sum(B C / N)
* ETS delta           D = -2.35 ln(alpha_MH): negative when the item is harder for the focal group
* MH chi-square (1 df, continuity-corrected):
  (|sum A - sum E(A)| - 0.5)^2 / sum Var(A), E(A) = n_R m_1 / N,
  Var(A) = n_R n_F m_1 m_0 / (N^2 (N - 1))
* ETS classes (Zieky 1993), simplified to the significance of the chi-square at 5%:
  A: |D| < 1 or not significant; C: |D| >= 1.5 and significant; B otherwise.

Strata with only one group, or of one candidate, carry no information and are skipped.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

ETS_SCALE: Final = -2.35
SIGNIFICANCE: Final = 0.05
CLASS_B_DELTA: Final = 1.0
CLASS_C_DELTA: Final = 1.5
STRATA: Final = 10  # score bands of 10 percentage points: a display-independent choice (issue 21)
MIN_GROUP: Final = 10  # fewer candidates than this in either group: no figure (too little to tell)


@dataclass(frozen=True, slots=True)
class MantelHaenszel:
    """The item's figures for one focal group against the reference group."""

    focal: str
    reference_n: int
    focal_n: int
    odds_ratio: float | None
    delta: float | None
    chi_square: float | None
    p_value: float | None
    ets_class: str  # "A", "B", "C", or "" when there was too little data


def stratum(score: int, maximum: int, strata: int = STRATA) -> int:
    """The score band of a total (0 .. strata-1); the maximum goes in the top band."""
    if maximum <= 0:
        return 0
    return min(score * strata // maximum, strata - 1)


def _class(delta: float, p_value: float) -> str:
    if abs(delta) < CLASS_B_DELTA or p_value >= SIGNIFICANCE:
        return "A"
    return "C" if abs(delta) >= CLASS_C_DELTA else "B"


def mantel_haenszel(observations: Iterable[tuple[str, int, bool]], reference: str, focal: str) -> MantelHaenszel:
    """MH figures from (group, stratum, correct) per candidate who took the item."""
    tables: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # A, B, C, D
    n_ref = n_foc = 0
    for group, band, correct in observations:
        if group == reference:
            tables[band][0 if correct else 1] += 1
            n_ref += 1
        elif group == focal:
            tables[band][2 if correct else 3] += 1
            n_foc += 1
    if n_ref < MIN_GROUP or n_foc < MIN_GROUP:
        return MantelHaenszel(focal, n_ref, n_foc, None, None, None, None, "")
    num = den = sum_a = sum_e = sum_var = 0.0
    for a, b, c, d in tables.values():
        n = a + b + c + d
        n_r, n_f, m1, m0 = a + b, c + d, a + c, b + d
        if n < 2 or n_r == 0 or n_f == 0:
            continue
        num += a * d / n
        den += b * c / n
        sum_a += a
        sum_e += n_r * m1 / n
        sum_var += n_r * n_f * m1 * m0 / (n * n * (n - 1))
    if num == 0 or den == 0 or sum_var == 0:
        return MantelHaenszel(focal, n_ref, n_foc, None, None, None, None, "")
    odds = num / den
    delta = ETS_SCALE * math.log(odds)
    chi = max(0.0, abs(sum_a - sum_e) - 0.5) ** 2 / sum_var
    p_value = math.erfc(math.sqrt(chi / 2))  # chi-square with 1 degree of freedom
    return MantelHaenszel(focal, n_ref, n_foc, odds, delta, chi, p_value, _class(delta, p_value))


@dataclass(frozen=True, slots=True)
class ItemDif:
    """One item's MH figures for each focal language."""

    item_id: str
    reference: str
    focal: tuple[MantelHaenszel, ...]

    @property
    def worst(self) -> str:
        """The most severe ETS class over the focal languages ("" when none could be computed)."""
        classes = {m.ets_class for m in self.focal}
        return next((c for c in ("C", "B", "A") if c in classes), "")


def screen_items(item_ids: Sequence[str], columns: Sequence[Sequence[int]], tops: Sequence[int],
                 totals: Sequence[int], maxima: Sequence[int], groups: Sequence[str]) -> list[ItemDif]:
    """MH for every dichotomous item: candidates matched on their score band (total over their own
    form's maximum); the largest language group is the reference, each other language a focal group.
    A negative entry means the candidate did not take the item."""
    counts: dict[str, int] = defaultdict(int)
    for g in groups:
        counts[g] += 1
    if len(counts) < 2:
        return []
    reference = max(sorted(counts), key=lambda g: counts[g])
    focals = sorted(g for g in counts if g != reference)
    bands = [stratum(t, m) for t, m in zip(totals, maxima, strict=True)]
    out = []
    for item_id, col, top in zip(item_ids, columns, tops, strict=True):
        taken = [(groups[j], bands[j], x == top) for j, x in enumerate(col) if x >= 0]
        if top <= 0 or any(x not in (0, top) for x in col if x >= 0):
            continue  # partial credit: MH here is for right/wrong items
        out.append(ItemDif(item_id, reference, tuple(mantel_haenszel(taken, reference, f) for f in focals)))
    return out
