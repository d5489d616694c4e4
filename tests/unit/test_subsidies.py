"""Training subsidies' rules at their boundaries (issue 23; rules s.4, items 24-25, 33, 36)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from certexam.domain.budget import Approval, allocate_year
from certexam.domain.subsidies import (
    DEFAULT_RULES,
    KNOWLEDGE_YEARLY_CAP_FEN,
    TRAINING_PROJECT_CAP_FEN,
    TRAINING_YEARLY_CAP_FEN,
    Claim,
    DoubleBenefit,
    Measure,
    MeasureRules,
    double_benefit,
    share_of,
    subsidy_amount,
    within_cap,
    within_measures,
)

YUAN = 100
TRAINING = DEFAULT_RULES[Measure.TRAINING]
KNOWLEDGE = DEFAULT_RULES[Measure.KNOWLEDGE]
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_the_measures_numbers() -> None:
    assert TRAINING_PROJECT_CAP_FEN == 1_000_000 * YUAN
    assert TRAINING_YEARLY_CAP_FEN == 3_000_000 * YUAN
    assert KNOWLEDGE_YEARLY_CAP_FEN == 2_000_000 * YUAN


@pytest.mark.parametrize(("costs", "share"), [
    (200, 100),  # exactly half
    (201, 100),  # half a fen is rounded down: never more than 50 %
    (1, 0),
    (399_999, 199_999),
])
def test_fifty_percent_rounded_down_to_the_fen(costs: int, share: int) -> None:
    assert share_of(costs, 50) == share
    assert subsidy_amount(costs, TRAINING).share_fen == share


@pytest.mark.parametrize(("costs", "amount", "capped"), [
    (2_000_000 * YUAN, TRAINING_PROJECT_CAP_FEN, False),  # 50 % is exactly the cap: paid in full (item 36)
    (2_000_000 * YUAN + 1, TRAINING_PROJECT_CAP_FEN, False),  # 50 % of one fen more rounds down to the cap
    (2_000_000 * YUAN + 2, TRAINING_PROJECT_CAP_FEN, True),  # the share is one fen over: capped
    (2_000_000 * YUAN - 2, TRAINING_PROJECT_CAP_FEN - 1, False),
    (9_000_000 * YUAN, TRAINING_PROJECT_CAP_FEN, True),
])
def test_per_project_cap_at_and_one_fen_over(costs: int, amount: int, capped: bool) -> None:
    result = subsidy_amount(costs, TRAINING)
    assert result.amount_fen == amount
    assert result.capped is capped
    assert result.cap_fen == TRAINING_PROJECT_CAP_FEN


def test_knowledge_work_is_bounded_by_its_yearly_line() -> None:
    at_line = subsidy_amount(2 * KNOWLEDGE_YEARLY_CAP_FEN, KNOWLEDGE)
    assert at_line.amount_fen == KNOWLEDGE_YEARLY_CAP_FEN and not at_line.capped
    over = subsidy_amount(2 * KNOWLEDGE_YEARLY_CAP_FEN + 2, KNOWLEDGE)
    assert over.amount_fen == KNOWLEDGE_YEARLY_CAP_FEN and over.capped


@pytest.mark.parametrize("bad", [1.5, True, "100"])
def test_money_is_integer_fen(bad: object) -> None:
    with pytest.raises(TypeError):
        subsidy_amount(bad, TRAINING)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, -1])
def test_costs_must_be_positive(bad: int) -> None:
    with pytest.raises(ValueError):
        subsidy_amount(bad, TRAINING)


def test_rules_refuse_a_rate_outside_1_to_100() -> None:
    with pytest.raises(ValueError):
        MeasureRules(Measure.TRAINING, 0, None, 1)
    with pytest.raises(ValueError):
        MeasureRules(Measure.TRAINING, 101, None, 1)


def test_within_cap_is_inclusive() -> None:
    assert within_cap(TRAINING_YEARLY_CAP_FEN, TRAINING_YEARLY_CAP_FEN)
    assert not within_cap(TRAINING_YEARLY_CAP_FEN + 1, TRAINING_YEARLY_CAP_FEN)


def _approvals(amounts: list[int]) -> list[Approval]:
    return [Approval(f"S{i}", a, T0 + timedelta(minutes=i), i) for i, a in enumerate(amounts)]


@pytest.mark.parametrize(("cap", "amounts", "funded"), [
    # three projects of RMB 1,000,000 fill the year exactly: all funded (item 36)
    (TRAINING_YEARLY_CAP_FEN, [TRAINING_PROJECT_CAP_FEN] * 3, 3),
    # a fourth waits for next year's budget
    (TRAINING_YEARLY_CAP_FEN, [TRAINING_PROJECT_CAP_FEN] * 4, 3),
    # one fen over the year: the third waits, strict first-come (a later small one does not jump)
    (TRAINING_YEARLY_CAP_FEN, [TRAINING_PROJECT_CAP_FEN, TRAINING_PROJECT_CAP_FEN, TRAINING_PROJECT_CAP_FEN + 1, 1],
     2),
    # the 2,000,000 line of item 25: exactly reached, then one fen over
    (KNOWLEDGE_YEARLY_CAP_FEN, [KNOWLEDGE_YEARLY_CAP_FEN - 1, 1], 2),
    (KNOWLEDGE_YEARLY_CAP_FEN, [KNOWLEDGE_YEARLY_CAP_FEN - 1, 2], 1),
])
def test_yearly_caps_through_the_bonus_queue(cap: int, amounts: list[int], funded: int) -> None:
    allocation = allocate_year(2026, _approvals(amounts), 0, cap)
    assert len(allocation.funded) == funded
    assert allocation.committed_after_fen <= cap


def test_the_two_measures_budgets_are_separate() -> None:
    # Item 24's year being full says nothing about item 25's: each is allocated with its own cap.
    full = allocate_year(2026, _approvals([1]), TRAINING_YEARLY_CAP_FEN, TRAINING.yearly_cap_fen)
    free = allocate_year(2026, _approvals([1]), 0, KNOWLEDGE.yearly_cap_fen)
    assert full.funded == () and len(free.funded) == 1


def claim(ref: str, project: str, audit: str, measure: Measure = Measure.TRAINING) -> Claim:
    return Claim(ref, project, audit, measure)


def test_no_double_benefit() -> None:
    live = [claim("A", "91440300MA5DEM0001/P-1", "深审字[2026]001号")]
    assert double_benefit(claim("B", "91440300MA5DEM0001/P-2", "深审字[2026]002号"), live, True) == []
    # the same project, asked again under the other measure (item 33: funded once)
    assert double_benefit(claim("B", "91440300ma5dem0001/p-1", "X-9", Measure.KNOWLEDGE), live, True) == [
        DoubleBenefit.SAME_PROJECT]
    # the same audited costs behind a different project code (full-width and spaces do not hide it)
    assert double_benefit(claim("B", "other/P-7", "深审字［2026］ 001号"), live, True) == [DoubleBenefit.SAME_AUDIT]
    # no declaration of no same-kind city-level subsidy
    assert double_benefit(claim("B", "other/P-8", "X-8"), live, False) == [DoubleBenefit.NO_DECLARATION]
    # a claim is not its own double
    assert double_benefit(live[0], live, True) == []


def test_within_the_measures_validity() -> None:
    first, last = date(2022, 4, 7), date(2027, 4, 6)
    assert within_measures(first, first, last) and within_measures(last, first, last)
    assert not within_measures(first - timedelta(days=1), first, last)
    assert not within_measures(last + timedelta(days=1), first, last)
