"""Day arithmetic for the bonus: unions of employment periods, years later.

Periods are handled as half-open day ranges ``[start, stop)`` so that
adjacent jobs (one ends on the 31st, the next starts on the 1st) join
without a gap and overlapping jobs count once (rules s.3, item 26: "合计满2年",
a cumulative two years).  ``stop=None`` is a job still running.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)
FEBRUARY = 2
LEAP_DAY = 29


@dataclass(frozen=True)
class Span:
    """Days from `start` up to, not including, `stop`; open-ended when stop is None."""

    start: date
    stop: date | None

    def __post_init__(self) -> None:
        if self.stop is not None and self.stop < self.start:
            raise ValueError(f"span stops ({self.stop}) before it starts ({self.start})")

    def last_day(self) -> date | None:
        """The last day inside the span (None when open-ended); undefined for empty spans."""
        return None if self.stop is None else self.stop - ONE_DAY


def years_later(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February falls to 1 March in common years.

    A period of n years that starts on `day` (counted) ends the day before
    this date.  For a start on 29 February this makes 28 February the last
    day, the month's last day as Civil Code art. 202 prescribes when the
    final month has no corresponding day.
    """
    target = day.year + years
    if day.month == FEBRUARY and day.day == LEAP_DAY and not calendar.isleap(target):
        return date(target, 3, 1)
    return day.replace(year=target)


def merge(spans: Iterable[Span]) -> tuple[Span, ...]:
    """Union of spans as disjoint, sorted spans; touching spans join, empty ones vanish."""
    merged: list[Span] = []
    for span in sorted((s for s in spans if s.stop is None or s.stop > s.start), key=lambda s: s.start):
        if merged:
            last = merged[-1]
            if last.stop is None or span.start <= last.stop:
                stop = None if last.stop is None or span.stop is None else max(last.stop, span.stop)
                merged[-1] = Span(last.start, stop)
                continue
        merged.append(span)
    return tuple(merged)


def clip(spans: Iterable[Span], lo: date | None, hi: date | None) -> tuple[Span, ...]:
    """Parts of disjoint `spans` inside ``[lo, hi)``; None leaves that side open."""
    out: list[Span] = []
    for span in spans:
        start = span.start if lo is None else max(span.start, lo)
        if hi is None:
            stop = span.stop
        else:
            stop = hi if span.stop is None else min(span.stop, hi)
        if stop is None or stop > start:
            out.append(Span(start, stop))
    return tuple(out)


def days_in(spans: Iterable[Span]) -> int:
    """Number of days in disjoint, bounded spans."""
    total = 0
    for span in spans:
        if span.stop is None:
            raise ValueError("cannot count the days of an open-ended span")
        total += (span.stop - span.start).days
    return total


def nth_day(spans: Iterable[Span], n: int) -> date | None:
    """The n-th day (1-based) covered by disjoint sorted `spans`, None if they hold fewer."""
    if n < 1:
        raise ValueError("n counts from 1")
    remaining = n
    for span in spans:
        if span.stop is None:
            return span.start + timedelta(days=remaining - 1)
        length = (span.stop - span.start).days
        if remaining <= length:
            return span.start + timedelta(days=remaining - 1)
        remaining -= length
    return None
