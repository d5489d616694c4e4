"""Statutory interest on a recovered bonus: simple, actual/365, exact, rounded half up once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certexam.domain.interest import (
    RateChange,
    interest_days,
    rate_from_basis_points,
    round_half_up,
    simple_interest_fen,
    statutory_interest_fen,
)

D = date
BONUS = 1_000_000
bp = rate_from_basis_points

# A rate schedule for the tests, shaped like the one-year loan prime rate of 2022-2023.
SCHEDULE = (
    RateChange(D(2023, 8, 21), bp(345)),  # deliberately out of order
    RateChange(D(2022, 8, 22), bp(365)),
    RateChange(D(2023, 6, 20), bp(355)),
)


def test_basis_points() -> None:
    assert bp(310) == Fraction(31, 1000)
    assert bp(0) == 0


@pytest.mark.parametrize(
    ("principal", "rate", "days", "year_days", "expected"),
    [
        (BONUS, bp(345), 365, 365, 34_500),  # a whole year
        (BONUS, bp(345), 1, 365, 95),  # 94.52 fen
        (BONUS, bp(345), 0, 365, 0),
        (BONUS, bp(360), 360, 360, 36_000),  # the 360-day basis when a decision says so
        (1_825_000, bp(1), 1, 365, 1),  # exactly 0.5 fen: half up (banker's rounding would give 0)
        (1_824_999, bp(1), 1, 365, 0),  # just under half
        (5_475_000, bp(1), 1, 365, 2),  # exactly 1.5 fen
    ],
)
def test_simple_interest(principal: int, rate: Fraction, days: int, year_days: int, expected: int) -> None:
    assert simple_interest_fen(principal, rate, days, year_days) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Fraction(5, 2), 3), (Fraction(7, 2), 4), (Fraction(249, 100), 2), (Fraction(0), 0), (Fraction(1, 3), 0)],
)
def test_round_half_up(value: Fraction, expected: int) -> None:
    assert round_half_up(value) == expected


def test_interest_days_skip_the_payment_day() -> None:
    assert interest_days(D(2024, 3, 1), D(2024, 3, 1)) == 0
    assert interest_days(D(2024, 3, 1), D(2024, 3, 2)) == 1
    assert interest_days(D(2023, 3, 1), D(2024, 3, 1)) == 366  # holds 2024-02-29


def test_leap_year_counts_366_days_over_365() -> None:
    # 1,000,000 * 3.45% * 366 / 365 = 34,594.52 fen
    assert statutory_interest_fen(BONUS, D(2023, 3, 1), D(2024, 3, 1), [RateChange(D(2023, 1, 1), bp(345))]) == 34_595


def test_rate_changes_apply_from_their_day() -> None:
    # 2023-06-02..06-19: 18 days at 3.65%; 06-20..08-20: 62 at 3.55%; 08-21..09-01: 12 at 3.45%.
    # 1,000,000 * (18*0.0365 + 62*0.0355 + 12*0.0345) / 365 = 8,964.38 fen
    assert statutory_interest_fen(BONUS, D(2023, 6, 1), D(2023, 9, 1), SCHEDULE) == 8_964


def test_change_effective_on_the_first_interest_day() -> None:
    # Paid 06-19: the first day earning interest is 06-20, already at 3.55%.
    expected = simple_interest_fen(BONUS, bp(355), 10)
    assert statutory_interest_fen(BONUS, D(2023, 6, 19), D(2023, 6, 29), SCHEDULE) == expected


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 10_000_000),
    st.integers(0, 2_000),
    st.dates(D(2021, 1, 1), D(2027, 1, 1)),
    st.integers(0, 2_000),
)
def test_one_rate_schedule_equals_simple_interest(principal: int, rate_bp: int, paid: date, days: int) -> None:
    repaid = date.fromordinal(paid.toordinal() + days)
    rates = [RateChange(D(2020, 1, 1), bp(rate_bp))]
    assert statutory_interest_fen(principal, paid, repaid, rates) == simple_interest_fen(principal, bp(rate_bp), days)


@pytest.mark.parametrize("bad", [1_000_000.0, Decimal(1_000_000), True, "1000000"])
def test_non_integer_principal_is_refused(bad: object) -> None:
    with pytest.raises(TypeError):
        simple_interest_fen(bad, bp(345), 10)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        statutory_interest_fen(bad, D(2023, 1, 1), D(2023, 2, 1), SCHEDULE)  # type: ignore[arg-type]


def test_float_rates_are_refused() -> None:
    with pytest.raises(TypeError):
        simple_interest_fen(BONUS, 0.0345, 10)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        bp(3.45)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        statutory_interest_fen(BONUS, D(2023, 1, 1), D(2023, 2, 1), [RateChange(D(2023, 1, 1), 0.0345)])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: simple_interest_fen(-1, bp(345), 10), ">= 0"),
        (lambda: simple_interest_fen(BONUS, bp(345), -1), ">= 0"),
        (lambda: simple_interest_fen(BONUS, bp(-1), 10), "negative"),
        (lambda: simple_interest_fen(BONUS, bp(345), 10, 0), "year_days"),
        (lambda: statutory_interest_fen(BONUS, D(2023, 2, 1), D(2023, 1, 1), SCHEDULE), "precede"),
        (lambda: statutory_interest_fen(BONUS, D(2022, 1, 1), D(2022, 9, 1), SCHEDULE), "no rate in force on 2022-01-02"),
        (lambda: statutory_interest_fen(BONUS, D(2023, 1, 1), D(2023, 2, 1), []), "no rate"),
        (
            lambda: statutory_interest_fen(
                BONUS, D(2023, 1, 1), D(2023, 2, 1), [RateChange(D(2022, 1, 1), bp(1)), RateChange(D(2022, 1, 1), bp(2))]
            ),
            "same day",
        ),
        (lambda: round_half_up(Fraction(-1, 2)), "never negative"),
    ],
)
def test_bad_inputs(call: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()  # type: ignore[operator]
