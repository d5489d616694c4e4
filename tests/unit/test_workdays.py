"""Working-day calendar: weekends, public holidays and make-up working days (调休)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certexam.domain.workdays import WorkCalendar

D = date


def days(first: date, last: date) -> set[date]:
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


# Test fixture: the 2025 arrangement published by the State Council General Office.
CN_2025 = WorkCalendar(
    holidays=frozenset(
        {D(2025, 1, 1)}
        | days(D(2025, 1, 28), D(2025, 2, 4))  # Spring Festival
        | days(D(2025, 4, 4), D(2025, 4, 6))  # Qingming
        | days(D(2025, 5, 1), D(2025, 5, 5))  # Labour Day
        | days(D(2025, 5, 31), D(2025, 6, 2))  # Dragon Boat
        | days(D(2025, 10, 1), D(2025, 10, 8))  # National Day and Mid-Autumn
    ),
    extra_workdays=frozenset({D(2025, 1, 26), D(2025, 2, 8), D(2025, 4, 27), D(2025, 9, 28), D(2025, 10, 11)}),
)
PLAIN = WorkCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 3, 3), True),  # Monday
        (D(2025, 3, 8), False),  # Saturday
        (D(2025, 3, 9), False),  # Sunday
        (D(2025, 10, 1), False),  # Wednesday, National Day
        (D(2025, 9, 28), True),  # Sunday, made up
        (D(2025, 10, 11), True),  # Saturday, made up
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert CN_2025.is_working_day(day) is working


@pytest.mark.parametrize(
    ("calendar", "start", "n", "expected"),
    [
        (PLAIN, D(2024, 3, 1), 10, D(2024, 3, 15)),  # Friday + 10: two full weeks
        (PLAIN, D(2024, 3, 1), 1, D(2024, 3, 4)),  # the start day is not counted
        (PLAIN, D(2024, 3, 2), 1, D(2024, 3, 4)),  # from a Saturday
        (PLAIN, D(2024, 3, 4), 0, D(2024, 3, 4)),
        # Re-check within 10 working days of a Friday release before National Day:
        # 9/28 (made up), 9/29, 9/30, [10/1-10/8 off], 10/9, 10/10, 10/11 (made up), 10/13 .. 10/16.
        (CN_2025, D(2025, 9, 26), 10, D(2025, 10, 16)),
        (CN_2025, D(2025, 1, 24), 5, D(2025, 2, 7)),  # across the Spring Festival
        (CN_2025, D(2025, 5, 3), 1, D(2025, 5, 6)),  # from inside a holiday
    ],
)
def test_add_working_days(calendar: WorkCalendar, start: date, n: int, expected: date) -> None:
    assert calendar.add_working_days(start, n) == expected


def test_add_working_days_counts_forward_only() -> None:
    with pytest.raises(ValueError, match="forward"):
        PLAIN.add_working_days(D(2024, 3, 1), -1)


def test_next_working_day() -> None:
    assert CN_2025.next_working_day(D(2025, 4, 25)) == D(2025, 4, 27)  # Friday -> made-up Sunday
    assert CN_2025.next_working_day(D(2025, 4, 30)) == D(2025, 5, 6)


@pytest.mark.parametrize(
    ("first", "n", "expected"),
    [
        (D(2025, 3, 3), 5, D(2025, 3, 7)),  # notice Monday to Friday: the first day counts
        (D(2025, 4, 28), 5, D(2025, 5, 7)),  # 4/28-4/30, then 5/6 and 5/7 after Labour Day
        (D(2025, 4, 26), 1, D(2025, 4, 27)),  # begins on a Saturday: the made-up Sunday is day 1
        (D(2025, 3, 8), 1, D(2025, 3, 10)),  # begins on a weekend: Monday is day 1
    ],
)
def test_span_end_counts_the_first_day(first: date, n: int, expected: date) -> None:
    assert CN_2025.span_end(first, n) == expected


def test_span_needs_a_day() -> None:
    with pytest.raises(ValueError, match="at least one"):
        CN_2025.span_end(D(2025, 3, 3), 0)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2025, 9, 26), D(2025, 10, 16), 10),
        (D(2025, 9, 30), D(2025, 10, 8), 0),  # the whole holiday
        (D(2025, 3, 3), D(2025, 3, 3), 0),
        (D(2025, 3, 7), D(2025, 3, 3), 0),  # end before start
        (D(2025, 3, 2), D(2025, 3, 3), 1),  # end included
    ],
)
def test_working_days_between(start: date, end: date, expected: int) -> None:
    assert CN_2025.working_days_between(start, end) == expected


@settings(max_examples=200, deadline=None)
@given(st.dates(D(2024, 12, 1), D(2025, 11, 30)), st.integers(0, 40))
def test_between_inverts_add(start: date, n: int) -> None:
    end = CN_2025.add_working_days(start, n)
    assert CN_2025.working_days_between(start, end) == n
    assert n == 0 or CN_2025.is_working_day(end)


def test_deadline_check() -> None:
    release = D(2025, 9, 26)
    assert CN_2025.is_within(release, 10, D(2025, 10, 16))
    assert not CN_2025.is_within(release, 10, D(2025, 10, 17))


def test_a_day_cannot_be_both_holiday_and_workday() -> None:
    with pytest.raises(ValueError, match="2025-10-01"):
        WorkCalendar(holidays=frozenset({D(2025, 10, 1)}), extra_workdays=frozenset({D(2025, 10, 1)}))
