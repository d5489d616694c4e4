"""Pure scoring of attempts: item scores, module scores, total, ethics gate.

Rules (programme-rules.md s.1 and s.2; thresholds are blueprint settings):

* single choice / true-false: full points if the answer equals the key.
* multiple response, all-or-nothing (default): full points only if the set of
  selected keys equals the key set exactly.
* multiple response with partial credit: points * max(0, c - w) / k, where c =
  keys selected, w = non-keys selected, k = number of keys. Guessing every
  option therefore earns nothing on a 4-option, 2-key item.
* item-set children: each child is scored as the choice item it is, and is
  one question (for equal weights) in its own module.
* constructed: the awarded marks (0..max_points); None = awaiting marks.
* voided item: removed from every numerator *and* denominator (total, module,
  ethics, item analysis), as if it had not been on the form.
* choice groups (choose k of n, e.g. 2 of 5 proposals): the first k items
  *answered* in form order count; if fewer than k are answered, the first
  unanswered ones make up k with 0 points. Extra answers are not marked
  ("多做按前k题计分"); items that do not count leave numerator and denominator.
* ethics rate counts questions, not points (rules s.1 "设置最低正确率要求":
  a minimum *correct rate*; s.2 "equal weight per question"): every counted
  ethics question of any type, paper or module weighs one; it contributes its
  points / its maximum (a constructed answer its mark / its maximum, a
  partial-credit item its share), and the rate is their sum / the number of
  questions. A 10-point short answer weighs as much as one single choice, not
  ten. Compared exactly (integers), inclusive: exactly at the minimum passes
  the gate. Ethics items also count, by points, in their module and the total.
* one-vote veto (rules s.1): below the ethics minimum is FAIL with
  ETHICS_VETO whatever the total, under both pass rules.

Scoring is a pure function of (items, responses, policy): same inputs, same
Outcome, whatever the order of the responses mapping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from fractions import Fraction

from certexam.domain.scoring_form import Row, ScoringForm, compile_form
from certexam.domain.scoring_types import (
    AWAITING_RANKING,
    BELOW_PASS_MARK,
    ETHICS_VETO,
    FAIL,
    MARKING_INCOMPLETE,
    MISCONDUCT,
    NOT_COUNTED,
    PASS,
    PENDING,
    POINT_UNITS,
    RANKED,
    UNMARKED,
    VOID,
    ModuleResult,
    Outcome,
    Response,
    ResultStatus,
    ScoringItem,
    ScoringPolicy,
)

__all__ = [
    "Row",
    "ScoringForm",
    "compile_form",
    "item_points",
    "mark_void",
    "outcome_from_row",
    "score_attempt",
    "score_attempts",
    "score_row",
]


def _score_special(item: ScoringItem, responses: Mapping[str, Response], max_units: int) -> int:
    """Score a partial-credit multiple-response or a constructed item, in units."""
    if item.kind == "constructed":
        if item.item_id not in responses:
            return 0  # not answered: nothing to mark
        marks = responses[item.item_id]
        if marks is None:
            return UNMARKED
        if type(marks) is not int:
            raise TypeError(f"{item.item_id}: marks must be an int, got {marks!r}")
        if not 0 <= marks <= item.max_points:
            raise ValueError(f"{item.item_id}: marks {marks} outside 0..{item.max_points}")
        return marks * POINT_UNITS
    answer = responses.get(item.item_id)
    key = item.key
    if not isinstance(answer, frozenset | set) or not isinstance(key, frozenset):
        return 0  # no answer, or an answer of the wrong type, earns nothing
    right = len(answer & key)
    wrong = len(answer) - right
    # Exact: len(key) <= MAX_KEYS divides POINT_UNITS.
    return max_units * max(0, right - wrong) // len(key)


def _answered(item: ScoringItem, responses: Mapping[str, Response]) -> bool:
    if item.item_id not in responses:
        return False
    return item.kind == "constructed" or responses[item.item_id] is not None


def score_row(form: ScoringForm, responses: Mapping[str, Response]) -> Row:
    """Item scores of one attempt, in units, in form column order."""
    ids, keys, tops = form._spec
    row = [m if answer == k else 0 for answer, k, m in zip(map(responses.get, ids), keys, tops, strict=True)]
    columns = form.columns
    for c in form._special:
        row[c] = _score_special(columns[c], responses, form.max_units[c])
    for count, cols in form._groups:
        answered = [c for c in cols if _answered(columns[c], responses)]
        counted = set(answered[:count])
        for c in cols:
            if len(counted) >= count:
                break
            counted.add(c)  # fewer than k answered: unanswered ones make up k, at 0
        for c in cols:
            if c not in counted:
                row[c] = NOT_COUNTED
    return row


def _modules_fast(form: ScoringForm, row: Row) -> tuple[ModuleResult, ...]:
    return tuple(ModuleResult(code, sum(get(row)), top) for code, _, get, top in form._mods)


def _sum_counted(form: ScoringForm, row: Row, cols: Sequence[int]) -> tuple[int, int, bool]:
    """(earned, available, complete) over some columns of a row with sentinels."""
    earned = available = 0
    complete = True
    for c in cols:
        value = row[c]
        if value == NOT_COUNTED:
            continue
        available += form.max_units[c]
        if value == UNMARKED:
            complete = False
        else:
            earned += value
    return earned, available, complete


def _ethics_counted(form: ScoringForm, row: Row) -> tuple[int, int, bool]:
    """(credit in 1/unit of a question, questions counted, complete) over the ethics columns of a row
    with sentinels: one question each, at its units / its max units (see ScoringForm._compile_ethics)."""
    credit = questions = 0
    complete = True
    weight = form._eth_weight
    for c in form.ethics_columns:
        value = row[c]
        if value == NOT_COUNTED:
            continue
        questions += 1
        if value == UNMARKED:
            complete = False
        else:
            credit += value * weight[c]
    return credit, questions, complete


def outcome_from_row(form: ScoringForm, row: Row) -> Outcome:
    """Apply the form's policy to one attempt's item scores."""
    policy = form.policy
    if min(row) >= 0:  # fast path: every column counted and marked
        modules = _modules_fast(form, row)
        # Every column is in exactly one module: the total is their sum.
        total, top, complete = sum([m.earned_units for m in modules]), form.total_max_units, True
        unit, groups = form._eth
        if len(groups) == 1:  # every ethics question has the same maximum (level 1): its weight is 1
            credit = sum(groups[0][0](row))
        else:
            credit = sum([sum(get(row)) * w for get, w in groups])
        questions, eth_complete = len(form.ethics_columns), True
    else:
        modules = tuple(ModuleResult(code, *_sum_counted(form, row, cols)) for code, cols, _, _ in form._mods)
        total, top, complete = _sum_counted(form, row, range(len(row)))
        unit = form._eth[0]
        credit, questions, eth_complete = _ethics_counted(form, row)
    gate: bool | None = None
    if eth_complete:
        if questions == 0 and policy.ethics_min_rate > 0:
            raise ValueError("no ethics item counts for this attempt: the veto cannot be applied")
        floor = policy.ethics_min_rate
        gate = credit * floor.denominator >= floor.numerator * unit * questions
    status, reasons = _decide(policy, gate, complete, total, top)
    weight = None
    if policy.pass_rule == RANKED and complete and gate:
        weight = sum(
            (Fraction(sum(v for v in get(row) if v > 0), m) for m, get in form._weights), Fraction(0)
        )
    return Outcome(status, reasons, total, top, credit, unit * questions, gate, modules, complete, eth_complete,
                   weight)


def _decide(
    policy: ScoringPolicy, gate: bool | None, complete: bool, total: int, top: int
) -> tuple[ResultStatus, tuple[str, ...]]:
    """Status and reason codes; the veto comes first and is never overridden."""
    if gate is False and not complete:
        return FAIL, (ETHICS_VETO,)  # the veto is final even before the rest is marked
    if not complete:
        return PENDING, (MARKING_INCOMPLETE,)
    reasons = [ETHICS_VETO] if gate is False else []
    if policy.pass_rule == RANKED:
        return (FAIL, tuple(reasons)) if reasons else (PENDING, (AWAITING_RANKING,))
    mark = policy.pass_mark
    assert mark is not None  # checked by ScoringPolicy
    if total * mark.denominator < mark.numerator * top:
        reasons.append(BELOW_PASS_MARK)
    return (FAIL, tuple(reasons)) if reasons else (PASS, ())


def score_attempt(
    items: Sequence[ScoringItem], responses: Mapping[str, Response], policy: ScoringPolicy
) -> Outcome:
    """Score one attempt from its frozen items, responses and policy (idempotent)."""
    form = compile_form(items, policy)
    return outcome_from_row(form, score_row(form, responses))


def score_attempts(
    form: ScoringForm, attempts: Sequence[Mapping[str, Response]]
) -> tuple[list[Row], list[Outcome]]:
    """Score many attempts of one form: their rows (for item analysis) and outcomes."""
    rows = [score_row(form, responses) for responses in attempts]
    return rows, [outcome_from_row(form, row) for row in rows]


def item_points(form: ScoringForm, row: Row) -> dict[str, Fraction | None]:
    """Points per counted item of a row (None while unmarked), for result pages."""
    points: dict[str, Fraction | None] = {}
    for it, value in zip(form.columns, row, strict=True):
        if value != NOT_COUNTED:
            points[it.item_id] = None if value == UNMARKED else Fraction(value, POINT_UNITS)
    return points


def mark_void(outcome: Outcome) -> Outcome:
    """The committee's misconduct ruling (rules s.2): VOID whatever the scores."""
    return replace(outcome, status=VOID, reasons=(MISCONDUCT,))
