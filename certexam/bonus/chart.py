"""Geometry of the budget chart: spending per year against the cap, drawn as inline SVG.

The chart is computed here and drawn by templates/bonus/_budget_chart.html
with SVG presentation attributes only: the CSP forbids inline script and
inline style, and a server-drawn SVG needs neither.  Amounts stay integer
fen; only pixel positions are rounded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from certexam.services.bonus.budget import YearLine


class Budget(Protocol):
    """What the chart draws: the holder bonus's overview, or a training-subsidy measure's (issue 23)."""

    @property
    def years(self) -> Sequence[YearLine]: ...

    @property
    def queued_fen(self) -> int: ...

    @property
    def queue_length(self) -> int: ...

WIDTH = 720
HEIGHT = 300
LEFT = 130  # room for the amount labels
RIGHT = 20
TOP = 20
BOTTOM = 40  # room for the year labels
MAX_TICKS = 6
LABEL_GAP = 8  # pixels between a bar (or the cap line) and its amount
LABEL_CLEARANCE = 18  # closer than this to the cap line, the amount goes above the line
HEADROOM_NUM, HEADROOM_DEN = 11, 10  # the axis runs at least 10 % above the highest value


@dataclass(frozen=True)
class Bar:
    label: str
    x: int
    width: int
    paid_y: int
    paid_h: int
    committed_y: int
    committed_h: int
    cap_y: int | None  # the cap line of this year; None for the queue bar
    paid_fen: int
    committed_fen: int
    cap_fen: int | None
    queue: bool = False

    @property
    def label_y(self) -> int:
        """Where the amount goes: above the bar, or above the cap line when the two would touch."""
        above_bar = self.committed_y - LABEL_GAP
        if self.cap_y is not None and abs(self.committed_y - self.cap_y) < LABEL_CLEARANCE:
            return min(self.committed_y, self.cap_y) - LABEL_GAP
        return above_bar


@dataclass(frozen=True)
class Tick:
    y: int
    fen: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    plot_bottom: int
    plot_right: int
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]


def _scale(fen: int, top_fen: int) -> int:
    plot_h = HEIGHT - TOP - BOTTOM
    return (fen * plot_h + top_fen // 2) // top_fen


def nice_step(top_fen: int) -> int:
    """A round tick step (1, 2 or 5 times a power of ten fen) giving at most MAX_TICKS steps."""
    power = 1
    while True:
        for mult in (1, 2, 5):
            step = mult * power
            if -(-top_fen // step) <= MAX_TICKS:
                return step
        power *= 10


def budget_chart(overview: Budget, queue_label: str) -> Chart:
    """Bars for each budget year (paid, then committed, with the cap line) and one for the queue."""
    highest = max([line.cap_fen for line in overview.years] + [line.committed_fen for line in overview.years]
                  + [overview.queued_fen, 1])
    wanted = -(-highest * HEADROOM_NUM // HEADROOM_DEN)
    step = nice_step(wanted)
    top_fen = -(-wanted // step) * step
    slots = len(overview.years) + (1 if overview.queue_length else 0)
    plot_w = WIDTH - LEFT - RIGHT
    slot_w = plot_w // max(slots, 1)
    bar_w = max(slot_w * 3 // 5, 8)
    base = HEIGHT - BOTTOM
    bars: list[Bar] = []
    for i, line in enumerate(overview.years):
        x = LEFT + i * slot_w + (slot_w - bar_w) // 2
        paid_h, committed_h = _scale(line.paid_fen, top_fen), _scale(line.committed_fen, top_fen)
        bars.append(Bar(str(line.year), x, bar_w, base - paid_h, paid_h, base - committed_h, committed_h,
                        base - _scale(line.cap_fen, top_fen), line.paid_fen, line.committed_fen, line.cap_fen))
    if overview.queue_length:
        x = LEFT + len(overview.years) * slot_w + (slot_w - bar_w) // 2
        h = _scale(overview.queued_fen, top_fen)
        bars.append(Bar(queue_label, x, bar_w, base, 0, base - h, h, None, 0, overview.queued_fen, None,
                        queue=True))
    ticks = tuple(Tick(base - _scale(k * step, top_fen), k * step) for k in range(top_fen // step + 1))
    return Chart(WIDTH, HEIGHT, LEFT, base, WIDTH - RIGHT, tuple(bars), ticks)
