"""The score distribution of a sitting: candidates by overall and by ethics correct rate, drawn as
inline SVG (no script: the pages' CSP forbids it)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from certexam.domain.psychometrics import histogram
from certexam.models import Result, Sitting
from certexam.services.sittings.schedule import blueprint_of

RATE_BINS: Final = 20  # display choice: 5%-wide bins of the correct rate


@dataclass(frozen=True)
class Distribution:
    """Candidates of a sitting by overall correct rate and by ethics rate, with the lines to mark."""

    overall: tuple[tuple[int, int], ...]  # per bin: (not vetoed, vetoed)
    ethics: tuple[int, ...]
    cut: Fraction | None  # cut-score rule only
    gate: Fraction
    candidates: int


def distribution(sess: Session, sitting: Sitting) -> Distribution:
    bp = blueprint_of(sitting)
    rows = list(sess.scalars(select(Result).where(Result.sitting_id == sitting.id, Result.max_total_units > 0)))
    fine = [r.total_units for r in rows if "ETHICS_VETO" not in r.reasons]
    vetoed = [r.total_units for r in rows if "ETHICS_VETO" in r.reasons]
    scale = 1000  # rates as integers 0..scale for the histogram

    def rates(units: list[int], tops: list[int]) -> list[int]:
        return [u * scale // t for u, t in zip(units, tops, strict=True)]

    tops_f = [r.max_total_units for r in rows if "ETHICS_VETO" not in r.reasons]
    tops_v = [r.max_total_units for r in rows if "ETHICS_VETO" in r.reasons]
    a = histogram(rates(fine, tops_f), scale, RATE_BINS)
    b = histogram(rates(vetoed, tops_v), scale, RATE_BINS)
    eth = histogram([int(Fraction(r.ethics_rate) * scale) for r in rows if r.ethics_rate], scale, RATE_BINS)
    return Distribution(tuple((x.count, y.count) for x, y in zip(a, b, strict=True)), tuple(h.count for h in eth),
                        bp.scoring.pass_mark if bp.scoring.pass_rule == "cut_score" else None,
                        bp.scoring.ethics_min_rate, len(rows))


def _svg_histogram(stacks: list[tuple[int, ...]], line: Fraction | None, line_class: str, label: str,
                   title: str, axis: str) -> Markup:
    """A bar chart of 0-100% bins as inline SVG (no script: the pages' CSP forbids it)."""
    width, height, left, bottom, top, right = 640, 220, 36, 30, 24, 24
    plot_w, plot_h = width - left - right, height - bottom - top
    peak = max([sum(s) for s in stacks] + [1])
    bar_w = plot_w / len(stacks)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for i, stack in enumerate(stacks):
        y: float = top + plot_h
        for k, count in enumerate(stack):
            if count:
                h = plot_h * count / peak
                y -= h
                css = "bar" if k == 0 else "bar vetoed"
                parts.append(f'<rect class="{css}" x="{left + i * bar_w + 1:.1f}" y="{y:.1f}" '
                             f'width="{bar_w - 2:.1f}" height="{h:.1f}"><title>{count}</title></rect>')
    base = top + plot_h
    parts.append(f'<line class="axis" x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}"/>')
    parts.append(f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{base}"/>')
    parts.append(f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{peak}</text>')
    parts.append(f'<text x="{left - 4}" y="{base}" text-anchor="end">0</text>')
    for pct in (0, 25, 50, 75, 100):
        x = left + plot_w * pct / 100
        parts.append(f'<text x="{x:.1f}" y="{base + 14}" text-anchor="middle">{pct}%</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 2}" text-anchor="middle">{escape(axis)}</text>')
    if line is not None:
        x = left + plot_w * float(line)
        parts.append(f'<line class="{line_class}" x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{base}"/>')
        parts.append(f'<text class="label-{line_class}" x="{x + 4:.1f}" y="{top - 8}">{escape(label)} '
                     f"{float(line) * 100:.0f}%</text>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every interpolated text is escaped above)


def charts(dist: Distribution, titles: dict[str, str]) -> tuple[Markup, Markup]:
    """(overall rate chart with the cut line, ethics rate chart with the gate line)."""
    overall = _svg_histogram([tuple(s) for s in dist.overall], dist.cut, "cut", titles["cut"], titles["overall"],
                             titles["overall_axis"])
    ethics = _svg_histogram([(c,) for c in dist.ethics], dist.gate, "gate", titles["gate"], titles["ethics"],
                            titles["ethics_axis"])
    return overall, ethics


def distractor_chart(high_low: tuple[tuple[str, int, int], ...], title: str) -> Markup:
    """Per option, two bars: the upper and the lower 27% of candidates by total (issue 21).

    A working distractor draws more of the lower group; a key that draws more of the lower group
    is suspect. Bars are scaled to the larger group count so that the two are comparable."""
    if not high_low:
        return Markup("")
    bar, gap, height = 7, 6, 36
    peak = max(max(h, lo) for _o, h, lo in high_low) or 1
    width = len(high_low) * (2 * bar + gap)
    parts = [f'<svg class="distractors" viewBox="0 0 {width} {height + 12}" width="{width}" height="{height + 12}" '
             f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, (option, high, low) in enumerate(high_low):
        x = i * (2 * bar + gap)
        for k, (count, css) in enumerate(((high, "upper"), (low, "lower"))):
            h = height * count / peak
            parts.append(f'<rect class="{css}" x="{x + k * bar}" y="{height - h:.1f}" width="{bar - 1}" '
                         f'height="{h:.1f}"><title>{escape(option)}: {count}</title></rect>')
        parts.append(f'<text x="{x + bar}" y="{height + 10}" text-anchor="middle">{escape(option)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every interpolated text is escaped above)
