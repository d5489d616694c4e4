"""Geometry of the holders chart: holders per bar against the programme's target line, as inline SVG.

Drawn like the bonus budget chart (certexam/bonus/chart.py): positions are computed here and the
template templates/statistics/_target_chart.html draws them with SVG presentation attributes only,
because the CSP forbids inline script and inline style. A bar whose figure is withheld (public
page, fewer than 5 people) is not drawn: its height would give the figure away.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 720
HEIGHT = 300
LEFT = 70  # room for the count labels
RIGHT = 20
TOP = 24
BOTTOM = 40  # room for the bar labels
MAX_TICKS = 6
LABEL_GAP = 6
HEADROOM_NUM, HEADROOM_DEN = 11, 10  # the axis runs at least 10 % above the highest value


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | None  # None: withheld, not drawn
    x: int
    width: int
    y: int
    height: int

    @property
    def label_y(self) -> int:
        return self.y - LABEL_GAP


@dataclass(frozen=True)
class Tick:
    y: int
    value: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    plot_bottom: int
    plot_right: int
    target: int
    target_y: int
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]


def nice_step(top: int) -> int:
    """A round tick step (1, 2 or 5 times a power of ten) giving at most MAX_TICKS steps."""
    power = 1
    while True:
        for mult in (1, 2, 5):
            step = mult * power
            if -(-top // step) <= MAX_TICKS:
                return step
        power *= 10


def target_chart(bars: list[tuple[str, int | None]], target: int) -> Chart:
    """One bar per (label, value), scaled with the target line on the same axis."""
    highest = max([target, 1] + [v for _, v in bars if v is not None])
    wanted = -(-highest * HEADROOM_NUM // HEADROOM_DEN)
    step = nice_step(wanted)
    top = -(-wanted // step) * step
    plot_h = HEIGHT - TOP - BOTTOM
    base = HEIGHT - BOTTOM

    def scale(v: int) -> int:
        return (v * plot_h + top // 2) // top

    slot_w = (WIDTH - LEFT - RIGHT) // max(len(bars), 1)
    bar_w = max(min(slot_w * 3 // 5, 90), 8)
    drawn = []
    for i, (label, value) in enumerate(bars):
        h = scale(value) if value is not None else 0
        drawn.append(Bar(label, value, LEFT + i * slot_w + (slot_w - bar_w) // 2, bar_w, base - h, h))
    ticks = tuple(Tick(base - scale(k * step), k * step) for k in range(top // step + 1))
    return Chart(WIDTH, HEIGHT, LEFT, base, WIDTH - RIGHT, target, base - scale(target), tuple(drawn), ticks)
