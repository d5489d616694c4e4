"""Programme statistics, the pure part (issue 23): suppression at its boundaries, rates, progress."""

from __future__ import annotations

from fractions import Fraction

import pytest

from certexam.domain import statistics as st
from certexam.domain.statistics import Shown, Sum

V, SMALL, COMP = Shown.VALUE, Shown.SMALL, Shown.COMPLEMENT


@pytest.mark.parametrize("count,small", [(0, False), (1, True), (4, True), (5, False), (6, False)])
def test_fewer_than_five_people_is_small_and_none_is_not(count: int, small: bool) -> None:
    assert st.is_small(count) is small
    assert st.suppress({"x": count}, []) == {"x": SMALL if small else V}


def test_a_lone_small_cell_takes_the_smallest_other_cell_with_it() -> None:
    # 4 is withheld; 4 = 40 - 30 - 6 would give it away, so the smallest other non-zero cell goes too
    values = {"a": 4, "b": 30, "c": 6, "d": 0, "total": 40}
    shown = st.suppress(values, st.one_way_sums(["a", "b", "c", "d"], "total"))
    assert shown == {"a": SMALL, "b": V, "c": COMP, "d": V, "total": V}


def test_five_is_published_and_needs_no_complement() -> None:
    values = {"a": 5, "b": 30, "c": 6, "total": 41}
    assert set(st.suppress(values, st.one_way_sums(["a", "b", "c"], "total")).values()) == {V}


def test_two_small_cells_protect_each_other() -> None:
    values = {"a": 4, "b": 1, "c": 30, "total": 35}
    shown = st.suppress(values, st.one_way_sums(["a", "b", "c"], "total"))
    assert shown == {"a": SMALL, "b": SMALL, "c": V, "total": V}


def test_a_zero_is_never_the_complement() -> None:
    # withholding the 0 would tell the reader that the two withheld cells add up to the small one
    values = {"a": 3, "b": 0, "c": 9, "total": 12}
    shown = st.suppress(values, st.one_way_sums(["a", "b", "c"], "total"))
    assert shown == {"a": SMALL, "b": V, "c": COMP, "total": V}


def test_when_only_zeros_are_left_the_total_is_withheld() -> None:
    values = {"a": 3, "b": 0, "total": 3}
    shown = st.suppress(values, st.one_way_sums(["a", "b"], "total"))
    assert shown == {"a": SMALL, "b": V, "total": SMALL}
    values = {"a": 2, "b": 0, "c": 0, "total": 7}  # a total other relations fixed at 7 (made up): still withheld
    shown = st.suppress(values, st.one_way_sums(["a", "b", "c"], "total"))
    assert shown["total"] is COMP


def test_two_way_complements_run_until_every_row_and_column_is_safe() -> None:
    # the years x levels table of the seeded programme (tests/statistics_programme.py)
    rows, cols = [2022, 2025, 2026], [1, 2]
    grid = {(2022, 1): 0, (2022, 2): 3, (2025, 1): 10, (2025, 2): 0, (2026, 1): 0, (2026, 2): 5}
    values = dict(grid)
    for r in rows:
        values[(r, "t")] = sum(grid[(r, c)] for c in cols)
    for c in [*cols, "t"]:
        values[("t", c)] = sum(values[(r, c)] for r in rows)
    shown = st.suppress(values, st.two_way_sums(rows, cols, "t", "t"))
    assert shown[(2022, 2)] is SMALL and shown[(2022, "t")] is SMALL
    # the level-2 column would give 3 away (8 - 0 - 5): its 5 goes, and then 2026's total (= that 5)
    assert shown[(2026, 2)] is COMP and shown[(2026, "t")] is COMP
    assert {k for k, s in shown.items() if s is not V} == {(2022, 2), (2022, "t"), (2026, 2), (2026, "t")}
    # no relation is left with exactly one withheld member
    for rel in st.two_way_sums(rows, cols, "t", "t"):
        assert sum(shown[m] is not V for m in (*rel.parts, rel.total)) != 1


def test_a_pass_and_fail_split_withholds_the_other_side_and_keeps_the_total() -> None:
    shown = st.suppress({"passed": 3, "failed": 5, "sat": 8}, [Sum(("passed", "failed"), "sat")])
    assert shown == {"passed": SMALL, "failed": COMP, "sat": V}
    shown = st.suppress({"passed": 5, "failed": 5, "sat": 10}, [Sum(("passed", "failed"), "sat")])
    assert set(shown.values()) == {V}


@pytest.mark.parametrize("value,text", [
    (Fraction(7, 12), "58.3"), (Fraction(19, 32), "59.4"), (Fraction(1, 2), "50.0"), (Fraction(1, 1), "100.0"),
    (Fraction(1, 2000), "0.1"), (Fraction(1, 2001), "0.0"), (Fraction(0), "0.0"), (None, ""),
])
def test_percent_rounds_half_up_without_floats(value: Fraction | None, text: str) -> None:
    assert st.percent(value) == text


def test_rate_and_mean() -> None:
    assert st.rate(7, 12) == Fraction(7, 12)
    assert st.rate(0, 0) is None
    assert st.mean([Fraction(3, 4), Fraction(1, 2)]) == Fraction(5, 8)
    assert st.mean([]) is None


def test_progress_against_the_target_of_the_plan() -> None:
    # rules s.1: 3,000 holders by 2025; 1,709 level-1 and 75 level-2 by October 2022
    assert (st.TARGET_HOLDERS, st.TARGET_YEAR, st.REFERENCE_2022) == (3000, 2025, {1: 1709, 2: 75})
    p = st.Progress(1784)
    assert p.remaining == 1216 and p.share == Fraction(1784, 3000)
    assert p.needed_per_year(2024) == 608  # 2024 and 2025
    assert p.needed_per_year(2025) == 1216
    assert p.needed_per_year(2026) is None
    assert st.Progress(3100).remaining == 0


def test_cumulative_fills_the_years_between() -> None:
    assert st.cumulative({2022: 3, 2025: 10}) == [(2022, 3), (2023, 3), (2024, 3), (2025, 13)]
    assert st.cumulative({}) == []
