"""The yearly budget for holder bonuses: who is funded this year, who waits.

Rules s.3, item 26: "每年安排不超过300万元" (at most RMB 3,000,000 a year);
item 36: "不超过" includes the number itself, so a year may be filled exactly.

Approved applications form a first-come queue ordered by approval time (then
by sequence number for equal times).  The queue is strict FIFO: funding stops
at the first approval that does not fit the rest of the year's budget, and a
later, smaller approval does **not** jump ahead of it, even if it would fit.
Every bonus is the same RMB 10,000, so with the default cap nothing could
jump anyway; strict order keeps the rule simple to explain to an applicant
("you are n-th in line") when amounts ever differ.  Approvals that wait move,
in the same order, to the next year's budget.

Money is integer fen; floats (and bools) are refused with TypeError.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

BONUS_YEARLY_CAP_FEN = 300_000_000
"""rules s.3, item 26: at most RMB 3,000,000 a year for the bonus (item 36: inclusive)."""


def budget_year(day: date) -> int:
    """The budget year of a day: the calendar year (PRC Budget Law art. 18, 1 Jan - 31 Dec)."""
    return day.year


def require_fen(value: object, name: str) -> int:
    """Return `value` if it is an int amount of fen; TypeError for floats, bools and the rest."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be integer fen, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class Approval:
    """One approved application waiting for money."""

    ref: str
    amount_fen: int
    approved_at: datetime
    sequence: int = 0

    def __post_init__(self) -> None:
        if require_fen(self.amount_fen, "amount_fen") <= 0:
            raise ValueError("an approval's amount must be positive")
        if self.approved_at.tzinfo is None or self.approved_at.utcoffset() is None:
            raise ValueError("approved_at must be timezone-aware")


def queue_order(approvals: Iterable[Approval]) -> tuple[Approval, ...]:
    """Approvals in first-come order; ValueError on duplicate refs or ambiguous order."""
    ordered = tuple(sorted(approvals, key=lambda a: (a.approved_at, a.sequence)))
    if len({a.ref for a in ordered}) != len(ordered):
        raise ValueError("an application appears twice in the queue")
    for before, after in zip(ordered, ordered[1:], strict=False):
        if (before.approved_at, before.sequence) == (after.approved_at, after.sequence):
            raise ValueError(f"{before.ref} and {after.ref} share a place in the queue")
    return ordered


@dataclass(frozen=True)
class YearAllocation:
    """The outcome for one budget year."""

    year: int
    cap_fen: int
    committed_before_fen: int
    funded: tuple[Approval, ...]
    waiting: tuple[Approval, ...]

    @property
    def committed_after_fen(self) -> int:
        """Committed in the year once the funded approvals are added."""
        return self.committed_before_fen + sum(a.amount_fen for a in self.funded)

    @property
    def remaining_fen(self) -> int:
        """Budget left in the year."""
        return self.cap_fen - self.committed_after_fen


def allocate_year(
    year: int,
    queue: Iterable[Approval],
    committed_fen: int = 0,
    cap_fen: int = BONUS_YEARLY_CAP_FEN,
) -> YearAllocation:
    """Fund approvals in first-come order until the next one would pass the cap."""
    require_fen(committed_fen, "committed_fen")
    require_fen(cap_fen, "cap_fen")
    if cap_fen < 0 or committed_fen < 0:
        raise ValueError("cap and committed amounts must not be negative")
    if committed_fen > cap_fen:
        raise ValueError(f"{year}: already committed {committed_fen} fen, over the cap of {cap_fen}")
    ordered = queue_order(queue)
    room = cap_fen - committed_fen
    taken = 0
    for approval in ordered:
        # rules s.3, item 36: "不超过" includes the number, so amount == room fits.
        if approval.amount_fen > room:
            break
        room -= approval.amount_fen
        taken += 1
    return YearAllocation(
        year=year,
        cap_fen=cap_fen,
        committed_before_fen=committed_fen,
        funded=ordered[:taken],
        waiting=ordered[taken:],
    )


@dataclass(frozen=True)
class YearBudget:
    """A year's cap and what is already committed in it."""

    year: int
    cap_fen: int = BONUS_YEARLY_CAP_FEN
    committed_fen: int = 0


@dataclass(frozen=True)
class Schedule:
    """Allocations year by year, and the approvals no listed year could fund."""

    years: tuple[YearAllocation, ...]
    unfunded: tuple[Approval, ...]

    def year_of(self, ref: str) -> int | None:
        """The budget year that funds application `ref`, or None."""
        for allocation in self.years:
            if any(a.ref == ref for a in allocation.funded):
                return allocation.year
        return None


def schedule(queue: Iterable[Approval], budgets: Sequence[YearBudget]) -> Schedule:
    """Carry the queue through consecutive budget years, in order, until it empties."""
    years = [b.year for b in budgets]
    if years != sorted(set(years)):
        raise ValueError("budget years must be distinct and in increasing order")
    waiting = queue_order(queue)
    allocations: list[YearAllocation] = []
    for budget in budgets:
        allocation = allocate_year(budget.year, waiting, budget.committed_fen, budget.cap_fen)
        allocations.append(allocation)
        waiting = allocation.waiting
    return Schedule(years=tuple(allocations), unfunded=waiting)
