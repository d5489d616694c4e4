"""The training subsidies' charts on the statistics pages (issue 23; rules s.4, items 24-25): the bonus's
budget chart draws a subsidy measure's yearly figures, each against its own cap."""

from __future__ import annotations

from certexam.bonus import chart
from certexam.domain.subsidies import KNOWLEDGE_YEARLY_CAP_FEN, TRAINING_YEARLY_CAP_FEN, Measure
from certexam.services.bonus.budget import YearLine
from certexam.services.subsidies.budget import MeasureBudget

PLOT_H = chart.HEIGHT - chart.TOP - chart.BOTTOM


def test_a_measure_filled_to_its_cap_draws_its_bar_up_to_the_cap_line_and_the_queue_beside_it() -> None:
    # item 24: RMB 3,000,000 a year, filled exactly (item 36: inclusive); RMB 1,000,000 waits for next year
    m = MeasureBudget(Measure.TRAINING, (YearLine(2026, TRAINING_YEARLY_CAP_FEN, TRAINING_YEARLY_CAP_FEN,
                                                  100_000_000),), 1, 100_000_000)
    drawn = chart.budget_chart(m, "Waiting")
    year, queue = drawn.bars
    assert (year.label, year.committed_fen, year.cap_fen, year.paid_fen) == ("2026", 300_000_000, 300_000_000,
                                                                              100_000_000)
    assert year.committed_y == year.cap_y  # the bar reaches the cap line, not past it
    assert abs(year.paid_h * 3 - year.committed_h) <= 3  # a third of it paid (pixels rounded)
    assert (queue.queue, queue.committed_fen, queue.cap_y) == (True, 100_000_000, None)
    assert queue.committed_h * 3 - year.committed_h in range(-3, 4)


def test_no_queue_no_queue_bar_and_each_measure_has_its_own_cap() -> None:
    # item 25: RMB 2,000,000 a year; an empty year still shows its cap line
    m = MeasureBudget(Measure.KNOWLEDGE, (YearLine(2026, KNOWLEDGE_YEARLY_CAP_FEN, 0, 0),), 0, 0)
    drawn = chart.budget_chart(m, "Waiting")
    (year,) = drawn.bars
    assert year.committed_h == 0 and year.cap_fen == 200_000_000
    assert drawn.ticks[-1].fen == 250_000_000  # 10 % headroom above the cap, rounded up to a tick of 50,000,000
    assert drawn.plot_bottom - year.cap_y == PLOT_H * 4 // 5  # the cap line at 200 of 250
