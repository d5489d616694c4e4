"""Values that go into and come out of scoring (see scoring.py for the rules).

Scores are kept internally as integers in *units* of 1/POINT_UNITS of a point
so that partial credit stays exact and fast; the public figures (points,
rates) are exact ``Fraction`` values derived from them on demand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Final, Literal

# --- units --------------------------------------------------------------------

POINT_UNITS: Final = 840
"""Units per point: lcm(1..8). A multiple-response item has at most 8 keys
(question_bank/README.md: choice items have 3-8 options), so partial credit
(correct - wrong) / keys * points is always a whole number of units."""

MAX_KEYS: Final = 8  # question_bank/README.md: "3-8" options for choice items

NOT_COUNTED: Final = -1
"""Row value of an item in a choice group that does not count for this
candidate (e.g. a proposal scenario they did not choose)."""

UNMARKED: Final = -2
"""Row value of a constructed response that awaits its marks."""

# --- kinds, statuses and reason codes ------------------------------------------

ItemKind = Literal["single_choice", "multiple_response", "true_false", "constructed"]
ITEM_KINDS: Final = ("single_choice", "multiple_response", "true_false", "constructed")

PassRule = Literal["cut_score", "ranked"]
CUT_SCORE: Final = "cut_score"  # rules s.2 (level 1): pass/fail against a pass mark
RANKED: Final = "ranked"  # rules s.2 (level 2): "the top 40% within each direction pass"

class ResultStatus(StrEnum):
    """What a result says (rules s.2: "a result is pass, fail, or misconduct")."""

    PASS = "PASS"  # noqa: S105 (a status, not a password)
    FAIL = "FAIL"
    PENDING = "PENDING"  # marking or ranking not finished: no result yet
    VOID = "VOID"  # misconduct: the committee's ruling


PASS: Final = ResultStatus.PASS
FAIL: Final = ResultStatus.FAIL
PENDING: Final = ResultStatus.PENDING
VOID: Final = ResultStatus.VOID

ETHICS_VETO: Final = "ETHICS_VETO"  # rules s.1: 伦理模块…设置最低正确率要求，并实行"一票否决"
BELOW_PASS_MARK: Final = "BELOW_PASS_MARK"  # noqa: S105 (a reason code)
NOT_IN_TOP_SHARE: Final = "NOT_IN_TOP_SHARE"  # rules s.2: "the top 40% within each direction pass"
MARKING_INCOMPLETE: Final = "MARKING_INCOMPLETE"  # this attempt still has unmarked responses
COHORT_MARKING_INCOMPLETE: Final = "COHORT_MARKING_INCOMPLETE"  # someone in the ranked cohort does
AWAITING_RANKING: Final = "AWAITING_RANKING"  # ranked rule: gate passed, sitting not ranked yet
MISCONDUCT: Final = "MISCONDUCT"  # rules s.2: the committee rules on misconduct before release

LEVEL2_TOP_SHARE: Final = Fraction(2, 5)  # rules s.2: "the top 40% within each direction pass"

Response = str | frozenset[str] | bool | int | None
"""A candidate's answer: a key (single choice), a frozenset of keys (multiple
response), a bool (true/false), or for a constructed item the marks awarded
(int, or None while unmarked). For a constructed item, *absent from the
responses mapping* means "not answered" (0 points, nothing to mark), while
present-with-None means "answered, awaiting marks"."""


@dataclass(frozen=True, slots=True)
class ScoringItem:
    """One scorable item as frozen on the form (an item-set child is one item).

    ``key`` is a str (single choice), a frozenset of 2..8 keys (multiple
    response), a bool (true/false) or None (constructed). ``partial_credit``
    only applies to multiple response. ``choice_group`` names a
    choose-k-of-n group (ScoringPolicy.choice_groups), e.g. proposal scenarios.
    """

    item_id: str
    module: str
    is_ethics: bool
    kind: ItemKind
    key: str | frozenset[str] | bool | None
    max_points: int = 1
    partial_credit: bool = False
    voided: bool = False
    set_id: str | None = None
    choice_group: str | None = None

    def __post_init__(self) -> None:
        _check_item(self)


def _check_item(item: ScoringItem) -> None:
    """Reject items whose key does not fit their kind (bank errors surface here)."""
    kind, key = item.kind, item.key
    if kind not in ITEM_KINDS:
        raise ValueError(f"{item.item_id}: unknown kind {kind!r}")
    if type(item.max_points) is not int or item.max_points < 1:
        raise ValueError(f"{item.item_id}: max_points must be a positive int")
    ok = (
        (kind == "single_choice" and isinstance(key, str))
        or (kind == "true_false" and isinstance(key, bool))
        or (kind == "multiple_response" and isinstance(key, frozenset) and 1 <= len(key) <= MAX_KEYS)
        or (kind == "constructed" and key is None)
    )
    if not ok:
        raise ValueError(f"{item.item_id}: key {key!r} does not fit kind {kind}")
    if item.partial_credit and kind != "multiple_response":
        raise ValueError(f"{item.item_id}: partial credit is only for multiple response")
    if item.set_id is not None and kind == "constructed":
        raise ValueError(f"{item.item_id}: item-set children are choice items")


@dataclass(frozen=True, slots=True)
class ScoringPolicy:
    """A blueprint's pass rule.

    ``pass_mark`` (cut-score rule) is a *share of the available points*
    (non-voided, counted items), compared inclusively: total / max_total >=
    pass_mark passes. A share rather than points keeps the bar meaning the
    same when the committee voids an item. ``ethics_min_rate`` is inclusive
    too (exactly at the minimum passes the gate). Thresholds are blueprint
    settings: the programme does not publish them (rules s.2).
    ``choice_groups`` maps a group name to how many of its items count
    (rules s.2: "the proposals chosen 2 of 5 scenarios").
    """

    pass_rule: PassRule
    ethics_min_rate: Fraction
    pass_mark: Fraction | None = None
    top_share: Fraction | None = None
    choice_groups: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        for name in ("ethics_min_rate", "pass_mark", "top_share"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, Fraction) and 0 <= value <= 1):
                raise ValueError(f"{name} must be a Fraction in [0, 1], got {value!r}")
        if self.pass_rule == CUT_SCORE and self.pass_mark is None:
            raise ValueError("the cut-score rule needs a pass_mark")
        if self.pass_rule == RANKED and (self.top_share is None or self.top_share == 0):
            raise ValueError("the ranked rule needs a positive top_share")
        if self.pass_rule not in (CUT_SCORE, RANKED):
            raise ValueError(f"unknown pass rule {self.pass_rule!r}")
        if any(type(k) is not int or k < 1 for k in self.choice_groups.values()):
            raise ValueError("choice group counts must be positive ints")
        object.__setattr__(self, "choice_groups", MappingProxyType(dict(self.choice_groups)))


def _rate(earned: int, available: int) -> Fraction | None:
    return Fraction(earned, available) if available else None


@dataclass(frozen=True, slots=True)
class ModuleResult:
    """Points earned and available in one module, in units (see POINT_UNITS).

    ``complete`` is False while a counted constructed response is unmarked;
    the rate is then None (no partial figures are released).
    """

    module: str
    earned_units: int
    available_units: int
    complete: bool = True

    @property
    def earned(self) -> Fraction:
        return Fraction(self.earned_units, POINT_UNITS)

    @property
    def available(self) -> Fraction:
        return Fraction(self.available_units, POINT_UNITS)

    @property
    def rate(self) -> Fraction | None:
        """Correct rate (what failed candidates are told, rules s.2)."""
        return _rate(self.earned_units, self.available_units) if self.complete else None


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of scoring one attempt under one policy.

    ``passed_ethics_gate`` is None while it cannot be known (an ethics
    constructed response is unmarked); ``complete`` is False while any counted
    response is unmarked, ``ethics_complete`` while an ethics one is.
    ``equal_weight_score`` (ranked rule only) is the sum over counted items of
    earned / max_points: every question weighs the same (rules s.2).
    """

    status: ResultStatus
    reasons: tuple[str, ...]
    total_units: int
    max_total_units: int
    ethics_credit: int  # questions answered right, in 1/ethics_unit of a question (see ethics_rate)
    ethics_questions_units: int  # ethics questions counted, in the same unit
    passed_ethics_gate: bool | None
    modules: tuple[ModuleResult, ...]
    complete: bool
    ethics_complete: bool
    equal_weight_score: Fraction | None = None

    @property
    def total(self) -> Fraction:
        return Fraction(self.total_units, POINT_UNITS)

    @property
    def max_total(self) -> Fraction:
        return Fraction(self.max_total_units, POINT_UNITS)

    @property
    def total_rate(self) -> Fraction | None:
        return _rate(self.total_units, self.max_total_units) if self.complete else None

    @property
    def ethics_rate(self) -> Fraction | None:
        """The ethics correct rate: every counted ethics question of any type weighs one and
        contributes its points / its maximum (rules s.1 "最低正确率", s.2 "equal weight per
        question"); None if unknown (unmarked) or no ethics question counts."""
        return _rate(self.ethics_credit, self.ethics_questions_units) if self.ethics_complete else None

    def module(self, code: str) -> ModuleResult:
        """The result of one module, or KeyError."""
        for result in self.modules:
            if result.module == code:
                return result
        raise KeyError(code)
