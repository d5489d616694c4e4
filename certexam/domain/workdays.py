"""A working-day calendar with public holidays and make-up working days (调休).

Used for deadlines counted in working days: a re-check asked for within 10
working days of the results (rules s.2, "A re-check must be asked for within
10 working days; the answer comes within 5 working days") and the public
notice period before a bonus is paid (rules s.3, "a public notice period
(公示, e.g. 5 working days)").

Counting conventions (both documented because they differ in practice):

* :meth:`WorkCalendar.add_working_days` does **not** count the start day, as
  for any period in days under Chinese law (Civil Code art. 201: "开始的当日
  不计入"): 10 working days from a Friday release end on the 10th working day
  after it, and that last day is included in the deadline.
* :meth:`WorkCalendar.span_end` **does** count its first day when that day is
  a working day: a notice published on a Monday for 5 working days runs
  Monday to Friday, as notices are announced.

The calendar holds no data of its own: the State Council publishes each
year's holidays and make-up days late in the previous year, so the sets are
configuration passed in, not constants here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

SATURDAY = 5
"""date.weekday() of Saturday; Saturday and Sunday are rest days unless made up."""

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class WorkCalendar:
    """Weekdays are working days, except `holidays`; `extra_workdays` are weekend days worked."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        both = self.holidays & self.extra_workdays
        if both:
            first = min(both)
            raise ValueError(f"{first.isoformat()} is both a holiday and a make-up working day")

    def is_working_day(self, day: date) -> bool:
        """True when `day` is a working day."""
        if day in self.extra_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < SATURDAY

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        return self.add_working_days(day, 1)

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (start not counted); n == 0 gives `start`."""
        if n < 0:
            raise ValueError("count working days forward only")
        day = start
        remaining = n
        while remaining:
            day += _ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day

    def span_end(self, first: date, n: int) -> date:
        """Last day of a span of `n` working days that begins on `first` (counted if working)."""
        if n < 1:
            raise ValueError("a span holds at least one working day")
        return self.add_working_days(first - _ONE_DAY, n)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: start excluded, end included; 0 when end <= start.

        The inverse of :meth:`add_working_days`:
        ``working_days_between(d, add_working_days(d, n)) == n``.
        """
        count = 0
        day = start + _ONE_DAY
        while day <= end:
            if self.is_working_day(day):
                count += 1
            day += _ONE_DAY
        return count

    def is_within(self, start: date, n: int, day: date) -> bool:
        """True when `day` falls no later than `n` working days after `start` (a deadline test)."""
        return day <= self.add_working_days(start, n)
