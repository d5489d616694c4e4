"""The demo's calendar: when each part of its story happened, and running services at that time.

The story is dated backwards from the day the demo is loaded, so its dates
stay consistent whenever it runs: a level-1 sitting about three months ago
whose results came out two months after the exam, a level-2 sitting whose
results came out a few days ago (re-checks still open), holders whose
certificates are three years old, and bonus applications spread over this
budget year.

Services read the time from certexam.services.platform.clock; its CLOCK
setting is the one hook that moves "now" for every feature (the bonus use
cases also take `now`, which the demo passes where it can). `story()` installs
a settable clock for the whole load and gives it back afterwards. The audit
log takes its times from the same clock, so its entries carry the story's
dates (in the order the demo wrote them, not in date order).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app

from certexam.domain.bonus_facts import BonusPolicy
from certexam.services.platform import clock

SATURDAY = 5


class DemoClock:
    """A clock the loader sets to each moment of the story (services read it through CLOCK)."""

    def __init__(self, start: datetime) -> None:
        self.start = start.astimezone(UTC)  # the real time the load began: the story's "now"
        self.moment = self.start

    def __call__(self) -> datetime:
        return self.moment

    def set(self, when: datetime) -> datetime:
        """Move the clock to `when` (kept in UTC, as every clock of the platform answers)."""
        self.moment = when.astimezone(UTC)
        return self.moment


@contextmanager
def story() -> Iterator[DemoClock]:
    """Install the demo clock (starting at the real now) and keep demo mail in memory.

    The simulated people have made-up addresses; results and re-check mail for
    them goes to the memory outbox and is dropped afterwards.
    """
    cfg = current_app.config
    saved = {key: cfg.get(key) for key in ("CLOCK", "MAIL_BACKEND")}
    outbox = current_app.extensions.get("certexam.outbox")
    kept = len(outbox) if outbox is not None else 0
    demo = DemoClock(clock.now())
    cfg["CLOCK"], cfg["MAIL_BACKEND"] = demo, "memory"
    try:
        yield demo
    finally:
        for key, value in saved.items():
            if value is None:
                cfg.pop(key, None)
            else:
                cfg[key] = value
        box = current_app.extensions.get("certexam.outbox")
        if box is not None:
            del box[kept:]


def local(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """A moment given in Shenzhen time (how the programme dates things), in UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=clock.PROGRAMME_TZ).astimezone(UTC)


def saturday_on_or_before(day: date) -> date:
    return day - timedelta(days=(day.weekday() - SATURDAY) % 7)


def working_day_on_or_after(day: date) -> date:
    cal = clock.calendar()
    return day if cal.is_working_day(day) else cal.next_working_day(day)


def working_day_on_or_before(day: date) -> date:
    cal = clock.calendar()
    while not cal.is_working_day(day):
        day -= timedelta(days=1)
    return day


@dataclass(frozen=True)
class Timeline:
    """The story's days, all before `today` (Asia/Shanghai)."""

    today: date
    l1_exam: date  # a Saturday about 100 days ago
    l1_release: date  # rules s.2: "Results about two months after the exam"
    l2_exam: date
    l2_release: date  # a few working days ago: the 10 working days for re-checks are still running
    l2_marking_exam: date  # a second level-2 sitting whose written answers are being marked
    bonus_today: date  # the bonus story's "today": today, or the measures' last day once they have ended
    budget_year: int  # the bonus budget year the story fills (this year, after its first three weeks)
    holders_passed: date  # the bonus holders' level-2 pass (three years before that year)
    holders_issued: date  # and their certificates
    social_insurance: date  # the day the administrator imported a contribution file


def timeline(today: date) -> Timeline:
    l1_exam = saturday_on_or_before(today - timedelta(days=100))
    l2_exam = saturday_on_or_before(today - timedelta(days=66))
    # rules s.3, item 38: the measures run five years from 2022-04-07; nobody can apply after that.
    bonus_today = min(today, BonusPolicy().measures_last_day)
    budget_year = (bonus_today - timedelta(days=21)).year
    holders_issued = working_day_on_or_after(date(budget_year - 3, 1, 10))
    return Timeline(
        today=today,
        l1_exam=l1_exam,
        l1_release=working_day_on_or_after(l1_exam + timedelta(days=60)),
        l2_exam=l2_exam,
        l2_release=working_day_on_or_before(today - timedelta(days=3)),
        l2_marking_exam=saturday_on_or_before(today - timedelta(days=12)),
        bonus_today=bonus_today,
        budget_year=budget_year,
        holders_passed=saturday_on_or_before(holders_issued - timedelta(days=50)),
        holders_issued=holders_issued,
        social_insurance=working_day_on_or_after(date(budget_year - 1, 2, 3)),
    )
