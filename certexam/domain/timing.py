"""Attempt clocks: deadlines, accommodations, pauses and the save grace period.

The server's clock is the only authority; the page only displays the
remaining time the server tells it. `now` is always passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

# A save that left the browser just before the deadline may arrive a little
# after it; within this grace it still counts (what-users-expect.md #7).
SAVE_GRACE = timedelta(seconds=15)
# Warnings announced once to screen readers (issue 4: "at 10 and 1 minutes").
WARNINGS_MINUTES = (10, 1)


@dataclass(frozen=True)
class Accommodation:
    extra_minutes: int = 0
    multiplier: Fraction = Fraction(1)

    def problems(self) -> list[str]:
        out = []
        if not 0 <= self.extra_minutes <= 600:
            out.append("extra minutes must be between 0 and 600")
        if not Fraction(1) <= self.multiplier <= Fraction(3):
            out.append("the time multiplier must be between 1 and 3")
        return out


def allowed_time(minutes: int, acc: Accommodation) -> timedelta:
    """The paper's duration for this candidate: multiplied first, then extra minutes added."""
    seconds = Fraction(minutes * 60) * acc.multiplier + acc.extra_minutes * 60
    return timedelta(seconds=int(seconds))


def deadline(started_at: datetime, minutes: int, acc: Accommodation, added: timedelta,
             paused_total: timedelta) -> datetime:
    """When the attempt ends: start + allowed time + time added by staff + time spent paused."""
    return started_at + allowed_time(minutes, acc) + added + paused_total


def remaining(deadline_at: datetime, now: datetime, paused_at: datetime | None = None) -> timedelta:
    """Time left; frozen while paused."""
    reference = paused_at if paused_at is not None else now
    return max(deadline_at - reference, timedelta(0))


def save_accepted(deadline_at: datetime, now: datetime) -> bool:
    """A save counts if it reaches the server before the deadline plus the grace."""
    return now <= deadline_at + SAVE_GRACE


def is_expired(deadline_at: datetime, now: datetime) -> bool:
    """Past the deadline and its grace: the server submits the attempt."""
    return now > deadline_at + SAVE_GRACE


@dataclass(frozen=True)
class SaveDecision:
    store: bool
    reason: str  # "stored" | "stale" | "duplicate"


def decide_save(incoming_seq: int, stored_seq: int | None) -> SaveDecision:
    """Accept a save for one answer slot only if it is newer than what is stored.

    Sequence numbers are per attempt and rise with every change on the page;
    comparing per slot means a late retry of an older change never overwrites
    a newer answer, while saves for other slots arriving out of order still
    count (no acknowledged answer is dropped).
    """
    if stored_seq is None or incoming_seq > stored_seq:
        return SaveDecision(True, "stored")
    if incoming_seq == stored_seq:
        return SaveDecision(False, "duplicate")
    return SaveDecision(False, "stale")
