"""Programme statistics: progress against the target, rates, and small-cell suppression (pure).

The target and the reference figures are the programme's own (rules s.1, Shenzhen FinTech plan
2022-2025, box 4): 3,000 holders by 2025; by October 2022, 1,709 level-1 and 75 level-2 holders.

Suppression, for the public page, so that no person can be singled out:

* primary: a count of 1 to 4 people (below MIN_CELL) is withheld and shown as "<5"; 0 is shown,
  since an empty cell names nobody;
* complementary: a table's cells are tied by sums (the cells of a row add up to its total). When a
  sum has exactly one withheld member, that member is the sum minus the others, so a second member
  is withheld too (shown as "-": it may well be 5 or more). The second one is the smallest shown,
  non-zero cell of that sum (it costs the reader least), else its total. Withholding one cell may
  leave another sum with a single withheld member, so the rule runs until nothing changes.

This is the usual iterative heuristic for one- and two-way tables, not an optimal solver: it
withholds at least what is needed, sometimes more. Nothing here reads the clock or the database.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Final, Generic, TypeVar

# rules s.1 (plan 2022-2025, box 4): "the target is 3,000 holders by 2025"
TARGET_HOLDERS: Final = 3000
TARGET_YEAR: Final = 2025
# rules s.1: "by Oct 2022, 5 level-1 sittings and 1 level-2 sitting had produced 1,709 level-1 and 75 level-2
# holders"
REFERENCE_2022: Final = {1: 1709, 2: 75}
REFERENCE_2022_LABEL: Final = "2022-10"

MIN_CELL: Final = 5
"""Fewest people a published cell may count (issue 23: "small cells suppressed (fewer than 5)")."""

K = TypeVar("K", bound=Hashable)


class Shown(StrEnum):
    """How a public cell is shown."""

    VALUE = "value"
    SMALL = "small"  # primary: 1..MIN_CELL-1 people, shown "<5"
    COMPLEMENT = "complement"  # withheld so that a small cell cannot be recomputed, shown "-"


@dataclass(frozen=True)
class Sum(Generic[K]):
    """A published relation: the `parts` add up to `total`."""

    parts: tuple[K, ...]
    total: K


def is_small(count: int) -> bool:
    """True for a count that names too few people to publish (1 to MIN_CELL - 1)."""
    return 0 < count < MIN_CELL


def suppress(values: Mapping[K, int], sums: Iterable[Sum[K]]) -> dict[K, Shown]:
    """How each cell is shown: primary suppression, then complementary until every sum is safe."""
    shown = {key: Shown.SMALL if is_small(v) else Shown.VALUE for key, v in values.items()}
    relations = list(sums)
    changed = True
    while changed:
        changed = False
        for rel in relations:
            members = (*rel.parts, rel.total)
            hidden = [m for m in members if shown[m] is not Shown.VALUE]
            if len(hidden) != 1:
                continue
            pick = _complement(values, shown, rel)
            if pick is not None:
                shown[pick] = Shown.COMPLEMENT
                changed = True
    return shown


def _complement(values: Mapping[K, int], shown: Mapping[K, Shown], rel: Sum[K]) -> K | None:
    """The member to withhold next to a lone withheld one: the smallest shown non-zero part, else the total.

    A zero part would not do: the reader would know the two withheld cells add up to the small one.
    """
    candidates = [p for p in rel.parts if shown[p] is Shown.VALUE and values[p] > 0]
    if candidates:
        return min(candidates, key=lambda p: (values[p], rel.parts.index(p)))
    if shown[rel.total] is Shown.VALUE:
        return rel.total
    return None  # every other part is a shown zero: the withheld part is the (withheld) total, nothing to add


def one_way_sums(parts: Sequence[K], total: K) -> list[Sum[K]]:
    """The one relation of a one-way table: its cells add up to the total."""
    return [Sum(tuple(parts), total)]


def two_way_sums(rows: Sequence[Hashable], cols: Sequence[Hashable], row_total: Hashable,
                 col_total: Hashable) -> list[Sum[tuple[Hashable, Hashable]]]:
    """The relations of a two-way table with margins: every row and every column adds up to its total.

    Keys are (row, col); the margins are the row `row_total` and the column `col_total`.
    """
    all_rows, all_cols = (*rows, row_total), (*cols, col_total)
    across = [Sum(tuple((r, c) for c in cols), (r, col_total)) for r in all_rows]
    down = [Sum(tuple((r, c) for r in rows), (row_total, c)) for c in all_cols]
    return [*across, *down]


def rate(part: int, whole: int) -> Fraction | None:
    """part / whole as an exact fraction; None when there is nothing to divide by."""
    if whole <= 0:
        return None
    return Fraction(part, whole)


def mean(rates: Sequence[Fraction]) -> Fraction | None:
    """The exact mean of some rates; None for none."""
    if not rates:
        return None
    return sum(rates, Fraction(0)) / len(rates)


def percent(value: Fraction | None, digits: int = 1) -> str:
    """A rate as a percentage rounded half up to `digits` decimals ('40.5'); '' for None. No float."""
    if value is None:
        return ""
    scale = 10 ** digits
    scaled = value * 100 * scale
    whole = (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)  # half up, >= 0 here
    if digits == 0:
        return str(whole)
    return f"{whole // scale}.{whole % scale:0{digits}d}"


@dataclass(frozen=True)
class Progress:
    """Holders against the programme's target."""

    holders: int
    target: int = TARGET_HOLDERS
    target_year: int = TARGET_YEAR

    @property
    def share(self) -> Fraction:
        return Fraction(self.holders, self.target)

    @property
    def remaining(self) -> int:
        """Holders still missing (0 once the target is reached)."""
        return max(self.target - self.holders, 0)

    def needed_per_year(self, this_year: int) -> int | None:
        """Holders a year needed to reach the target by the end of its year, counting this year; None after it."""
        years = self.target_year - this_year + 1
        if years <= 0:
            return None
        return -(-self.remaining // years)


def cumulative(by_year: Mapping[int, int]) -> list[tuple[int, int]]:
    """Running totals by year, every year from the first to the last (a year without new holders repeats)."""
    if not by_year:
        return []
    out: list[tuple[int, int]] = []
    running = 0
    for year in range(min(by_year), max(by_year) + 1):
        running += by_year.get(year, 0)
        out.append((year, running))
    return out
