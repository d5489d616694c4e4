"""A sitting's exam cycle: open, running, closed, scored, released (issue 18; docs/cycle.md).

"A sitting closes before it is scored": results cannot be computed while any attempt
of the sitting can still be started or is still running. A paper can be begun until
its late-entry window ends; an attempt runs until it is submitted, by the candidate,
a proctor, or its deadline. Only then are the absent absent. After release nothing in
the sitting can start, save or submit. Pure: `now` is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class CycleState(StrEnum):
    OPEN = "open"  # a registered candidate can still begin a paper (its entry window has not ended)
    RUNNING = "running"  # nobody can begin a paper any more, but attempts are still running
    CLOSED = "closed"  # nothing can begin or run: results may be computed
    SCORED = "scored"  # results computed, not released (misconduct rulings, marking, re-computing)
    RELEASED = "released"  # candidates see their results; only re-checks and key corrections change them


def entry_closes_at(starts_at: datetime, late_entry_minutes: int) -> datetime:
    """The end of a paper's late-entry window: the last moment a candidate may begin it."""
    return starts_at + timedelta(minutes=late_entry_minutes)


def entry_open(starts_at: datetime, late_entry_minutes: int, now: datetime) -> bool:
    """Whether a paper may be begun now (from its start to the end of its late-entry window)."""
    return starts_at <= now <= entry_closes_at(starts_at, late_entry_minutes)


@dataclass(frozen=True)
class Unbegun:
    """A paper some registered candidates have not begun."""

    paper: str
    closes_at: datetime  # the end of its late-entry window
    candidates: int


@dataclass(frozen=True)
class SittingFacts:
    """What decides a sitting's state, read by the services."""

    released: bool
    scored: bool  # results exist
    running: int  # attempts in progress or paused (expired ones already closed)
    unbegun: tuple[Unbegun, ...]

    def beginnable(self, now: datetime) -> tuple[Unbegun, ...]:
        """The papers someone can still begin (now or when they start)."""
        return tuple(u for u in self.unbegun if u.candidates > 0 and now <= u.closes_at)

    def entry_ends_at(self, now: datetime) -> datetime | None:
        """When the last entry window that still matters ends; None if nobody can begin a paper."""
        return max((u.closes_at for u in self.beginnable(now)), default=None)

    def closed(self, now: datetime) -> bool:
        """Nothing can begin and nothing runs: results may be computed."""
        return self.running == 0 and not self.beginnable(now)


def state(facts: SittingFacts, now: datetime) -> CycleState:
    """The state of the cycle; released first, then whatever still holds the sitting open."""
    if facts.released:
        return CycleState.RELEASED
    if facts.beginnable(now):
        return CycleState.OPEN
    if facts.running:
        return CycleState.RUNNING
    return CycleState.SCORED if facts.scored else CycleState.CLOSED
