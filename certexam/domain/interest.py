"""Statutory interest on a bonus recovered for fraud.

Rules s.3, item 34: money obtained by fraud is recovered "及其法定利息" (with
statutory interest).  The measures name no rate, so the rate is an input: the
recovery decision fixes it (usually the one-year loan prime rate in force),
and it may change during the period, hence a schedule of rates.

Conventions, chosen here and applied everywhere:

* simple interest, never compounded;
* the days run from the day after payment to the day of repayment, both
  included, i.e. ``(repaid_on - paid_on).days`` (Civil Code art. 201: the
  first day of a period counted in days is not counted);
* a day earns ``annual_rate / YEAR_BASIS_DAYS`` (actual/365, leap years too);
* the exact sum is rounded once, half up, to whole fen (四舍五入).

Arithmetic is exact (Fraction): amounts are integer fen and rates Fractions,
so no float ever enters; floats are refused with TypeError.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

YEAR_BASIS_DAYS = 365
"""Day-count basis (actual/365).  The People's Bank's rules for bank loans use
360; pass year_days=360 where a decision says so."""

BASIS_POINTS_PER_UNIT = 10_000
"""One basis point is 1/10,000 of the amount (0.01 %); loan prime rates are quoted in them."""

_HALF = Fraction(1, 2)


def _require_int(value: object, name: str) -> int:
    # bool is an int subclass but never an amount; floats would lose fen.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return value


def _require_rate(value: object) -> Fraction:
    if not isinstance(value, Fraction):
        raise TypeError(f"annual_rate must be a Fraction, got {type(value).__name__}")
    if value < 0:
        raise ValueError("annual_rate must not be negative")
    return value


def rate_from_basis_points(bp: int) -> Fraction:
    """An annual rate from basis points: 310 -> 3.10 % = Fraction(31, 1000)."""
    return Fraction(_require_int(bp, "bp"), BASIS_POINTS_PER_UNIT)


def round_half_up(amount: Fraction) -> int:
    """Round a non-negative exact amount of fen to whole fen, halves upward."""
    if amount < 0:
        raise ValueError("interest is never negative")
    return math.floor(amount + _HALF)


def _exact_interest(principal_fen: int, annual_rate: Fraction, days: int, year_days: int) -> Fraction:
    return principal_fen * annual_rate * days / year_days


def simple_interest_fen(
    principal_fen: int, annual_rate: Fraction, days: int, year_days: int = YEAR_BASIS_DAYS
) -> int:
    """principal * rate * days / year_days, rounded half up to whole fen."""
    _require_int(principal_fen, "principal_fen")
    _require_int(days, "days")
    _require_int(year_days, "year_days")
    if principal_fen < 0 or days < 0 or year_days <= 0:
        raise ValueError("principal and days must be >= 0 and year_days > 0")
    return round_half_up(_exact_interest(principal_fen, _require_rate(annual_rate), days, year_days))


@dataclass(frozen=True)
class RateChange:
    """From `effective_from` (inclusive) on, interest accrues at `annual_rate`."""

    effective_from: date
    annual_rate: Fraction


def interest_days(paid_on: date, repaid_on: date) -> int:
    """Days earning interest: from the day after payment to repayment, inclusive."""
    if repaid_on < paid_on:
        raise ValueError("repayment cannot precede payment")
    return (repaid_on - paid_on).days


def statutory_interest_fen(
    principal_fen: int,
    paid_on: date,
    repaid_on: date,
    rates: Sequence[RateChange],
    year_days: int = YEAR_BASIS_DAYS,
) -> int:
    """Interest on `principal_fen` paid out on `paid_on` and recovered on `repaid_on`.

    Each day in (paid_on, repaid_on] accrues at the rate in force that day
    (the latest change effective on or before it); the exact total is
    rounded once, not per segment.
    """
    _require_int(principal_fen, "principal_fen")
    _require_int(year_days, "year_days")
    if principal_fen < 0 or year_days <= 0:
        raise ValueError("principal must be >= 0 and year_days > 0")
    days = interest_days(paid_on, repaid_on)
    if days == 0:
        return 0
    schedule = sorted(rates, key=lambda r: r.effective_from)
    for change in schedule:
        _require_rate(change.annual_rate)
    if len({c.effective_from for c in schedule}) != len(schedule):
        raise ValueError("two rates take effect on the same day")
    first_day = paid_on + timedelta(days=1)
    if not schedule or schedule[0].effective_from > first_day:
        raise ValueError(f"no rate in force on {first_day.isoformat()}")

    total = Fraction(0)
    for i, change in enumerate(schedule):
        seg_start = max(change.effective_from, first_day)
        nxt = schedule[i + 1].effective_from if i + 1 < len(schedule) else None
        # Segment [seg_start, seg_end] inclusive, clipped to the interest period.
        seg_end = repaid_on if nxt is None else min(repaid_on, nxt - timedelta(days=1))
        if seg_end >= seg_start:
            seg_days = (seg_end - seg_start).days + 1
            total += _exact_interest(principal_fen, change.annual_rate, seg_days, year_days)
    return round_half_up(total)
