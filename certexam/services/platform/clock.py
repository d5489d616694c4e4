"""One clock and one working-day calendar for every feature.

Every use case asks this module what time it is, what day it is in the
programme's time zone, and which day is the n-th working day after another.
Before it there were three ways to compute "today in Shanghai" and two
holiday settings parsed differently (issue 17), so a re-check deadline and a
bonus notice could disagree about the same public holiday.

Tests and demos move time through one hook: the ``CLOCK`` setting, a callable
returning an aware UTC datetime. Domain code never reads a clock; it is given
``now`` by the services, which get it from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from certexam.domain.workdays import WorkCalendar

PROGRAMME_TZ = ZoneInfo("Asia/Shanghai")
"""rules s.1: a Shenzhen programme; its business day is Shenzhen's calendar day, and times are shown
in Asia/Shanghai while the database keeps UTC."""

HOLIDAY_SETTINGS = ("HOLIDAYS", "BONUS_HOLIDAYS", "RESULTS_HOLIDAYS")
EXTRA_WORKDAY_SETTINGS = ("EXTRA_WORKDAYS", "BONUS_EXTRA_WORKDAYS", "RESULTS_EXTRA_WORKDAYS")
"""The State Council publishes each year's public holidays and make-up working days (调休) late in
the year before, so they are settings (ISO dates, a list or a comma/space separated string).
HOLIDAYS and EXTRA_WORKDAYS are the names; the per-feature names of earlier versions are still read
and joined in, so an instance config written for them keeps working."""


def now(at: datetime | None = None) -> datetime:
    """`at` if given, else the CLOCK setting (a callable; tests fix or advance it), else the wall clock.

    Outside an app context (a plain script) there is no setting to read: the wall clock.
    """
    if at is not None:
        return at
    hook = current_app.config.get("CLOCK") if has_app_context() else None
    if not callable(hook):
        return datetime.now(UTC)
    # Always UTC: the audit chain hashes the time as written, and the database stores UTC.
    return hook().astimezone(UTC)  # type: ignore[no-any-return]


def local_date(at: datetime) -> date:
    """The calendar day in Shenzhen at instant `at`."""
    return at.astimezone(PROGRAMME_TZ).date()


def today(at: datetime | None = None) -> date:
    """Today in the programme's time zone (or the day of `at`)."""
    return local_date(now(at))


def parse_dates(raw: Any) -> frozenset[date]:
    """ISO dates from a setting: a list of dates or strings, or one comma/space separated string."""
    if isinstance(raw, str):
        raw = [part for part in raw.replace(",", " ").split() if part]
    return frozenset(d if isinstance(d, date) else date.fromisoformat(str(d)) for d in raw or ())


def _union(names: Iterable[str]) -> frozenset[date]:
    days: frozenset[date] = frozenset()
    for name in names:
        days |= parse_dates(current_app.config.get(name, ()))
    return days


def calendar() -> WorkCalendar:
    """The working-day calendar every deadline uses: weekends, holidays and make-up days."""
    return WorkCalendar(holidays=_union(HOLIDAY_SETTINGS), extra_workdays=_union(EXTRA_WORKDAY_SETTINGS))


def working_day_after(start: date, n: int) -> date:
    """The n-th working day after `start`, `start` not counted (Civil Code art. 201)."""
    return calendar().add_working_days(start, n)
