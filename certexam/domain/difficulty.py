"""Item difficulty statistics and the difficulty a form is assembled to (issue 21).

An item's facility is the share of its points that candidates score on it (the classical p-value;
for a marked item, the mean mark over the maximum), from item analysis or pretesting, with the
number of responses it rests on. A form's expected score is the sum of facility x points over its
items; every candidate's form is held within a tolerance of one target, so a raw cut score means
the same on every form (CFA and FRM, which the programme follows, equate their forms: rules s.1
"在借鉴特许金融分析师(CFA)和金融风险管理师(FRM)等资格考试体系的基础上").
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

# Expected scores are summed in 1/10,000 of a point: integers, so sums and comparisons are exact
# and a seed gives the same form on every machine (float sums depend on the order of addition).
SCALE = 10_000


@dataclass(frozen=True)
class ItemStats:
    """What an item's difficulty rests on: its facility (0..1) and the responses counted."""

    facility: float
    n: int


def stats_problems(facility: object, n: object) -> list[str]:
    """Why a facility/count pair cannot be stored (empty when it can)."""
    out = []
    if isinstance(facility, bool) or not isinstance(facility, int | float) or not 0 <= facility <= 1:
        out.append("facility must be a number from 0 to 1")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        out.append("n must be a whole number of responses, at least 1")
    return out


@dataclass(frozen=True)
class DifficultySettings:
    """A blueprint's difficulty target for its forms (the same for each of its papers).

    target: the expected share of a paper's points (3/5: 60 %); None aims at the average of the
    items a paper draws from, which every pool can meet. tolerance: how far a form's expected score
    may lie from the target, as a share of the paper's points (1/100 of 45 points is 0.45 points,
    well inside one point of the candidate's own measurement error on a 45-item paper). prior: the
    facility assumed for an item without statistics. min_n: fewer responses than this make an
    item's statistics too thin to balance on, and the sitting page says so before the exam.
    """

    target: Fraction | None = None
    tolerance: Fraction = Fraction(1, 100)
    prior: Fraction = Fraction(3, 5)
    min_n: int = 100


DEFAULT = DifficultySettings()


def problems(s: DifficultySettings) -> list[str]:
    """Structural problems of the settings (empty when usable)."""
    out = []
    if s.target is not None and not 0 < s.target < 1:
        out.append("difficulty.target must be between 0 and 1 (or left out)")
    if not 0 < s.tolerance <= Fraction(1, 2):
        out.append("difficulty.tolerance must be above 0 and at most 1/2")
    if not 0 <= s.prior <= 1:
        out.append("difficulty.prior must be between 0 and 1")
    if isinstance(s.min_n, bool) or not isinstance(s.min_n, int) or s.min_n < 1:
        out.append("difficulty.min_n must be a whole number, at least 1")
    return out


def to_dict(s: DifficultySettings) -> dict[str, Any]:
    """JSON-ready (fractions as "n/d" text, as the blueprint's scoring settings)."""
    doc: dict[str, Any] = {"tolerance": str(s.tolerance), "prior": str(s.prior), "min_n": s.min_n}
    if s.target is not None:
        doc["target"] = str(s.target)
    return doc


def from_dict(doc: Any) -> DifficultySettings:
    """Read what to_dict wrote; missing keys take the defaults. Raises ValueError when malformed."""
    if doc is None:
        return DEFAULT
    if not isinstance(doc, dict):
        raise ValueError("difficulty must be an object")
    try:
        target = doc.get("target")
        min_n = doc.get("min_n", DEFAULT.min_n)
        if isinstance(min_n, bool) or not isinstance(min_n, int):
            raise ValueError("difficulty.min_n must be a whole number")
        return DifficultySettings(
            target=Fraction(str(target)) if target is not None else None,
            tolerance=Fraction(str(doc.get("tolerance", DEFAULT.tolerance))),
            prior=Fraction(str(doc.get("prior", DEFAULT.prior))),
            min_n=min_n)
    except ZeroDivisionError as exc:
        raise ValueError(f"difficulty: {exc}") from exc


def units(facility: float | None, points: int, prior: float) -> int:
    """An item's expected score in 1/SCALE of a point (the prior when it has no facility).

    One float product, rounded: the same integer on every IEEE machine; only integers are summed."""
    return round((prior if facility is None else facility) * points * SCALE)


def thin(facility: float | None, n: int, min_n: int) -> bool:
    """Whether an item's statistics are too thin to balance on (none, or fewer than min_n responses)."""
    return facility is None or n < min_n


def pooled(old: ItemStats | None, facility: float, n: int) -> ItemStats:
    """Statistics from new responses added to what an item had (pretest or earlier sittings):
    the facility weighted by the responses each rests on, rounded to 4 places as stored."""
    if old is None or old.n <= 0:
        return ItemStats(round(facility, 4), n)
    total = old.n + n
    return ItemStats(round((old.facility * old.n + facility * n) / total, 4), total)
