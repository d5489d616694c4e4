"""Yearly bonus budget: the cap is inclusive, the queue is strict first-come, waiting moves on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from certexam.domain.budget import (
    BONUS_YEARLY_CAP_FEN,
    Approval,
    YearBudget,
    allocate_year,
    budget_year,
    queue_order,
    schedule,
)

BONUS = 1_000_000  # RMB 10,000 in fen
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def approval(ref: str, minutes: int, amount: int = BONUS, sequence: int = 0) -> Approval:
    return Approval(ref, amount, T0 + timedelta(minutes=minutes), sequence)


def test_cap_is_rmb_three_million() -> None:
    assert BONUS_YEARLY_CAP_FEN == 300 * BONUS


@pytest.mark.parametrize(
    ("committed", "amount", "funded"),
    [
        (BONUS_YEARLY_CAP_FEN - BONUS, BONUS, True),  # reaches the cap exactly: allowed (item 36)
        (BONUS_YEARLY_CAP_FEN - BONUS + 1, BONUS, False),  # one fen over: waits
        (BONUS_YEARLY_CAP_FEN, 1, False),
        (0, BONUS_YEARLY_CAP_FEN, True),
        (0, BONUS_YEARLY_CAP_FEN + 1, False),
    ],
)
def test_cap_boundary(committed: int, amount: int, funded: bool) -> None:
    result = allocate_year(2024, [approval("A", 0, amount)], committed)
    assert (len(result.funded) == 1) is funded
    assert (len(result.waiting) == 1) is (not funded)
    assert result.committed_after_fen <= BONUS_YEARLY_CAP_FEN
    if funded:
        assert result.committed_after_fen == committed + amount


def test_three_hundred_bonuses_fill_a_year_exactly() -> None:
    queue = [approval(f"A{i:03d}", i) for i in range(301)]
    result = allocate_year(2024, queue)
    assert len(result.funded) == 300
    assert result.remaining_fen == 0
    assert [a.ref for a in result.waiting] == ["A300"]


def test_strict_fifo_a_later_smaller_approval_does_not_jump() -> None:
    queue = [approval("big", 1, 3 * BONUS), approval("first", 0, BONUS), approval("small", 2, 1)]
    result = allocate_year(2024, queue, committed_fen=BONUS_YEARLY_CAP_FEN - 2 * BONUS)
    assert [a.ref for a in result.funded] == ["first"]
    assert [a.ref for a in result.waiting] == ["big", "small"]
    assert result.remaining_fen == BONUS


def test_equal_times_are_ordered_by_sequence() -> None:
    queue = [approval("second", 0, sequence=2), approval("first", 0, sequence=1)]
    assert [a.ref for a in queue_order(queue)] == ["first", "second"]


def test_order_uses_the_instant_not_the_wall_clock() -> None:
    hk = timezone(timedelta(hours=8))
    early = Approval("early", BONUS, datetime(2024, 3, 1, 16, 0, tzinfo=hk))  # 08:00 UTC
    late = Approval("late", BONUS, datetime(2024, 3, 1, 8, 30, tzinfo=UTC))
    assert [a.ref for a in queue_order([late, early])] == ["early", "late"]


def test_queue_moves_to_next_years_in_order() -> None:
    queue = [approval(f"A{i}", i) for i in range(7)]
    budgets = [
        YearBudget(2024, cap_fen=5 * BONUS, committed_fen=3 * BONUS),
        YearBudget(2025, cap_fen=3 * BONUS),
        YearBudget(2026, cap_fen=1 * BONUS),
    ]
    plan = schedule(queue, budgets)
    assert [[a.ref for a in y.funded] for y in plan.years] == [["A0", "A1"], ["A2", "A3", "A4"], ["A5"]]
    assert [a.ref for a in plan.unfunded] == ["A6"]
    assert plan.year_of("A3") == 2025
    assert plan.year_of("A6") is None
    assert [y.remaining_fen for y in plan.years] == [0, 0, 0]


def test_schedule_with_room_left_funds_everyone() -> None:
    plan = schedule([approval("A", 0), approval("B", 1)], [YearBudget(2024), YearBudget(2025)])
    assert [a.ref for a in plan.years[0].funded] == ["A", "B"]
    assert plan.years[1].funded == () and plan.unfunded == ()


def test_schedule_years_must_increase() -> None:
    with pytest.raises(ValueError, match="increasing"):
        schedule([], [YearBudget(2025), YearBudget(2024)])
    with pytest.raises(ValueError, match="increasing"):
        schedule([], [YearBudget(2025), YearBudget(2025)])


@pytest.mark.parametrize("bad", [1_000_000.0, Decimal(1_000_000), "1000000", True])
def test_non_integer_amounts_are_refused(bad: object) -> None:
    with pytest.raises(TypeError):
        Approval("A", bad, T0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        allocate_year(2024, [], committed_fen=bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        allocate_year(2024, [], cap_fen=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"committed_fen": BONUS_YEARLY_CAP_FEN + 1}, "over the cap"),
        ({"committed_fen": -1}, "negative"),
    ],
)
def test_bad_budget_figures(kwargs: dict[str, int], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        allocate_year(2024, [], **kwargs)


def test_bad_approvals() -> None:
    with pytest.raises(ValueError, match="positive"):
        Approval("A", 0, T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        Approval("A", BONUS, datetime(2024, 3, 1, 9, 0))  # naive: the point of the test
    with pytest.raises(ValueError, match="twice"):
        queue_order([approval("A", 0), approval("A", 1)])
    with pytest.raises(ValueError, match="share a place"):
        queue_order([approval("A", 0), approval("B", 0)])


def test_budget_year_is_the_calendar_year() -> None:
    assert budget_year(date(2024, 12, 31)) == 2024
    assert budget_year(date(2025, 1, 1)) == 2025
